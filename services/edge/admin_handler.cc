#include "services/edge/admin_handler.h"

#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/crypto.h"
#include "common/mapping/json_path.h"
#include "common/mapping/timestamp.h"
#include "common/script/transform_script.h"
#include "common/status/error_code.h"
#include "services/edge/admin_json.h"

namespace sluice::edge {
namespace {

using json = nlohmann::ordered_json;

constexpr std::chrono::milliseconds kAdminTimeout(30000);

using Respond = std::shared_ptr<Responder>;
using Request = std::shared_ptr<RequestCopy>;

std::string Dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Runs an async call; on success `ok` builds the answer, errors map through
// ToHttpError.
template <typename Req, typename Resp, typename Start>
void Call(Start start, Req request, Respond respond,
          std::function<void(Resp&)> ok) {
  AsyncCall<Req, Resp>(
      start, std::move(request), kAdminTimeout,
      [respond, ok = std::move(ok)](absl::Status status, Resp& response) {
        if (!status.ok()) {
          respond->Error(ToHttpError(status));
          return;
        }
        ok(response);
      });
}

void NotFound(const Respond& respond) {
  respond->Error(HttpError{404, "not_found", "no such admin resource"});
}

void MethodNotAllowed(const Respond& respond, const std::string& allow) {
  respond->Error(HttpError{405, "method_not_allowed",
                           absl::StrCat("allowed methods: ", allow)},
                 {{"Allow", allow}});
}

// Parses the request body as a JSON object, or answers 400/415.
std::optional<json> ParseBody(const Request& request, const Respond& respond) {
  auto body = ParseAdminBody(request->body, request->Header("Content-Type"));
  if (!body.ok()) {
    respond->Error(ToHttpError(body.status()));
    return std::nullopt;
  }
  return *std::move(body);
}

class Router {
 public:
  Router(std::shared_ptr<const AdminContext> context, Request request,
         Respond respond)
      : c_(std::move(context)),
        req_(std::move(request)),
        respond_(std::move(respond)),
        schema_(c_->backends->schema.get()),
        storage_(c_->backends->storage.get()),
        retention_(c_->backends->retention.get()) {}

  void Route() {
    const auto& s = req_->segments;
    const std::string& m = req_->method;
    if (s.size() <= 1 && (s.empty() || s[0] != "api")) {
      const ConsoleFiles::File* file = c_->console.Find(s.empty() ? "" : s[0]);
      if (file == nullptr) return NotFound(respond_);
      if (m != "GET") return MethodNotAllowed(respond_, "GET");
      return respond_->Raw(200, file->body, file->content_type,
                           ConsoleFiles::Headers());
    }
    if (s.size() < 2 || s[0] != "api" || s[1] != "v1")
      return NotFound(respond_);
    if (!Authorized()) {
      return respond_->Error(
          HttpError{401, "unauthorized", "missing or invalid admin key"},
          {{"WWW-Authenticate", "Bearer realm=\"sluice-admin\""}});
    }
    std::vector<std::string> p(s.begin() + 2, s.end());
    if (p.size() == 1 && p[0] == "integrations") {
      if (m == "GET") return ListIntegrations();
      if (m == "POST") return CreateIntegration();
      return MethodNotAllowed(respond_, "GET, POST");
    }
    if (p.size() == 2 && p[0] == "tables" && p[1] == "generate") {
      if (m != "POST") return MethodNotAllowed(respond_, "POST");
      return GenerateTables();
    }
    if (p.size() == 2 && p[0] == "scripts" && p[1] == "test") {
      if (m != "POST") return MethodNotAllowed(respond_, "POST");
      return TestScript();
    }
    if (!p.empty() && p[0] == "logs") {
      if (p.size() == 1) {
        if (m != "GET") return MethodNotAllowed(respond_, "GET");
        return ListLogs();
      }
      int64_t id = 0;
      if (!absl::SimpleAtoi(p[1], &id) || id <= 0) return NoSuchLogEntry();
      if (p.size() == 2) {
        if (m != "GET") return MethodNotAllowed(respond_, "GET");
        return GetLog(id, /*replay=*/false);
      }
      if (p.size() == 3 && p[2] == "replay") {
        if (m != "POST") return MethodNotAllowed(respond_, "POST");
        return GetLog(id, /*replay=*/true);
      }
      return NotFound(respond_);
    }
    if (p.empty() || p[0] != "integrations" || p.size() < 2)
      return NotFound(respond_);
    integration_ = absl::AsciiStrToLower(p[1]);
    if (p.size() == 2) {
      if (m == "GET") return GetIntegration();
      if (m == "DELETE") return DeleteIntegration();
      return MethodNotAllowed(respond_, "GET, DELETE");
    }
    if (p[2] != "listeners") return NotFound(respond_);
    if (p.size() == 3) {
      if (m == "GET") return ListListeners();
      if (m == "POST") return CreateListener();
      return MethodNotAllowed(respond_, "GET, POST");
    }
    listener_ = absl::AsciiStrToLower(p[3]);
    if (p.size() == 4) {
      if (m == "GET") return GetListener();
      if (m == "PATCH") return UpdateListener();
      if (m == "DELETE") return DeleteListener();
      return MethodNotAllowed(respond_, "GET, PATCH, DELETE");
    }
    if (p.size() == 5 && p[4] == "token") {
      if (m != "POST") return MethodNotAllowed(respond_, "POST");
      return RotateSecret();
    }
    if (p.size() == 6 && p[4] == "retention" && p[5] == "run") {
      if (m != "POST") return MethodNotAllowed(respond_, "POST");
      return RunRetention();
    }
    if (p[4] == "records" && p.size() <= 6) {
      if (m != "GET") return MethodNotAllowed(respond_, "GET");
      if (p.size() == 6 && !p[5].empty()) return GetRecord({p[5]}, false);
      if (p.size() == 6 || req_->trailing_slash) return GetRecord({}, true);
      return ListRecords();
    }
    NotFound(respond_);
  }

 private:
  bool Authorized() const {
    auto header = req_->Header("Authorization");
    if (!header || !absl::StartsWithIgnoreCase(*header, "Bearer "))
      return false;
    std::string key(absl::StripAsciiWhitespace(header->substr(7)));
    std::string expected = c_->admin_key->Current();
    return !expected.empty() && crypto::ConstantTimeEquals(key, expected);
  }

  // The `limit` query parameter into `*limit` when present; false after
  // answering 400 when it is not an integer from 1 to 1000.
  bool QueryLimit(int* limit) {
    auto text = req_->Query("limit");
    if (!text) return true;
    if (!absl::SimpleAtoi(*text, limit) || *limit < 1 || *limit > 1000) {
      respond_->Error(HttpError{400, "invalid_request",
                                "limit must be an integer from 1 to 1000"});
      return false;
    }
    return true;
  }

  void NoSuchLogEntry() {
    respond_->Error(HttpError{404, "not_found", "no such log entry"});
  }

  void ListLogs() {
    v1::ListLogsRequest request;
    request.set_integration_uuid(
        absl::AsciiStrToLower(req_->Query("integration").value_or("")));
    request.set_listener_name(req_->Query("listener").value_or(""));
    std::string state =
        absl::AsciiStrToLower(req_->Query("state").value_or("all"));
    if (state.empty()) state = "all";
    if (state != "success" && state != "error" && state != "all") {
      return respond_->Error(HttpError{
          400, "invalid_request", "state must be success, error or all"});
    }
    request.set_state(state);
    if (req_->Query("limit")) {
      int limit = 0;
      if (!QueryLimit(&limit)) return;
      request.set_limit(limit);
    }
    auto respond = respond_;
    Call<v1::ListLogsRequest, v1::ListLogsResponse>(
        [s = storage_](auto* c, auto* q, auto* r, auto cb) {
          s->async()->ListLogs(c, q, r, cb);
        },
        std::move(request), respond, [respond](v1::ListLogsResponse& r) {
          json entries = json::array();
          for (const auto& e : r.entries())
            entries.push_back(LogEntryToJson(e, false));
          respond->Json(200, Dump({{"entries", entries}}));
        });
  }

  // The entry (GET), or its replay (POST …/replay).
  void GetLog(int64_t id, bool replay) {
    v1::GetLogRequest request;
    request.set_id(id);
    auto respond = respond_;
    const IngestContext* ingest = c_->ingest;
    Call<v1::GetLogRequest, v1::LogEntry>(
        [s = storage_](auto* c, auto* q, auto* r, auto cb) {
          s->async()->GetLog(c, q, r, cb);
        },
        std::move(request), respond, [respond, replay, ingest](v1::LogEntry& e) {
          if (!replay) return respond->Json(200, Dump(LogEntryToJson(e, true)));
          if (!e.replayable() || ingest == nullptr) {
            return respond->Error(HttpError{
                409, "not_replayable",
                e.status() < 400
                    ? "the entry is a success; only errors are replayed"
                    : "the entry's request did not pass authentication, or "
                      "its body was too large to keep"});
          }
          IngestHandler::Replay(*ingest, e, respond);
        });
  }

  void TestScript() {
    auto body = ParseBody(req_, respond_);
    if (!body) return;
    auto source = body->find("script");
    if (source == body->end() || !source->is_string()) {
      return respond_->Error(HttpError{
          400, "invalid_request", "\"script\" is required and must be a string"});
    }
    auto sample = body->find("body");
    if (sample == body->end()) {
      return respond_->Error(HttpError{
          400, "invalid_request",
          "\"body\" is required: the JSON a sender would post (or its text)"});
    }
    std::string text = sample->is_string() ? sample->get<std::string>()
                                           : Dump(*sample);
    std::vector<std::string> root_path;
    if (auto root = body->find("rootPath");
        root != body->end() && root->is_string()) {
      root_path = mapping::SplitUserPath(root->get<std::string>());
    }
    std::string script = source->get<std::string>();
    if (absl::Status checked = script::Check(script); !checked.ok()) {
      return respond_->Error(ToHttpError(checked));
    }
    script::Context ctx;
    ctx.scope = "scripts/test";
    ctx.listener = "test";
    ctx.method = "POST";
    ctx.received = mapping::FormatIso8601(
        std::chrono::duration_cast<std::chrono::microseconds>(
            req_->received.time_since_epoch())
            .count());
    ctx.headers = {{"content-type", "application/json"}};
    auto out = script::Transform(script, text, root_path, ctx);
    if (!out.ok()) return respond_->Error(ToHttpError(out.status()));
    respond_->Json(200, absl::StrCat("{\"records\":", *out, "}"));
  }

  void ListIntegrations() {
    auto respond = respond_;
    Call<v1::ListIntegrationsRequest, v1::ListIntegrationsResponse>(
        [s = schema_](auto* c, auto* q, auto* r, auto cb) {
          s->async()->ListIntegrations(c, q, r, cb);
        },
        {}, respond,
        [respond](v1::ListIntegrationsResponse& r) {
          json list = json::array();
          for (const auto& i : r.integrations())
            list.push_back(IntegrationToJson(i));
          respond->Json(200, Dump({{"integrations", list}}));
        });
  }

  void CreateIntegration() {
    auto body = ParseBody(req_, respond_);
    if (!body) return;
    auto name = body->find("name");
    if (name == body->end() || !name->is_string()) {
      return respond_->Error(HttpError{
          400, "invalid_request", "\"name\" is required and must be a string"});
    }
    v1::CreateIntegrationRequest request;
    request.set_name(name->get<std::string>());
    auto respond = respond_;
    Call<v1::CreateIntegrationRequest, v1::Integration>(
        [s = schema_](auto* c, auto* q, auto* r, auto cb) {
          s->async()->CreateIntegration(c, q, r, cb);
        },
        std::move(request), respond,
        [respond](v1::Integration& i) {
          respond->Json(201, Dump(IntegrationToJson(i)));
        });
  }

  void GetIntegration() {
    v1::GetIntegrationRequest request;
    request.set_uuid(integration_);
    auto respond = respond_;
    Call<v1::GetIntegrationRequest, v1::Integration>(
        [s = schema_](auto* c, auto* q, auto* r, auto cb) {
          s->async()->GetIntegration(c, q, r, cb);
        },
        std::move(request), respond,
        [respond](v1::Integration& i) {
          respond->Json(200, Dump(IntegrationToJson(i)));
        });
  }

  void DeleteIntegration() {
    v1::DeleteIntegrationRequest request;
    request.set_uuid(integration_);
    auto respond = respond_;
    Call<v1::DeleteIntegrationRequest, v1::DeleteIntegrationResponse>(
        [s = schema_](auto* c, auto* q, auto* r, auto cb) {
          s->async()->DeleteIntegration(c, q, r, cb);
        },
        std::move(request), respond,
        [respond](v1::DeleteIntegrationResponse&) { respond->Empty(204); });
  }

  void ListListeners() {
    v1::ListListenersRequest request;
    request.set_integration_uuid(integration_);
    auto respond = respond_;
    auto base = c_->ingest_base_url;
    Call<v1::ListListenersRequest, v1::ListListenersResponse>(
        [s = schema_](auto* c, auto* q, auto* r, auto cb) {
          s->async()->ListListeners(c, q, r, cb);
        },
        std::move(request), respond,
        [respond, base](v1::ListListenersResponse& r) {
          json list = json::array();
          for (const auto& l : r.listeners())
            list.push_back(ListenerToJson(l, base));
          respond->Json(200, Dump({{"listeners", list}}));
        });
  }

  static void AddSecrets(json* out, const std::string& token,
                         const std::string& password,
                         const std::string& secret) {
    if (!token.empty()) (*out)["token"] = token;
    if (!password.empty()) (*out)["password"] = password;
    if (!secret.empty()) (*out)["secret"] = secret;
  }

  void CreateListener() {
    auto body = ParseBody(req_, respond_);
    if (!body) return;
    v1::CreateListenerRequest request;
    std::string secret;
    auto listener = ListenerFromJson(*body, &secret);
    if (!listener.ok()) return respond_->Error(ToHttpError(listener.status()));
    request.set_integration_uuid(integration_);
    *request.mutable_listener() = std::move(*listener);
    request.set_secret(secret);
    auto respond = respond_;
    auto base = c_->ingest_base_url;
    auto* index = c_->index;
    Call<v1::CreateListenerRequest, v1::CreateListenerResponse>(
        [s = schema_](auto* c, auto* q, auto* r, auto cb) {
          s->async()->CreateListener(c, q, r, cb);
        },
        std::move(request), respond,
        [respond, base, index](v1::CreateListenerResponse& r) {
          if (index != nullptr) {
            index->Add(r.listener().integration_uuid(), r.listener().uuid());
          }
          json out = ListenerToJson(r.listener(), base);
          AddSecrets(&out, r.token(), r.password(), r.secret());
          respond->Json(201, Dump(out));
        });
  }

  void GetListener() {
    v1::GetListenerRequest request;
    request.set_integration_uuid(integration_);
    request.set_listener_uuid(listener_);
    auto respond = respond_;
    auto base = c_->ingest_base_url;
    Call<v1::GetListenerRequest, v1::Listener>(
        [s = schema_](auto* c, auto* q, auto* r, auto cb) {
          s->async()->GetListener(c, q, r, cb);
        },
        std::move(request), respond,
        [respond, base](v1::Listener& l) {
          respond->Json(200, Dump(ListenerToJson(l, base)));
        });
  }

  void UpdateListener() {
    auto body = ParseBody(req_, respond_);
    if (!body) return;
    v1::UpdateListenerRequest request;
    std::string secret;
    std::vector<std::string> mask;
    auto listener = ListenerPatchFromJson(*body, &secret, &mask);
    if (!listener.ok()) return respond_->Error(ToHttpError(listener.status()));
    request.set_integration_uuid(integration_);
    request.set_listener_uuid(listener_);
    *request.mutable_listener() = std::move(*listener);
    request.set_secret(secret);
    for (auto& f : mask) request.add_update_mask(f);
    auto respond = respond_;
    auto base = c_->ingest_base_url;
    auto* cache = c_->listeners;
    auto id = listener_;
    Call<v1::UpdateListenerRequest, v1::CreateListenerResponse>(
        [s = schema_](auto* c, auto* q, auto* r, auto cb) {
          s->async()->UpdateListener(c, q, r, cb);
        },
        std::move(request), respond,
        [respond, base, cache, id](v1::CreateListenerResponse& r) {
          cache->Invalidate(id);
          json out = ListenerToJson(r.listener(), base);
          AddSecrets(&out, r.token(), r.password(), r.secret());
          respond->Json(200, Dump(out));
        });
  }

  void DeleteListener() {
    v1::DeleteListenerRequest request;
    request.set_integration_uuid(integration_);
    request.set_listener_uuid(listener_);
    auto respond = respond_;
    auto* cache = c_->listeners;
    auto id = listener_;
    Call<v1::DeleteListenerRequest, v1::DeleteListenerResponse>(
        [s = schema_](auto* c, auto* q, auto* r, auto cb) {
          s->async()->DeleteListener(c, q, r, cb);
        },
        std::move(request), respond,
        [respond, cache, id, index = c_->index](v1::DeleteListenerResponse&) {
          cache->Invalidate(id);
          if (index != nullptr) index->Remove(id);
          respond->Empty(204);
        });
  }

  void RotateSecret() {
    v1::RotateSecretRequest request;
    request.set_integration_uuid(integration_);
    request.set_listener_uuid(listener_);
    auto respond = respond_;
    auto* cache = c_->listeners;
    auto id = listener_;
    Call<v1::RotateSecretRequest, v1::RotateSecretResponse>(
        [s = schema_](auto* c, auto* q, auto* r, auto cb) {
          s->async()->RotateSecret(c, q, r, cb);
        },
        std::move(request), respond,
        [respond, cache, id](v1::RotateSecretResponse& r) {
          cache->Invalidate(id);
          json out = json::object();
          AddSecrets(&out, r.token(), r.password(), r.secret());
          respond->Json(200, Dump(out));
        });
  }

  void GenerateTables() {
    auto body = ParseBody(req_, respond_);
    if (!body) return;
    auto structure = StructureFromJson(*body);
    if (!structure.ok())
      return respond_->Error(ToHttpError(structure.status()));
    v1::GenerateTablesRequest request;
    *request.mutable_structure() = std::move(*structure);
    auto respond = respond_;
    Call<v1::GenerateTablesRequest, v1::GenerateTablesResponse>(
        [s = schema_](auto* c, auto* q, auto* r, auto cb) {
          s->async()->GenerateTables(c, q, r, cb);
        },
        std::move(request), respond,
        [respond](v1::GenerateTablesResponse& r) {
          json ddl = json::array();
          for (const auto& d : r.ddl()) ddl.push_back(d);
          respond->Json(200, Dump({{"tables", TablesToJson(r.structure())},
                                   {"ddl", ddl}}));
        });
  }

  void RunRetention() {
    // The listener must exist in this integration.
    auto respond = respond_;
    auto* retention = retention_;
    std::string listener = listener_;
    c_->listeners->Get(
        integration_, listener_,
        [respond, retention,
         listener](absl::StatusOr<std::shared_ptr<const ListenerEntry>> e) {
          if (!e.ok()) return respond->Error(ToHttpError(e.status()));
          v1::RunNowRequest request;
          request.set_listener_uuid(listener);
          Call<v1::RunNowRequest, v1::RunNowResponse>(
              [retention](auto* c, auto* q, auto* r, auto cb) {
                retention->async()->RunNow(c, q, r, cb);
              },
              std::move(request), respond,
              [respond](v1::RunNowResponse& r) {
                respond->Json(200, Dump({{"deleted", r.deleted()}}));
              });
        });
  }

  void GetRecord(std::vector<std::string> values, bool from_query) {
    auto respond = respond_;
    auto* storage = storage_;
    auto request = req_;
    c_->listeners->Get(
        integration_, listener_,
        [respond, storage, request, values, from_query](
            absl::StatusOr<std::shared_ptr<const ListenerEntry>> e) mutable {
          if (!e.ok()) return respond->Error(ToHttpError(e.status()));
          if (from_query) {
            for (const auto& field : (*e)->mapper->key_fields()) {
              auto v = request->Query(field);
              if (!v) {
                return respond->Error(HttpError{
                    400, "invalid_key",
                    absl::StrCat("missing primary-key field \"", field, "\"")});
              }
              values.push_back(*v);
            }
          }
          auto key = (*e)->mapper->KeyFromText(values);
          if (!key.ok()) return respond->Error(ToHttpError(key.status()));
          v1::GetRecordRequest get;
          get.set_listener_uuid((*e)->listener.uuid());
          for (auto& v : *key) *get.add_key() = std::move(v);
          Call<v1::GetRecordRequest, v1::RecordJson>(
              [storage](auto* c, auto* q, auto* r, auto cb) {
                storage->async()->GetRecord(c, q, r, cb);
              },
              std::move(get), respond,
              [respond](v1::RecordJson& r) { respond->Json(200, r.json()); });
        });
  }

  void ListRecords() {
    auto respond = respond_;
    auto* storage = storage_;
    auto request = req_;
    int limit = 50;
    if (!QueryLimit(&limit)) return;
    c_->listeners->Get(
        integration_, listener_,
        [respond, storage, request,
         limit](absl::StatusOr<std::shared_ptr<const ListenerEntry>> e) {
          if (!e.ok()) return respond->Error(ToHttpError(e.status()));
          v1::ListRecordsRequest list;
          list.set_listener_uuid((*e)->listener.uuid());
          list.set_limit(limit);
          list.set_page_token(request->Query("pageToken").value_or(""));
          Call<v1::ListRecordsRequest, v1::ListRecordsResponse>(
              [storage](auto* c, auto* q, auto* r, auto cb) {
                storage->async()->ListRecords(c, q, r, cb);
              },
              std::move(list), respond,
              [respond](v1::ListRecordsResponse& r) {
                std::string out = "{\"records\":[";
                for (int i = 0; i < r.records_size(); ++i) {
                  if (i > 0) out.push_back(',');
                  out += r.records(i).json();
                }
                out += "],\"nextPageToken\":";
                out += r.next_page_token().empty() ? "null"
                                                   : Dump(r.next_page_token());
                out += "}";
                respond->Json(200, out);
              });
        });
  }

  std::shared_ptr<const AdminContext> c_;
  Request req_;
  Respond respond_;
  v1::SchemaService::Stub* schema_;
  v1::StorageService::Stub* storage_;
  v1::RetentionService::Stub* retention_;
  std::string integration_;
  std::string listener_;
};

}  // namespace

AdminKey::AdminKey(std::string file, std::string fixed_key)
    : file_(std::move(file)) {
  key_ = std::move(fixed_key);
}

std::string AdminKey::Current() {
  absl::MutexLock lock(&mu_);
  if (file_.empty()) return key_;
  struct stat st {};
  if (stat(file_.c_str(), &st) != 0) return key_;
  int64_t mtime =
      static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  if (mtime != mtime_ns_) {
    std::ifstream in(file_);
    std::string key;
    std::getline(in, key);
    key = std::string(absl::StripAsciiWhitespace(key));
    // A key shorter than 16 characters is refused rather than trusted.
    if (key.size() >= 16) {
      key_ = key;
      mtime_ns_ = mtime;
    }
  }
  return key_;
}

void AdminHandler::onRequest(const Pistache::Http::Request& request,
                             Pistache::Http::ResponseWriter response) {
  auto copy = std::make_shared<RequestCopy>(CopyRequest(request));
  auto respond = std::make_shared<Responder>(
      std::move(response), context_->metrics, "admin_" + copy->method,
      copy->path, copy->start);
  // Admin answers carry listener secrets and logged bodies: no cache keeps
  // them.
  if (!copy->segments.empty() && copy->segments[0] == "api") {
    respond->AlwaysAdd("Cache-Control", "no-store");
  }
  Router(context_, std::move(copy), std::move(respond)).Route();
}

}  // namespace sluice::edge

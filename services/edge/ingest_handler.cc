#include "services/edge/ingest_handler.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/crypto/crypto.h"
#include "common/rpc/rpc.h"
#include "common/status/error_code.h"
#include "services/edge/credential_check.h"

namespace sluice::edge {
namespace {

constexpr std::chrono::milliseconds kWriteTimeout(15000);

HttpError Make(int status, const std::string& code,
               const std::string& message) {
  return HttpError{status, code, message};
}

bool IsJson(const std::optional<std::string>& content_type) {
  if (!content_type) return false;
  std::string value = absl::AsciiStrToLower(*content_type);
  std::string mime(
      absl::StripAsciiWhitespace(value.substr(0, value.find(';'))));
  if (mime != "application/json") return false;
  size_t charset = value.find("charset=");
  if (charset == std::string::npos) return true;
  std::string name = value.substr(charset + 8);
  name =
      std::string(absl::StripAsciiWhitespace(name.substr(0, name.find(';'))));
  if (!name.empty() && name.front() == '"')
    name = name.substr(1, name.size() - 2);
  return name == "utf-8" || name == "utf8";
}

void Write(const IngestContext& context, std::shared_ptr<RequestCopy> request,
           std::shared_ptr<Responder> respond,
           std::shared_ptr<const ListenerEntry> entry) {
  const v1::Listener& listener = entry->listener;
  if (static_cast<int64_t>(request->body.size()) > listener.max_body_bytes()) {
    respond->Error(Make(413, "body_too_large",
                        absl::StrCat("the body has ", request->body.size(),
                                     " bytes; this listener accepts at most ",
                                     listener.max_body_bytes())));
    return;
  }
  auto* storage = context.backends->storage.get();
  if (request->method == "DELETE") {
    std::vector<std::string> values;
    const auto& fields = entry->mapper->key_fields();
    if (request->segments.size() == 3 && !request->segments[2].empty()) {
      if (fields.size() != 1) {
        respond->Error(
            Make(400, "invalid_key",
                 absl::StrCat("this listener's primary key has ", fields.size(),
                              " fields; delete with ?",
                              absl::StrJoin(fields, "=…&"), "=…")));
        return;
      }
      values.push_back(request->segments[2]);
    } else {
      std::vector<std::string> missing;
      for (const std::string& field : fields) {
        auto value = request->Query(field);
        if (!value) {
          missing.push_back(field);
        } else {
          values.push_back(*value);
        }
      }
      if (!missing.empty()) {
        respond->Error(Make(
            400, "invalid_key",
            absl::StrCat(
                "DELETE needs the record id in the path or the primary-key "
                "fields as query parameters; missing: ",
                absl::StrJoin(missing, ", "))));
        return;
      }
    }
    auto key = entry->mapper->KeyFromText(values);
    if (!key.ok()) {
      respond->Error(ToHttpError(key.status()));
      return;
    }
    v1::DeleteRequest del;
    del.set_listener_uuid(listener.uuid());
    for (auto& v : *key) *del.add_key() = std::move(v);
    AsyncCall<v1::DeleteRequest, v1::DeleteResponse>(
        [storage](auto* c, auto* q, auto* r, auto cb) {
          storage->async()->Delete(c, q, r, cb);
        },
        std::move(del), kWriteTimeout,
        [respond](absl::Status status, v1::DeleteResponse& response) {
          if (!status.ok()) {
            respond->Error(ToHttpError(status));
            return;
          }
          respond->Json(200, absl::StrCat(R"({"status":"ok","deleted":)",
                                          response.deleted(), "}"));
        });
    return;
  }
  if (!IsJson(request->Header("Content-Type"))) {
    respond->Error(
        Make(415, "unsupported_media_type",
             "the body must be JSON sent as Content-Type: application/json"));
    return;
  }
  const bool patch = request->method == "PATCH";
  auto records = entry->mapper->Map(request->body, patch);
  if (!records.ok()) {
    respond->Error(ToHttpError(records.status()));
    return;
  }
  if (patch && records->size() != 1) {
    respond->Error(
        Make(400, "invalid_body", "PATCH updates exactly one record"));
    return;
  }
  std::string idempotency_key = request->Header("Idempotency-Key").value_or("");
  if (idempotency_key.empty() &&
      listener.auth().preset() == "standard-webhooks") {
    idempotency_key = request->Header("webhook-id").value_or("");
  }
  if (idempotency_key.size() > 1024) {
    respond->Error(Make(400, "invalid_request",
                        "Idempotency-Key is longer than 1024 characters"));
    return;
  }
  v1::WriteRequest write;
  write.set_listener_uuid(listener.uuid());
  write.set_idempotency_key(idempotency_key);
  write.set_mode(patch ? v1::WRITE_MODE_PATCH : v1::WRITE_MODE_UPSERT);
  for (auto& record : *records) *write.add_records() = std::move(record);
  records->clear();
  if (write.ByteSizeLong() > static_cast<size_t>(kMaxMessageBytes)) {
    respond->Error(
        Make(413, "request_too_large",
             absl::StrCat("the request maps to more than ",
                          kMaxMessageBytes / (1024 * 1024),
                          " MiB of rows; send it in smaller parts")));
    return;
  }
  AsyncCall<v1::WriteRequest, v1::WriteResponse>(
      [storage](auto* c, auto* q, auto* r, auto cb) {
        storage->async()->Write(c, q, r, cb);
      },
      std::move(write), kWriteTimeout,
      [respond](absl::Status status, v1::WriteResponse& response) {
        if (!status.ok()) {
          respond->Error(ToHttpError(status));
          return;
        }
        Responder::Headers headers;
        if (response.replayed())
          headers.emplace_back("Idempotent-Replayed", "true");
        respond->Json(200,
                      absl::StrCat(R"({"status":"ok","records":)",
                                   response.records(), "}"),
                      headers);
      });
}

}  // namespace

void IngestHandler::onRequest(const Pistache::Http::Request& request,
                              Pistache::Http::ResponseWriter response) {
  auto copy = std::make_shared<RequestCopy>(CopyRequest(request));
  auto respond =
      std::make_shared<Responder>(std::move(response), context_.metrics,
                                  copy->method, copy->path, copy->start);
  Handle(context_, std::move(copy), std::move(respond));
}

void IngestHandler::Handle(const IngestContext& context,
                           std::shared_ptr<RequestCopy> request,
                           std::shared_ptr<Responder> respond) {
  const auto& segments = request->segments;
  bool shape_ok = (segments.size() == 2 || segments.size() == 3) &&
                  crypto::IsUuid(segments[0]) && crypto::IsUuid(segments[1]);
  if (!shape_ok) {
    respond->Error(Make(404, "not_found",
                        "no listener at this path; listener URLs look like "
                        "/{serviceUuid}/{listenerUuid}"));
    return;
  }
  const std::string& method = request->method;
  if (method != "POST" && method != "PUT" && method != "PATCH" &&
      method != "DELETE") {
    respond->Error(
        Make(405, "method_not_allowed",
             absl::StrCat("method ", method,
                          " is not allowed; use POST, PUT, PATCH or DELETE")),
        {{"Allow", "POST, PUT, PATCH, DELETE"}});
    return;
  }
  if (segments.size() == 3 && !segments[2].empty() && method != "DELETE") {
    respond->Error(Make(405, "method_not_allowed",
                        absl::StrCat(method,
                                     " takes no record id in the path; send "
                                     "the record in the body")),
                   {{"Allow", "DELETE"}});
    return;
  }
  std::string integration = absl::AsciiStrToLower(segments[0]);
  std::string listener = absl::AsciiStrToLower(segments[1]);
  context.listeners->Get(
      integration, listener,
      [context, request,
       respond](absl::StatusOr<std::shared_ptr<const ListenerEntry>> entry) {
        if (!entry.ok()) {
          if (entry.status().code() == absl::StatusCode::kNotFound) {
            respond->Error(
                Make(404, "not_found", "unknown integration or listener"));
          } else {
            respond->Error(ToHttpError(entry.status()));
          }
          return;
        }
        const v1::Verifier& verifier = (*entry)->verifier;
        const std::string& uuid = (*entry)->listener.uuid();
        if (int wait = context.limiter->BlockedFor(uuid, request->client);
            wait > 0) {
          respond->Error(HttpError{
              429, "rate_limited",
              "too many failed authentication attempts; retry later", wait});
          return;
        }
        auto reject = [context, request, respond, uuid,
                       basic = verifier.config().method() ==
                               v1::AUTH_METHOD_BASIC](Verdict verdict) {
          context.limiter->RecordFailure(uuid, request->client);
          Responder::Headers headers;
          if (basic)
            headers.emplace_back("WWW-Authenticate",
                                 "Basic realm=\"sluice\", charset=\"UTF-8\"");
          respond->Error(
              Make(401, "unauthorized",
                   verdict == Verdict::kMissing ? "missing credentials"
                                                : "invalid credentials"),
              headers);
        };
        PresentedCredentials presented{
            [request](const std::string& name) {
              return request->Header(name);
            },
            [request](const std::string& name) { return request->Query(name); },
            request->body,
            std::chrono::duration_cast<std::chrono::seconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count()};
        Verdict verdict = CheckCredentials(verifier, presented);
        if (verdict == Verdict::kNeedsPassword) {
          auto basic = ParseBasic(request->Header("Authorization"));
          auto listener_entry = *entry;
          context.passwords->Check(
              uuid, verifier.version(), verifier.password_kdf(),
              basic ? basic->second : "",
              [context, request, respond, reject,
               listener_entry](absl::StatusOr<bool> ok) {
                if (!ok.ok()) {
                  respond->Error(ToHttpError(ok.status()));
                } else if (!*ok) {
                  reject(Verdict::kInvalid);
                } else {
                  Write(context, request, respond, listener_entry);
                }
              });
          return;
        }
        if (verdict != Verdict::kOk) {
          reject(verdict);
          return;
        }
        Write(context, request, respond, *entry);
      });
}

}  // namespace sluice::edge

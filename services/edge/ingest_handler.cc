#include "services/edge/ingest_handler.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/crypto/crypto.h"
#include "common/rpc/rpc.h"
#include "common/status/error_code.h"
#include "services/edge/credential_check.h"
#include "common/mapping/json_path.h"
#include "common/mapping/timestamp.h"
#include "common/script/transform_script.h"
#include "services/edge/ingest_request.h"
#include "services/edge/write_batcher.h"

namespace sluice::edge {
namespace {


HttpError Make(int status, const std::string& code,
               const std::string& message) {
  return HttpError{status, code, message};
}

// The answer for a listener URL that names no listener.
HttpError UnknownListener() {
  return Make(404, "not_found", "unknown integration or listener");
}

// Answers a failed listener lookup (an unknown listener is the same 404
// whether the index or the lookup found it out); false when it is OK.
bool LookupFailed(const absl::Status& status, Responder& respond) {
  if (status.ok()) return false;
  respond.Error(status.code() == absl::StatusCode::kNotFound
                    ? UnknownListener()
                    : ToHttpError(status));
  return true;
}

// Answers `status` as an error; false when it is OK.
bool Failed(const absl::Status& status, const std::shared_ptr<Responder>& r) {
  if (status.ok()) return false;
  r->Error(ToHttpError(status));
  return true;
}

// From here on the answer goes to the listener's log and metrics.
std::shared_ptr<RequestLog> AttachLog(const IngestContext& context,
                                      std::shared_ptr<RequestCopy> request,
                                      Responder& respond,
                                      const std::string& integration_uuid,
                                      const v1::Listener& listener) {
  auto log = std::make_shared<RequestLog>();
  log->sink = context.log;
  log->metrics = context.listener_metrics;
  log->request = std::move(request);
  log->integration_uuid = integration_uuid;
  log->listener_uuid = listener.uuid();
  log->listener_name = listener.name();
  log->auth = listener.auth();
  respond.Attach(log);
  return log;
}

void Delete(const IngestContext& context, const RequestCopy& request,
            std::shared_ptr<Responder> respond, const ListenerEntry& entry,
            const ListenerPath& path) {
  auto text = DeleteKeyText(
      path, entry.mapper->key_fields(),
      [&](const std::string& name) { return request.Query(name); });
  if (Failed(text.status(), respond)) return;
  auto key = entry.mapper->KeyFromText(*text);
  if (Failed(key.status(), respond)) return;
  v1::DeleteRequest del;
  del.set_listener_uuid(entry.listener.uuid());
  for (auto& v : *key) *del.add_key() = std::move(v);
  auto* storage = context.backends->storage.get();
  AsyncCall<v1::DeleteRequest, v1::DeleteResponse>(
      [storage](auto* c, auto* q, auto* r, auto cb) {
        storage->async()->Delete(c, q, r, cb);
      },
      std::move(del), kWriteTimeout,
      [respond](absl::Status status, v1::DeleteResponse& response) {
        if (Failed(status, respond)) return;
        respond->Json(200, absl::StrCat(R"({"status":"ok","deleted":)",
                                        response.deleted(), "}"));
      });
}

void Write(const IngestContext& context, std::shared_ptr<RequestCopy> request,
           std::shared_ptr<Responder> respond,
           std::shared_ptr<const ListenerEntry> entry,
           const ListenerPath& path) {
  const v1::Listener& listener = entry->listener;
  if (Failed(CheckBodySize(request->body.size(), listener.max_body_bytes()),
             respond)) {
    return;
  }
  if (request->method == "DELETE") {
    return Delete(context, *request, std::move(respond), *entry, path);
  }
  if (Failed(CheckJsonContentType(request->Header("Content-Type")), respond)) {
    return;
  }
  auto idempotency_key = IdempotencyKey(
      [&](const std::string& name) { return request->Header(name); },
      listener.auth());
  if (Failed(idempotency_key.status(), respond)) return;
  // The script, when the listener has one, reshapes the records before
  // they are mapped.
  std::string transformed;
  if (!listener.script().empty()) {
    script::Context ctx;
    ctx.scope = listener.uuid();
    ctx.listener = listener.name();
    ctx.method = request->method;
    ctx.received = mapping::FormatIso8601(
        std::chrono::duration_cast<std::chrono::microseconds>(
            request->received.time_since_epoch())
            .count());
    ctx.headers = HeadersWithoutCredentials(request->headers, listener.auth());
    auto out = script::Transform(
        listener.script(), request->body,
        mapping::SplitUserPath(listener.structure().root_path()), ctx);
    if (Failed(out.status(), respond)) return;
    transformed = *std::move(out);
  }
  auto write = BuildWriteRequest(
      listener.uuid(), *entry->mapper, request->method,
      listener.script().empty() ? std::string_view(request->body)
                                : std::string_view(transformed),
      *std::move(idempotency_key),
      /*transformed=*/!listener.script().empty());
  if (Failed(write.status(), respond)) return;
  auto answer = [respond](absl::Status status, v1::WriteResponse& response) {
        if (Failed(status, respond)) return;
        if (RequestLog* log = respond->log()) log->records = response.records();
        Responder::Headers headers;
        if (response.replayed())
          headers.emplace_back("Idempotent-Replayed", "true");
        respond->Json(200,
                      absl::StrCat(R"({"status":"ok","records":)",
                                   response.records(), "}"),
                      headers);
  };
  context.backends->storage_writes->Write(*std::move(write), std::move(answer));
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
  auto path = ParseListenerPath(request->segments);
  if (Failed(path.status(), respond)) return;
  if (absl::Status s = CheckMethod(request->method, *path); !s.ok()) {
    respond->Error(ToHttpError(s), {{"Allow", AllowedMethods(*path)}});
    return;
  }
  if (context.index != nullptr &&
      context.index->Find(path->integration, path->listener) ==
          ListenerIndex::Lookup::kUnknown) {
    respond->Error(UnknownListener());
    return;
  }
  context.listeners->Get(
      path->integration, path->listener,
      [context, request, respond, path = *path](
          absl::StatusOr<std::shared_ptr<const ListenerEntry>> entry) {
        if (LookupFailed(entry.status(), *respond)) return;
        const v1::Verifier& verifier = (*entry)->verifier;
        const std::string& uuid = (*entry)->listener.uuid();
        auto log = AttachLog(context, request, *respond, path.integration,
                             (*entry)->listener);
        if (int wait = context.limiter->BlockedFor(uuid, request->client);
            wait > 0) {
          respond->Error(HttpError{
              429, "rate_limited",
              "too many failed authentication attempts; retry later", wait});
          return;
        }
        auto unauthorized = [respond,
                             basic = verifier.config().method() ==
                                     v1::AUTH_METHOD_BASIC](Verdict verdict) {
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
        auto reject = [context, request, uuid, unauthorized](Verdict verdict) {
          context.limiter->RecordFailure(uuid, request->client);
          unauthorized(verdict);
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
          // A user-chosen password goes through the KDF, whatever the user
          // name: both decide together, so a wrong name takes as long as a
          // wrong password. Until its verdict the attempt counts against
          // the failure limit.
          auto basic = ParseBasic(request->Header("Authorization"));
          std::string password = basic ? basic->second : "";
          bool user_ok =
              basic && crypto::ConstantTimeEquals(basic->first,
                                                  verifier.config().username());
          std::string attempt = crypto::Sha256(password);
          context.limiter->BeginPending(uuid, request->client, attempt);
          auto listener_entry = *entry;
          context.passwords->Check(
              uuid, verifier.version(), verifier.password_kdf(), password,
              [context, request, respond, unauthorized, listener_entry, path,
               uuid, attempt, user_ok, log](absl::StatusOr<bool> ok) {
                bool valid = ok.ok() && *ok && user_ok;
                context.limiter->Resolve(uuid, request->client, attempt,
                                         /*failed=*/ok.ok() && !valid);
                if (!ok.ok()) {
                  respond->Error(ToHttpError(ok.status()));
                } else if (!valid) {
                  unauthorized(Verdict::kInvalid);
                } else {
                  log->authenticated = true;
                  Write(context, request, respond, listener_entry, path);
                }
              });
          return;
        }
        if (verdict != Verdict::kOk) {
          reject(verdict);
          return;
        }
        log->authenticated = true;
        Write(context, request, respond, *entry, path);
      });
}

void IngestHandler::Replay(const IngestContext& context,
                           const v1::LogEntry& logged,
                           std::shared_ptr<Responder> respond) {
  auto request = std::make_shared<RequestCopy>();
  request->start = std::chrono::steady_clock::now();
  request->received = std::chrono::system_clock::now();
  request->method = logged.method();
  const std::string& target = logged.path();
  size_t question = target.find('?');
  SetPath(target.substr(0, question), request.get());
  if (question != std::string::npos)
    SetQuery(target.substr(question + 1), request.get());
  for (const auto& h : logged.headers()) request->headers[h.name()] = h.value();
  request->body = logged.body();
  auto path = ParseListenerPath(request->segments);
  if (Failed(path.status(), respond)) return;
  const int64_t replay_of = logged.id();
  context.listeners->Get(
      path->integration, path->listener,
      [context, request, respond, path = *path, replay_of](
          absl::StatusOr<std::shared_ptr<const ListenerEntry>> entry) {
        if (LookupFailed(entry.status(), *respond)) return;
        auto log = AttachLog(context, request, *respond, path.integration,
                             (*entry)->listener);
        log->authenticated = true;
        log->replay_of = replay_of;
        Write(context, request, respond, *entry, path);
      });
}

}  // namespace sluice::edge

#ifndef SLUICE_SERVICES_EDGE_INGEST_HANDLER_H_
#define SLUICE_SERVICES_EDGE_INGEST_HANDLER_H_

#include <pistache/http.h>

#include <chrono>
#include <memory>

#include "services/edge/auth_guards.h"
#include "services/edge/backends.h"
#include "services/edge/http_util.h"
#include "services/edge/listener_cache.h"
#include "services/edge/webhook_log.h"
#include "services/edge/listener_index.h"

namespace sluice {
class RequestMetrics;
}

namespace sluice::edge {

// Shared state of the ingest handlers (one clone per Pistache worker).
// How long the edge waits for storage to answer a write or delete.
inline constexpr std::chrono::milliseconds kWriteTimeout(15000);

struct IngestContext {
  Backends* backends = nullptr;
  ListenerCache* listeners = nullptr;
  RequestMetrics* metrics = nullptr;
  FailureLimiter* limiter = nullptr;
  PasswordChecker* passwords = nullptr;
  // May be null (then every listener is looked up).
  ListenerIndex* index = nullptr;
  // Webhook log and per-listener metrics; either may be null.
  WebhookLog* log = nullptr;
  ListenerMetrics* listener_metrics = nullptr;
};

// The ingest API (DESIGN §3): /{serviceUuid}/{listenerUuid}[/{recordId}].
// Never blocks a Pistache worker: listener lookups and writes are
// asynchronous gRPC calls that answer from their completion callbacks.
class IngestHandler : public Pistache::Http::Handler {
 public:
  HTTP_PROTOTYPE(IngestHandler)
  explicit IngestHandler(IngestContext context) : context_(context) {}

  void onRequest(const Pistache::Http::Request& request,
                 Pistache::Http::ResponseWriter response) override;

  // The whole ingest pipeline for a copied request; `respond` owns the
  // response. Exposed for handlers that front the same path.
  static void Handle(const IngestContext& context,
                     std::shared_ptr<RequestCopy> request,
                     std::shared_ptr<Responder> respond);

  // Runs a logged request again through its listener's current structure
  // and script, without checking credentials (they passed on arrival), and
  // answers on `respond` as ingest would. The run is logged as a new entry.
  static void Replay(const IngestContext& context, const v1::LogEntry& entry,
                     std::shared_ptr<Responder> respond);

 private:
  IngestContext context_;
};

}  // namespace sluice::edge

#endif  // SLUICE_SERVICES_EDGE_INGEST_HANDLER_H_

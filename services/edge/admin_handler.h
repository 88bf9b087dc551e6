#ifndef SLUICE_SERVICES_EDGE_ADMIN_HANDLER_H_
#define SLUICE_SERVICES_EDGE_ADMIN_HANDLER_H_

#include <pistache/http.h>

#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "services/edge/backends.h"
#include "services/edge/console_files.h"
#include "services/edge/http_util.h"
#include "services/edge/ingest_handler.h"
#include "services/edge/listener_cache.h"
#include "services/edge/listener_index.h"

namespace sluice {
class RequestMetrics;
}

namespace sluice::edge {

// The admin key, re-read from its file when the file changes, so the key
// is rotated by replacing the file (or the Kubernetes Secret behind it).
class AdminKey {
 public:
  // `file` empty: a fixed key.
  AdminKey(std::string file, std::string fixed_key);
  // The key now; empty when none is usable.
  std::string Current();

 private:
  const std::string file_;
  absl::Mutex mu_;
  std::string key_ ABSL_GUARDED_BY(mu_);
  int64_t mtime_ns_ ABSL_GUARDED_BY(mu_) = -1;
};

struct AdminContext {
  Backends* backends = nullptr;
  ListenerCache* listeners = nullptr;
  // Told of listeners created and deleted here; may be null.
  ListenerIndex* index = nullptr;
  RequestMetrics* metrics = nullptr;
  // Compared in constant time with the Bearer token of every request.
  AdminKey* admin_key = nullptr;
  // Base of listener URLs, e.g. "https://sluice.example.com:8443".
  std::string ingest_base_url;
  // The web console, served at "/" and "/<file>".
  ConsoleFiles console = ConsoleFiles::Placeholder();
  // The ingest pipeline, for replays from the webhook log.
  const IngestContext* ingest = nullptr;
};

// The admin API (DESIGN §4) under /api/v1, and the console at "/". Every
// /api route needs `Authorization: Bearer <admin key>`. Backend calls are
// asynchronous; no Pistache worker blocks.
class AdminHandler : public Pistache::Http::Handler {
 public:
  HTTP_PROTOTYPE(AdminHandler)
  explicit AdminHandler(std::shared_ptr<const AdminContext> context)
      : context_(std::move(context)) {}

  void onRequest(const Pistache::Http::Request& request,
                 Pistache::Http::ResponseWriter response) override;

 private:
  std::shared_ptr<const AdminContext> context_;
};

}  // namespace sluice::edge

#endif  // SLUICE_SERVICES_EDGE_ADMIN_HANDLER_H_

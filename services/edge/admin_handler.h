#ifndef SLUICE_SERVICES_EDGE_ADMIN_HANDLER_H_
#define SLUICE_SERVICES_EDGE_ADMIN_HANDLER_H_

#include <pistache/http.h>

#include <memory>
#include <string>

#include "services/edge/backends.h"
#include "services/edge/http_util.h"
#include "services/edge/listener_cache.h"

namespace sluice {
class RequestMetrics;
}

namespace sluice::edge {

struct AdminContext {
  Backends* backends = nullptr;
  ListenerCache* listeners = nullptr;
  RequestMetrics* metrics = nullptr;
  // Compared in constant time with the Bearer token of every request.
  std::string admin_key;
  // Base of listener URLs, e.g. "https://sluice.example.com:8443".
  std::string ingest_base_url;
  // The web console page served at "/".
  std::string console_html;
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

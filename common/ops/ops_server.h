#ifndef SLUICE_COMMON_OPS_OPS_SERVER_H_
#define SLUICE_COMMON_OPS_OPS_SERVER_H_

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"

namespace sluice {

class RequestMetrics;

struct OpsServerOptions {
  std::string address = "127.0.0.1";
  int port = 0;
  // /readyz answers 200 when this returns OK, else 503 with its message.
  // It runs on a thread of its own every `ready_interval`, and /readyz
  // answers its latest result at once: a slow dependency never holds up
  // /healthz or the probe.
  std::function<absl::Status()> ready;
  std::chrono::milliseconds ready_interval{250};
  // /metrics; may be null.
  const RequestMetrics* metrics = nullptr;
};

// The plain-HTTP operations endpoint every service has: /healthz (the
// process is alive), /readyz (its dependencies answer) and /metrics
// (Prometheus text). One thread serves, another checks readiness.
class OpsServer {
 public:
  explicit OpsServer(OpsServerOptions options);
  ~OpsServer();
  OpsServer(const OpsServer&) = delete;
  OpsServer& operator=(const OpsServer&) = delete;

  // Binds and serves in the background. The bound port is port().
  absl::Status Start();
  void Shutdown();
  int port() const { return port_; }

 private:
  class Impl;
  OpsServerOptions options_;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace sluice

#endif  // SLUICE_COMMON_OPS_OPS_SERVER_H_

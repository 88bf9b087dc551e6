#ifndef SLUICE_COMMON_RPC_RPC_H_
#define SLUICE_COMMON_RPC_RPC_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace sluice {

class RequestMetrics;

// The largest message Sluice's servers and channels take (both ways).
// Callers with client-sized requests check ByteSizeLong() against it first.
inline constexpr int kMaxMessageBytes = 64 * 1024 * 1024;

// Transport security of the internal gRPC APIs, the same for every server
// and channel of the process: plaintext, or mutual TLS when
// SLUICE_GRPC_TLS_CERT_FILE, SLUICE_GRPC_TLS_KEY_FILE and
// SLUICE_GRPC_TLS_CA_FILE name PEM files (the tls.crt, tls.key and ca.crt
// of a cert-manager Certificate's Secret). With TLS, servers take only
// clients whose certificate that CA issued, clients check the server's
// certificate names the host they dial, and the files are read again every
// minute, so renewed certificates are used without a restart.
// OK when the settings are usable (none set, or all three readable).
absl::Status CheckGrpcTls();

struct GrpcServerOptions {
  // A connection is closed (GOAWAY, calls in flight may finish within the
  // grace) after this long, so clients resolve the service's name again
  // and balance over pods added since: SLUICE_GRPC_MAX_CONNECTION_AGE_MS and
  // SLUICE_GRPC_MAX_CONNECTION_AGE_GRACE_MS.
  std::chrono::milliseconds max_connection_age{30000};
  std::chrono::milliseconds max_connection_age_grace{10000};
};
GrpcServerOptions GrpcServerOptionsFromEnvironment();

// A started gRPC server with the standard health service, server reflection
// and per-method request metrics. SO_REUSEPORT is off so two servers can
// never share a port silently.
struct GrpcServer {
  std::unique_ptr<grpc::Server> server;
  int port = 0;
};
absl::StatusOr<GrpcServer> StartGrpcServer(
    const std::string& address, const std::vector<grpc::Service*>& services,
    RequestMetrics* metrics,
    const GrpcServerOptions& options = GrpcServerOptionsFromEnvironment());

// A channel to another Sluice service. `target` may be "host:port" or a
// "dns:///" name of a headless Service: calls are balanced per request with
// round_robin across its addresses. Reconnect backoff is capped at 1 s so a
// restarted backend is used again within about a second.
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target);

// OK when `channel` connects within `timeout`, else UNAVAILABLE naming `what`.
absl::Status CheckChannel(
    grpc::Channel& channel, const std::string& what,
    std::chrono::milliseconds timeout = std::chrono::milliseconds(500));

// A client context with a deadline `timeout` from now. With `wait_for_ready`
// a call to a backend that is reconnecting waits for it (until the deadline)
// instead of failing at once: right for control-plane calls, not for the
// ingest path, which answers 503 fast.
std::unique_ptr<grpc::ClientContext> ContextWithDeadline(
    std::chrono::milliseconds timeout, bool wait_for_ready = false);

// Fixed threads that run blocking work (MySQL, calls to other services) so
// gRPC's callback threads never block. At most `max_queued` jobs wait (0: no
// bound). Thread-safe.
class BlockingExecutor {
 public:
  explicit BlockingExecutor(int threads, size_t max_queued = 0);
  ~BlockingExecutor();
  BlockingExecutor(const BlockingExecutor&) = delete;
  BlockingExecutor& operator=(const BlockingExecutor&) = delete;

  // Queues `job` even past the bound (internal work that must run).
  void Submit(std::function<void()> job);
  // Queues `job` unless `max_queued` jobs wait already; false then.
  bool TrySubmit(std::function<void()> job);

  // Runs `fn` on the executor and finishes the call's default reactor with
  // its status: the usual body of a CallbackService method. A call whose
  // client gave up or whose deadline passed while it waited is finished
  // without running `fn`.
  grpc::ServerUnaryReactor* Offload(grpc::CallbackServerContext* context,
                                    std::function<grpc::Status()> fn);
  // The same for traffic that may be shed: a full queue is UNAVAILABLE at
  // once (ingest writes; control-plane calls use Offload and always queue).
  grpc::ServerUnaryReactor* OffloadOrShed(grpc::CallbackServerContext* context,
                                          std::function<grpc::Status()> fn);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  const size_t max_queued_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace sluice

#endif  // SLUICE_COMMON_RPC_RPC_H_

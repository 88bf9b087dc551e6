#ifndef SLUICE_COMMON_SERVICE_SERVICE_MAIN_H_
#define SLUICE_COMMON_SERVICE_SERVICE_MAIN_H_

// The shared part of every Sluice service's main(): common flags, signal
// handling, migrations, the gRPC server and the ops endpoint.
//
// Common flags (each with an environment fallback):
//   --grpc_address (SLUICE_GRPC_ADDRESS)  where the gRPC server listens
//   --ops_address  (SLUICE_OPS_ADDRESS)   where the ops endpoint listens
//                                         (127.0.0.1; 0.0.0.0 in a pod)
//   --ops_port     (SLUICE_OPS_PORT)      /healthz, /readyz, /metrics
//   --db_host --db_port --db_user (SLUICE_DB_HOST, SLUICE_DB_PORT,
//   SLUICE_DB_USER)
//   --db_password_file (SLUICE_DB_PASSWORD_FILE; SLUICE_DB_PASSWORD as a
//   fallback)
//   --log_level (SLUICE_LOG_LEVEL)

#include <grpcpp/grpcpp.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/mysql/mysql_pool.h"
#include "common/ops/ops_server.h"

namespace sluice {

class RequestMetrics;

// Blocks SIGINT/SIGTERM in every thread (call first in main, before any
// thread starts) and ignores SIGPIPE; parses flags; initializes logging;
// exits when the gRPC TLS settings are unusable (CheckGrpcTls).
void InitService(const std::string& name, int argc, char** argv);

// Blocks until SIGTERM or SIGINT arrives (blocked by InitService); returns
// the signal number.
int WaitForTerminationSignal();

// MySqlOptions from the common flags, for `database`.
MySqlOptions DatabaseOptionsFromFlags(const std::string& database,
                                      int max_connections);

// The ops endpoint's address and port from the common flags, with
// `default_port` when neither --ops_port nor SLUICE_OPS_PORT sets one.
OpsServerOptions OpsOptionsFromFlags(int default_port);

// The environment variable `name`, or `fallback` when unset or empty.
std::string EnvOr(const char* name, const std::string& fallback);
int EnvIntOr(const char* name, int fallback);

struct ServiceRun {
  std::string name;
  // Databases this service owns, created and migrated at start. The first
  // one is the pool's own.
  MySqlPool* pool = nullptr;
  std::vector<std::vector<std::string>> migrations;
  // Runs after migrations succeed (e.g. to load caches); may be null.
  std::function<absl::Status()> after_migrate;
  std::vector<grpc::Service*> services;
  // Extra readiness: other services this one needs. May be null.
  std::function<absl::Status()> ready;
  RequestMetrics* metrics = nullptr;
  // Called once the termination signal arrives, before the server drains.
  std::function<void()> on_shutdown;
};

// Starts the gRPC and ops servers, applies migrations (retrying until the
// database answers; /readyz is 503 until then), waits for SIGTERM/SIGINT,
// then drains in-flight calls (up to 10 s) and returns the exit code.
int RunService(ServiceRun& run);

}  // namespace sluice

#endif  // SLUICE_COMMON_SERVICE_SERVICE_MAIN_H_

#include "common/service/service_main.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "common/log/log.h"
#include "common/ops/metrics.h"
#include "common/ops/ops_server.h"
#include "common/rpc/rpc.h"

ABSL_FLAG(std::string, grpc_address,
          sluice::EnvOr("SLUICE_GRPC_ADDRESS", "127.0.0.1:0"),
          "address the gRPC server listens on");
ABSL_FLAG(int, ops_port, sluice::EnvIntOr("SLUICE_OPS_PORT", 0),
          "port of /healthz, /readyz, /metrics");
ABSL_FLAG(std::string, ops_address,
          sluice::EnvOr("SLUICE_OPS_ADDRESS", "127.0.0.1"),
          "address of the ops endpoint");
ABSL_FLAG(std::string, db_host, sluice::EnvOr("SLUICE_DB_HOST", "127.0.0.1"),
          "MySQL host");
ABSL_FLAG(int, db_port, sluice::EnvIntOr("SLUICE_DB_PORT", 3306), "MySQL port");
ABSL_FLAG(std::string, db_user, sluice::EnvOr("SLUICE_DB_USER", "root"),
          "MySQL user");
ABSL_FLAG(std::string, db_password_file,
          sluice::EnvOr("SLUICE_DB_PASSWORD_FILE", ""),
          "file holding the MySQL password");
ABSL_FLAG(std::string, log_level, sluice::EnvOr("SLUICE_LOG_LEVEL", "info"),
          "log level");

namespace sluice {

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::string(value) : fallback;
}

int EnvIntOr(const char* name, int fallback) {
  std::string value = EnvOr(name, "");
  return value.empty() ? fallback : std::atoi(value.c_str());
}

void InitService(const std::string& name, int argc, char** argv) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  absl::ParseCommandLine(argc, argv);
  log::Init(name, absl::GetFlag(FLAGS_log_level));
  // Before any channel or server exists: unusable TLS settings stop the
  // start, naming the file, and never fall back to plaintext.
  if (absl::Status tls = CheckGrpcTls(); !tls.ok()) {
    spdlog::critical("msg=\"unusable gRPC TLS settings\" error=\"{}\"",
                     std::string(tls.message()));
    std::exit(1);
  }
  // Debian's abseil is built with assertions, which turns on absl::Mutex's
  // lock-order graph for every lock taken: measured at about 1% of the
  // edge's and storage's CPU under load. Unit tests, which do not start
  // through here, keep it on.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
}

int WaitForTerminationSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int signal_number = 0;
  sigwait(&set, &signal_number);
  return signal_number;
}

MySqlOptions DatabaseOptionsFromFlags(const std::string& database,
                                      int max_connections) {
  MySqlOptions options;
  options.host = absl::GetFlag(FLAGS_db_host);
  options.port = absl::GetFlag(FLAGS_db_port);
  options.user = absl::GetFlag(FLAGS_db_user);
  options.database = database;
  options.max_connections = max_connections;
  std::string file = absl::GetFlag(FLAGS_db_password_file);
  if (!file.empty()) {
    std::ifstream in(file);
    std::getline(in, options.password);
  } else {
    options.password = EnvOr("SLUICE_DB_PASSWORD", "");
  }
  return options;
}

OpsServerOptions OpsOptionsFromFlags(int default_port) {
  OpsServerOptions options;
  options.address = absl::GetFlag(FLAGS_ops_address);
  options.port = absl::GetFlag(FLAGS_ops_port);
  if (options.port == 0) options.port = default_port;
  return options;
}

int RunService(ServiceRun& run) {
  std::atomic<bool> migrated{false};
  std::atomic<bool> stopping{false};
  std::thread migrator([&] {
    int attempt = 0;
    while (!stopping) {
      absl::Status status = run.pool->EnsureDatabase();
      if (status.ok()) status = run.pool->Migrate(run.name, run.migrations);
      if (status.ok() && run.after_migrate) status = run.after_migrate();
      if (status.ok()) {
        migrated = true;
        spdlog::info("msg=\"database ready\" database={}",
                     run.pool->options().database);
        return;
      }
      if (attempt++ % 10 == 0) {
        spdlog::warn("msg=\"database not ready, retrying\" error=\"{}\"",
                     std::string(status.message()));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  });

  auto server = StartGrpcServer(absl::GetFlag(FLAGS_grpc_address), run.services,
                                run.metrics);
  if (!server.ok()) {
    spdlog::critical("msg=\"cannot start gRPC server\" error=\"{}\"",
                     std::string(server.status().message()));
    stopping = true;
    migrator.join();
    return 1;
  }
  OpsServerOptions ops_options = OpsOptionsFromFlags(0);
  ops_options.metrics = run.metrics;
  ops_options.ready = [&]() -> absl::Status {
    if (!migrated) return absl::UnavailableError("database not migrated yet");
    absl::Status db = run.pool->Ping();
    if (!db.ok()) return db;
    return run.ready ? run.ready() : absl::OkStatus();
  };
  OpsServer ops(ops_options);
  if (absl::Status s = ops.Start(); !s.ok()) {
    spdlog::critical("msg=\"cannot start ops server\" error=\"{}\"",
                     std::string(s.message()));
    stopping = true;
    migrator.join();
    return 1;
  }
  spdlog::info("msg=\"serving\" grpc_port={} ops_port={}", server->port,
               ops.port());

  int signal_number = WaitForTerminationSignal();
  spdlog::info("msg=\"shutting down\" signal={}", signal_number);
  stopping = true;
  if (run.on_shutdown) run.on_shutdown();
  server->server->Shutdown(std::chrono::system_clock::now() +
                           std::chrono::seconds(10));
  ops.Shutdown();
  migrator.join();
  spdlog::info("msg=\"stopped\"");
  return 0;
}

}  // namespace sluice

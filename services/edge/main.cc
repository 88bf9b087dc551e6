// sluice-edge: the HTTP edge. Ingest (8443 behind the TLS front) and admin
// (8444) requests become gRPC calls to the schema, auth and storage services.
#include <malloc.h>
#include <pistache/endpoint.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "common/log/log.h"
#include "common/ops/listener_metrics.h"
#include "common/ops/metrics.h"
#include "common/ops/ops_server.h"
#include "common/rpc/rpc.h"
#include "common/service/service_main.h"
#include "services/edge/admin_handler.h"
#include "services/edge/ingest_handler.h"
#include "services/edge/write_batcher.h"
#include "services/edge/listener_cache.h"
#include "services/edge/listener_index.h"

ABSL_FLAG(std::string, listen_address,
          sluice::EnvOr("SLUICE_EDGE_ADDRESS", "127.0.0.1"),
          "address the plain-HTTP ingest and admin ports bind to (behind the "
          "TLS front)");
ABSL_FLAG(int, ingest_port, sluice::EnvIntOr("SLUICE_INGEST_HTTP_PORT", 9080),
          "ingest HTTP port");
ABSL_FLAG(int, admin_port, sluice::EnvIntOr("SLUICE_ADMIN_HTTP_PORT", 9081),
          "admin HTTP port");
ABSL_FLAG(int, threads, sluice::EnvIntOr("SLUICE_EDGE_THREADS", 4),
          "Pistache worker threads per port");
ABSL_FLAG(std::string, schema_target,
          sluice::EnvOr("SLUICE_SCHEMA_TARGET", "127.0.0.1:9102"),
          "schema service");
ABSL_FLAG(std::string, auth_target,
          sluice::EnvOr("SLUICE_AUTH_TARGET", "127.0.0.1:9101"),
          "auth service");
ABSL_FLAG(std::string, storage_target,
          sluice::EnvOr("SLUICE_STORAGE_TARGET", "127.0.0.1:9103"),
          "storage service");
ABSL_FLAG(std::string, retention_target,
          sluice::EnvOr("SLUICE_RETENTION_TARGET", "127.0.0.1:9104"),
          "retention service");
ABSL_FLAG(std::string, admin_key_file,
          sluice::EnvOr("SLUICE_ADMIN_KEY_FILE", ""),
          "file holding the admin key (SLUICE_ADMIN_KEY is used when unset)");
ABSL_FLAG(std::string, public_url,
          sluice::EnvOr("SLUICE_PUBLIC_URL", "https://localhost:8443"),
          "base URL of the ingest API as senders reach it");
ABSL_FLAG(std::string, console_dir, sluice::EnvOr("SLUICE_CONSOLE_DIR", ""),
          "directory of the web console's files (services/edge/console); "
          "unset, / answers a placeholder page");
ABSL_FLAG(int, log_entries, sluice::EnvIntOr("SLUICE_LOG_ENTRIES", 10),
          "webhook log entries kept per listener (storage's setting of the "
          "same name must match); 0 turns webhook logging off");
ABSL_FLAG(int, log_body_bytes,
          sluice::EnvIntOr("SLUICE_LOG_BODY_BYTES", 1024 * 1024),
          "largest body a webhook log entry keeps for replay");
ABSL_FLAG(int, metrics_listener_cap,
          sluice::EnvIntOr("SLUICE_METRICS_LISTENER_CAP", 200),
          "listeners with a /metrics label value of their own; the rest are "
          "counted under listener=\"other\"");
ABSL_FLAG(int, cache_ttl_ms, sluice::EnvIntOr("SLUICE_CACHE_TTL_MS", 2000),
          "how long listener config and credentials are cached");

namespace {

// Largest listener body limit plus room for headers.
constexpr size_t kMaxRequestBytes = 10 * 1024 * 1024 + 64 * 1024;

std::unique_ptr<Pistache::Http::Endpoint> Serve(
    const std::string& address, int port, int threads,
    std::shared_ptr<Pistache::Http::Handler> handler) {
  auto endpoint = std::make_unique<Pistache::Http::Endpoint>(
      Pistache::Address(address, Pistache::Port(static_cast<uint16_t>(port))));
  endpoint->init(Pistache::Http::Endpoint::options()
                     .threads(threads)
                     .flags(Pistache::Tcp::Options::ReuseAddr |
                            Pistache::Tcp::Options::NoDelay)
                     .maxRequestSize(kMaxRequestBytes)
                     .headerTimeout(std::chrono::seconds(30))
                     .bodyTimeout(std::chrono::seconds(30)));
  endpoint->setHandler(std::move(handler));
  endpoint->serveThreaded();
  return endpoint;
}

}  // namespace

int main(int argc, char** argv) {
  sluice::InitService("edge", argc, argv);
  // Bodies and their parse buffers reach megabytes: give such blocks back to
  // the system when freed instead of keeping them in the heap (glibc would
  // otherwise raise its mmap threshold and hold on to the peak).
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);

  sluice::edge::Backends backends;
  backends.schema_channel =
      sluice::MakeChannel(absl::GetFlag(FLAGS_schema_target));
  backends.auth_channel = sluice::MakeChannel(absl::GetFlag(FLAGS_auth_target));
  backends.storage_channel =
      sluice::MakeChannel(absl::GetFlag(FLAGS_storage_target));
  backends.retention_channel =
      sluice::MakeChannel(absl::GetFlag(FLAGS_retention_target));
  backends.schema = sluice::v1::SchemaService::NewStub(backends.schema_channel);
  backends.auth = sluice::v1::AuthService::NewStub(backends.auth_channel);
  backends.storage =
      sluice::v1::StorageService::NewStub(backends.storage_channel);
  backends.retention =
      sluice::v1::RetentionService::NewStub(backends.retention_channel);
  // Writes that arrive while two calls to storage are in flight leave
  // together in the next one.
  sluice::edge::WriteBatcher storage_writes(
      [&backends](sluice::v1::WriteManyRequest request,
                  std::function<void(absl::Status,
                                     sluice::v1::WriteManyResponse&)>
                      finished) {
        auto* storage = backends.storage.get();
        sluice::edge::AsyncCall<sluice::v1::WriteManyRequest,
                                sluice::v1::WriteManyResponse>(
            [storage](auto* c, auto* q, auto* r, auto cb) {
              storage->async()->WriteMany(c, q, r, cb);
            },
            std::move(request), sluice::edge::kWriteTimeout,
            std::move(finished));
      },
      sluice::edge::WriteBatcher::Options());
  backends.storage_writes = &storage_writes;

  sluice::RequestMetrics metrics("edge");
  sluice::ListenerMetrics listener_metrics(
      "sluice_edge_listener",
      static_cast<size_t>(std::max(0, absl::GetFlag(FLAGS_metrics_listener_cap))));
  sluice::edge::WebhookLogOptions log_options;
  log_options.keep = std::max(1, absl::GetFlag(FLAGS_log_entries));
  log_options.max_kept_body_bytes =
      static_cast<size_t>(std::max(0, absl::GetFlag(FLAGS_log_body_bytes)));
  sluice::edge::WebhookLog webhook_log(
      [&backends](const sluice::v1::AppendLogsRequest& request) {
        sluice::v1::AppendLogsResponse response;
        auto context =
            sluice::ContextWithDeadline(std::chrono::milliseconds(5000));
        return sluice::FromGrpcStatus(
            backends.storage->AppendLogs(context.get(), request, &response));
      },
      log_options);
  const bool logging = absl::GetFlag(FLAGS_log_entries) > 0;
  if (logging) webhook_log.Start();
  metrics.AddSection([&listener_metrics] { return listener_metrics.Render(); });
  metrics.AddSection([&webhook_log] { return webhook_log.RenderMetrics(); });
  sluice::edge::ListenerCache listeners(
      &backends, std::chrono::milliseconds(absl::GetFlag(FLAGS_cache_ttl_ms)));
  // Every listener's id, polled once a second: unknown listener URLs are
  // answered here, at no cost to the backends.
  sluice::edge::ListenerIndex index(
      [&backends](const std::string& digest)
          -> absl::StatusOr<sluice::v1::ListenerIndex> {
        sluice::v1::GetListenerIndexRequest request;
        request.set_known_digest(digest);
        sluice::v1::ListenerIndex response;
        auto context =
            sluice::ContextWithDeadline(std::chrono::milliseconds(3000));
        absl::Status status =
            sluice::FromGrpcStatus(backends.schema->GetListenerIndex(
                context.get(), request, &response));
        if (!status.ok()) return status;
        return response;
      },
      std::chrono::milliseconds(1000), std::chrono::seconds(10));
  index.Start();

  auto admin = std::make_shared<sluice::edge::AdminContext>();
  admin->backends = &backends;
  admin->listeners = &listeners;
  admin->index = &index;
  admin->metrics = &metrics;
  admin->ingest_base_url = absl::GetFlag(FLAGS_public_url);
  std::string key_file = absl::GetFlag(FLAGS_admin_key_file);
  sluice::edge::AdminKey admin_key(
      key_file, key_file.empty() ? sluice::EnvOr("SLUICE_ADMIN_KEY", "") : "");
  if (admin_key.Current().size() < 16) {
    spdlog::critical(
        "msg=\"an admin key of at least 16 characters is required\"");
    return 1;
  }
  admin->admin_key = &admin_key;
  if (std::string dir = absl::GetFlag(FLAGS_console_dir); !dir.empty()) {
    auto console = sluice::edge::ConsoleFiles::Load(dir);
    if (!console.ok()) {
      spdlog::critical("msg=\"{}\"", std::string(console.status().message()));
      return 1;
    }
    admin->console = *std::move(console);
  }

  // More than 20 failed authentications a minute from one address against
  // one listener answer 429 until the minute is over.
  sluice::edge::FailureLimiter limiter(20, std::chrono::seconds(60), 100000);
  sluice::edge::PasswordChecker passwords(2, 256, 10000);
  sluice::edge::IngestContext ingest{&backends, &listeners, &metrics,
                                     &limiter,  &passwords, &index,
                                     logging ? &webhook_log : nullptr,
                                     &listener_metrics};
  admin->ingest = &ingest;
  std::unique_ptr<Pistache::Http::Endpoint> ingest_endpoint, admin_endpoint;
  const std::string address = absl::GetFlag(FLAGS_listen_address);
  const int threads = absl::GetFlag(FLAGS_threads);
  try {
    ingest_endpoint = Serve(
        address, absl::GetFlag(FLAGS_ingest_port), threads,
        Pistache::Http::make_handler<sluice::edge::IngestHandler>(ingest));
    admin_endpoint =
        Serve(address, absl::GetFlag(FLAGS_admin_port), 2,
              Pistache::Http::make_handler<sluice::edge::AdminHandler>(admin));
  } catch (const std::exception& e) {
    spdlog::critical("msg=\"cannot listen\" error=\"{}\"", e.what());
    return 1;
  }

  std::atomic<bool> draining{false};
  sluice::OpsServerOptions ops_options = sluice::OpsOptionsFromFlags(9090);
  ops_options.metrics = &metrics;
  ops_options.ready = [&]() -> absl::Status {
    if (draining) return absl::UnavailableError("shutting down");
    for (auto& [channel, name] :
         {std::pair{backends.schema_channel.get(), "schema"},
          std::pair{backends.auth_channel.get(), "auth"},
          std::pair{backends.storage_channel.get(), "storage"}}) {
      absl::Status s = sluice::CheckChannel(*channel, name);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  };
  sluice::OpsServer ops(ops_options);
  if (absl::Status s = ops.Start(); !s.ok()) {
    spdlog::critical("msg=\"cannot start ops server\" error=\"{}\"",
                     std::string(s.message()));
    return 1;
  }
  spdlog::info("msg=\"serving\" ingest_port={} admin_port={} ops_port={}",
               static_cast<uint16_t>(ingest_endpoint->getPort()),
               static_cast<uint16_t>(admin_endpoint->getPort()), ops.port());

  // Threads that mapped a large body keep its freed memory in their malloc
  // arenas; hand it back to the system every few seconds (microseconds of
  // work when there is nothing to give back).
  std::atomic<bool> stopping{false};
  std::thread trimmer([&stopping] {
    while (!stopping.load()) {
      for (int i = 0; i < 50 && !stopping.load(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      malloc_trim(0);
    }
  });

  int signal_number = sluice::WaitForTerminationSignal();
  spdlog::info("msg=\"shutting down\" signal={}", signal_number);
  // Drain: /readyz turns 503 so load balancers stop sending, and requests
  // already received are answered (up to 10 s) before the ports close.
  draining = true;
  auto drain_deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (sluice::edge::Responder::InFlight() > 0 &&
         std::chrono::steady_clock::now() < drain_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ingest_endpoint->shutdown();
  admin_endpoint->shutdown();
  ops.Shutdown();
  webhook_log.Stop();
  stopping = true;
  trimmer.join();
  spdlog::info("msg=\"stopped\"");
  return 0;
}

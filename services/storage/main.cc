// sluice-storage: the data tables over gRPC; the only writer of them.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "common/ops/listener_metrics.h"
#include "common/ops/metrics.h"
#include "common/rpc/rpc.h"
#include "common/service/service_main.h"
#include "services/storage/data_store.h"
#include "services/storage/log_store.h"
#include "services/storage/storage_service.h"

int main(int argc, char** argv) {
  sluice::InitService("storage", argc, argv);
  // Blocking calls (catalog changes, reads, deletes, a listener's first
  // write) run on these threads; writes wait on none of them.
  const int threads = sluice::EnvIntOr("SLUICE_STORAGE_THREADS", 16);
  sluice::MySqlOptions db = sluice::DatabaseOptionsFromFlags(
      sluice::EnvOr("SLUICE_STORAGE_DATABASE", "sluice_storage"),
      std::max(1, sluice::EnvIntOr("SLUICE_STORAGE_CONNECTIONS", 16)));
  // Write statements kept prepared per connection (each shape the group
  // sizes bring), and the parameters they may hold in all.
  db.max_statements = static_cast<size_t>(
      std::max(1, sluice::EnvIntOr("SLUICE_STORAGE_STATEMENTS", 128)));
  db.max_statement_parameters = static_cast<size_t>(std::max(
      1, sluice::EnvIntOr("SLUICE_STORAGE_STATEMENT_PARAMETERS", 100000)));
  sluice::MySqlPool pool(db);
  // Declared before the store, whose committers report to it until they stop.
  sluice::Histogram commit_records(
      "sluice_storage_commit_records",
      "Records per committed write transaction (one group of writes).",
      {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 10000});
  sluice::RecordWriter::Options writer;
  // Write transactions (groups) running at once: one group's statements run
  // while another's commit waits for the log flush.
  writer.group.committers =
      std::max(1, sluice::EnvIntOr("SLUICE_STORAGE_WRITE_GROUPS", 2));
  writer.group.max_weight = static_cast<size_t>(
      std::max(1, sluice::EnvIntOr("SLUICE_STORAGE_GROUP_RECORDS", 4000)));
  // Records waiting for a group at most: past it a write is UNAVAILABLE at
  // once and the sender retries.
  writer.group.max_queued_weight = static_cast<size_t>(
      std::max(1, sluice::EnvIntOr("SLUICE_STORAGE_MAX_QUEUED_RECORDS", 50000)));
  sluice::DataStore store(
      &pool, sluice::EnvOr("SLUICE_DATA_DATABASE", "sluice_data"), writer);
  // Requests beyond these wait nowhere: 503 at once, the sender retries.
  sluice::BlockingExecutor executor(
      threads, sluice::EnvIntOr("SLUICE_STORAGE_MAX_QUEUED", 512));
  // Webhook log entries kept per listener.
  sluice::LogStore logs(&pool, std::max(1, sluice::EnvIntOr("SLUICE_LOG_ENTRIES", 10)));
  sluice::ListenerMetrics listener_metrics(
      "sluice_storage_listener",
      static_cast<size_t>(
          std::max(0, sluice::EnvIntOr("SLUICE_METRICS_LISTENER_CAP", 200))));
  store.writer().OnCommit([&](int64_t records) {
    commit_records.Observe(static_cast<double>(records));
  });
  sluice::StorageServiceImpl service(&store, &logs, &executor,
                                     &listener_metrics);
  sluice::RequestMetrics metrics("storage");
  metrics.AddSection([&] { return listener_metrics.Render(); });
  metrics.AddSection([&] { return commit_records.Render(); });

  sluice::ServiceRun run;
  run.name = "storage";
  run.pool = &pool;
  run.migrations = sluice::DataStore::Migrations();
  for (auto& step : sluice::LogStore::Migrations()) run.migrations.push_back(step);
  run.after_migrate = [&] { return store.EnsureDataDatabase(); };
  // Idempotency keys are kept 24 h; a sweep every 10 minutes forgets older
  // ones, all of them each time.
  std::atomic<bool> stopping{false};
  std::thread sweeper([&] {
    for (int tick = 0; !stopping; ++tick) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      if (tick % 600 == 60) (void)store.PurgeIdempotencyKeys();
    }
  });
  run.on_shutdown = [&] { stopping = true; };
  run.services = {&service};
  run.metrics = &metrics;
  int code = sluice::RunService(run);
  stopping = true;
  sweeper.join();
  return code;
}

// sluice-retention: retention policies and the purge scheduler over gRPC.
#include "absl/flags/flag.h"
#include "common/ops/metrics.h"
#include "common/rpc/rpc.h"
#include "common/service/service_main.h"
#include "services/retention/retention_manager.h"
#include "services/retention/retention_service.h"

ABSL_FLAG(std::string, storage_target,
          sluice::EnvOr("SLUICE_STORAGE_TARGET", "127.0.0.1:9103"),
          "gRPC target of the storage service");
ABSL_FLAG(int, tick_ms, sluice::EnvIntOr("SLUICE_RETENTION_TICK_MS", 250),
          "how often the scheduler looks for policies that are due");

int main(int argc, char** argv) {
  sluice::InitService("retention", argc, argv);
  sluice::MySqlPool pool(sluice::DatabaseOptionsFromFlags(
      sluice::EnvOr("SLUICE_RETENTION_DATABASE", "sluice_retention"), 4));
  auto storage_channel =
      sluice::MakeChannel(absl::GetFlag(FLAGS_storage_target));
  auto storage = sluice::v1::StorageService::NewStub(storage_channel);
  sluice::RetentionManager manager(&pool, storage.get());
  sluice::BlockingExecutor executor(4);
  sluice::RetentionServiceImpl service(&manager, &executor);
  sluice::RequestMetrics metrics("retention");

  sluice::ServiceRun run;
  run.name = "retention";
  run.pool = &pool;
  run.migrations = sluice::RetentionManager::Migrations();
  run.after_migrate = [&] {
    manager.StartScheduler(
        std::chrono::milliseconds(absl::GetFlag(FLAGS_tick_ms)));
    return absl::OkStatus();
  };
  run.services = {&service};
  run.metrics = &metrics;
  run.ready = [&] { return sluice::CheckChannel(*storage_channel, "storage"); };
  run.on_shutdown = [&] { manager.Stop(); };
  return sluice::RunService(run);
}

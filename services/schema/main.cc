// sluice-schema: integrations, listeners and their tables over gRPC.
#include "absl/flags/flag.h"
#include "common/ops/metrics.h"
#include "common/rpc/rpc.h"
#include "common/service/service_main.h"
#include "services/schema/listener_store.h"
#include "services/schema/schema_manager.h"
#include "services/schema/schema_service.h"

ABSL_FLAG(std::string, auth_target,
          sluice::EnvOr("SLUICE_AUTH_TARGET", "127.0.0.1:9101"),
          "gRPC target of the auth service");
ABSL_FLAG(std::string, storage_target,
          sluice::EnvOr("SLUICE_STORAGE_TARGET", "127.0.0.1:9103"),
          "gRPC target of the storage service");
ABSL_FLAG(std::string, retention_target,
          sluice::EnvOr("SLUICE_RETENTION_TARGET", "127.0.0.1:9104"),
          "gRPC target of the retention service");

int main(int argc, char** argv) {
  sluice::InitService("schema", argc, argv);
  sluice::MySqlPool pool(sluice::DatabaseOptionsFromFlags(
      sluice::EnvOr("SLUICE_SCHEMA_DATABASE", "sluice_schema"), 8));
  auto auth_channel = sluice::MakeChannel(absl::GetFlag(FLAGS_auth_target));
  auto storage_channel =
      sluice::MakeChannel(absl::GetFlag(FLAGS_storage_target));
  auto retention_channel =
      sluice::MakeChannel(absl::GetFlag(FLAGS_retention_target));
  auto auth = sluice::v1::AuthService::NewStub(auth_channel);
  auto storage = sluice::v1::StorageService::NewStub(storage_channel);
  auto retention = sluice::v1::RetentionService::NewStub(retention_channel);
  sluice::MySqlListenerStore store(&pool);
  sluice::SchemaManager manager(&store, auth.get(), storage.get(),
                                retention.get());
  sluice::BlockingExecutor executor(8);
  sluice::SchemaServiceImpl service(&manager, &executor);
  sluice::RequestMetrics metrics("schema");

  sluice::ServiceRun run;
  run.name = "schema";
  run.pool = &pool;
  run.migrations = sluice::MySqlListenerStore::Migrations();
  run.services = {&service};
  run.metrics = &metrics;
  run.ready = [&]() -> absl::Status {
    for (auto& [channel, name] :
         {std::pair{auth_channel.get(), "auth"},
          std::pair{storage_channel.get(), "storage"},
          std::pair{retention_channel.get(), "retention"}}) {
      absl::Status s = sluice::CheckChannel(*channel, name);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  };
  return sluice::RunService(run);
}

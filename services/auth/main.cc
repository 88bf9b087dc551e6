// sluice-auth: listener credentials over gRPC.
#include "common/ops/metrics.h"
#include "common/rpc/rpc.h"
#include "common/service/service_main.h"
#include "services/auth/auth_service.h"
#include "services/auth/credential_manager.h"
#include "services/auth/credential_store.h"

int main(int argc, char** argv) {
  sluice::InitService("auth", argc, argv);
  sluice::MySqlPool pool(sluice::DatabaseOptionsFromFlags(
      sluice::EnvOr("SLUICE_AUTH_DATABASE", "sluice_auth"), 8));
  sluice::MySqlCredentialStore store(&pool);
  sluice::CredentialManager manager(&store);
  sluice::BlockingExecutor executor(8);
  sluice::AuthServiceImpl service(&manager, &executor);
  sluice::RequestMetrics metrics("auth");

  sluice::ServiceRun run;
  run.name = "auth";
  run.pool = &pool;
  run.migrations = sluice::MySqlCredentialStore::Migrations();
  run.services = {&service};
  run.metrics = &metrics;
  return sluice::RunService(run);
}

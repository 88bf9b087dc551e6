// sluice-auth: listener credentials over gRPC.
#include <spdlog/spdlog.h>

#include <fstream>

#include "common/crypto/crypto.h"
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
  // HMAC secrets are sealed under a 32-byte key (base64 in a file, from
  // var/ locally or a Kubernetes Secret).
  std::string key_file = sluice::EnvOr("SLUICE_SECRET_KEY_FILE", "");
  std::string sealing_key;
  {
    std::ifstream in(key_file);
    std::string encoded;
    std::getline(in, encoded);
    if (key_file.empty() ||
        !sluice::crypto::Base64Decode(encoded, &sealing_key) ||
        sealing_key.size() != 32) {
      spdlog::critical(
          "msg=\"SLUICE_SECRET_KEY_FILE must name a file holding 32 bytes in "
          "base64\"");
      return 1;
    }
  }
  sluice::CredentialManager manager(&store, sealing_key);
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

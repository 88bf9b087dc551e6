// sluice-auth: listener credentials over gRPC.
#include <spdlog/spdlog.h>

#include <fstream>

#include "absl/strings/ascii.h"
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
  // var/ locally or a Kubernetes Secret), one key per line: the first seals,
  // every one opens. With more than one, secrets sealed under the others
  // are resealed under the first at start (docs/deploy.md: rotation).
  std::string key_file = sluice::EnvOr("SLUICE_SECRET_KEY_FILE", "");
  std::vector<std::string> sealing_keys;
  {
    std::ifstream in(key_file);
    std::string encoded, key;
    bool valid = !key_file.empty();
    while (valid && std::getline(in, encoded)) {
      encoded = std::string(absl::StripAsciiWhitespace(encoded));
      if (encoded.empty()) continue;
      valid = sluice::crypto::Base64Decode(encoded, &key) && key.size() == 32;
      sealing_keys.push_back(key);
    }
    if (!valid || sealing_keys.empty()) {
      spdlog::critical(
          "msg=\"SLUICE_SECRET_KEY_FILE must name a file holding 32-byte keys "
          "in base64, one per line, the current one first\"");
      return 1;
    }
  }
  const size_t key_count = sealing_keys.size();
  sluice::CredentialManager manager(&store, std::move(sealing_keys));
  sluice::BlockingExecutor executor(8);
  sluice::AuthServiceImpl service(&manager, &executor);
  sluice::RequestMetrics metrics("auth");

  sluice::ServiceRun run;
  run.name = "auth";
  run.pool = &pool;
  run.migrations = sluice::MySqlCredentialStore::Migrations();
  run.after_migrate = [&]() -> absl::Status {
    if (key_count == 1) return absl::OkStatus();
    auto count = manager.ResealUnderCurrentKey();
    if (!count.ok()) return count.status();
    spdlog::log(
        count->unopenable > 0 ? spdlog::level::warn : spdlog::level::info,
        "msg=\"HMAC secrets sealed under the current key\" resealed={} "
        "already={} under_no_key={}",
        count->resealed, count->current, count->unopenable);
    return absl::OkStatus();
  };
  run.services = {&service};
  run.metrics = &metrics;
  return sluice::RunService(run);
}

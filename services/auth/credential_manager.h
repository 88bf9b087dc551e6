#ifndef SLUICE_SERVICES_AUTH_CREDENTIAL_MANAGER_H_
#define SLUICE_SERVICES_AUTH_CREDENTIAL_MANAGER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/auth/credential_store.h"
#include "sluice/v1/auth.pb.h"

namespace sluice {

// The auth service's logic: creates, rotates and hands out verification
// material for listener credentials. Secrets are generated here from the
// CSPRNG and returned in clear only by Set and Rotate. Thread-safe when the
// store is.
class CredentialManager {
 public:
  // `sealing_key` (32 bytes) encrypts HMAC secrets at rest.
  CredentialManager(CredentialStore* store, std::string sealing_key)
      : CredentialManager(store,
                          std::vector<std::string>{std::move(sealing_key)}) {}
  // With earlier keys too (a key being rotated out): secrets are sealed
  // under sealing_keys[0] and opened with whichever key sealed them.
  CredentialManager(CredentialStore* store,
                    std::vector<std::string> sealing_keys)
      : store_(store), sealing_keys_(std::move(sealing_keys)) {}

  // INVALID_ARGUMENT for an incomplete config (token without a name, an
  // unknown HMAC preset, a malformed Standard Webhooks secret, …).
  absl::StatusOr<v1::SetCredentialResponse> Set(
      const v1::SetCredentialRequest& request);
  // NOT_FOUND without a credential; FAILED_PRECONDITION for `none`.
  absl::StatusOr<v1::SetCredentialResponse> Rotate(
      const std::string& listener_uuid);
  absl::Status Delete(const std::string& listener_uuid);
  absl::StatusOr<v1::Verifier> GetVerifier(const std::string& listener_uuid);

  // Seals again under the current key every HMAC secret an earlier key
  // sealed, so that key can then be dropped. A secret changed meanwhile is
  // left to its new value.
  struct ResealCount {
    int resealed = 0;
    int current = 0;     // already under the current key
    int unopenable = 0;  // under none of the keys given
  };
  absl::StatusOr<ResealCount> ResealUnderCurrentKey();

 private:
  // The index of the key that opens `sealed`, or -1.
  int Open(const std::string& sealed, std::string* secret) const;

  CredentialStore* store_;
  const std::vector<std::string> sealing_keys_;
};

// The HMAC presets and their defaults (tolerance 300 s where a timestamp is
// signed). Fills defaults into `config`; INVALID_ARGUMENT when unknown.
absl::Status NormalizeHmacConfig(v1::AuthConfig* config);

}  // namespace sluice

#endif  // SLUICE_SERVICES_AUTH_CREDENTIAL_MANAGER_H_

#ifndef SLUICE_SERVICES_AUTH_CREDENTIAL_MANAGER_H_
#define SLUICE_SERVICES_AUTH_CREDENTIAL_MANAGER_H_

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
  explicit CredentialManager(CredentialStore* store) : store_(store) {}

  // INVALID_ARGUMENT for an incomplete config (token without a name, …);
  // UNIMPLEMENTED for methods this version cannot verify yet.
  absl::StatusOr<v1::SetCredentialResponse> Set(const v1::SetCredentialRequest& request);
  // NOT_FOUND without a credential; FAILED_PRECONDITION for `none`.
  absl::StatusOr<v1::SetCredentialResponse> Rotate(const std::string& listener_uuid);
  absl::Status Delete(const std::string& listener_uuid);
  absl::StatusOr<v1::Verifier> GetVerifier(const std::string& listener_uuid);

 private:
  CredentialStore* store_;
};

}  // namespace sluice

#endif  // SLUICE_SERVICES_AUTH_CREDENTIAL_MANAGER_H_

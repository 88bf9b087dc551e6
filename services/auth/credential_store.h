#ifndef SLUICE_SERVICES_AUTH_CREDENTIAL_STORE_H_
#define SLUICE_SERVICES_AUTH_CREDENTIAL_STORE_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "sluice/v1/common.pb.h"

namespace sluice {

class MySqlPool;

// A listener's credential as stored: never the clear token or password.
struct StoredCredential {
  std::string listener_uuid;
  v1::AuthConfig config;
  // SHA-256 of a server-generated token or password.
  std::string secret_sha256;
  // A user-chosen basic password's scrypt hash (crypto::HashPassword).
  std::string password_kdf;
  // An HMAC secret sealed with AES-256-GCM under the service's key.
  std::string hmac_secret_sealed;
  int64_t version = 0;
};

// Where credentials live. Implementations are thread-safe.
class CredentialStore {
 public:
  virtual ~CredentialStore() = default;
  // Inserts or replaces the credential of credential.listener_uuid.
  virtual absl::Status Put(const StoredCredential& credential) = 0;
  // NOT_FOUND when the listener has none.
  virtual absl::StatusOr<StoredCredential> Get(
      const std::string& listener_uuid) = 0;
  // Deleting a missing credential is OK.
  virtual absl::Status Delete(const std::string& listener_uuid) = 0;
  // Every listener's sealed HMAC secret (those that have one).
  virtual absl::StatusOr<std::map<std::string, std::string>> ListSealed() = 0;
  // Replaces a sealed HMAC secret by `sealed` if it is still `expected`
  // (not changed since it was read); false when it was.
  virtual absl::StatusOr<bool> ReplaceSealed(const std::string& listener_uuid,
                                             const std::string& expected,
                                             const std::string& sealed) = 0;
};

// The auth service's own MySQL table `credentials`.
class MySqlCredentialStore final : public CredentialStore {
 public:
  explicit MySqlCredentialStore(MySqlPool* pool) : pool_(pool) {}
  static std::vector<std::vector<std::string>> Migrations();

  absl::Status Put(const StoredCredential& credential) override;
  absl::StatusOr<StoredCredential> Get(
      const std::string& listener_uuid) override;
  absl::Status Delete(const std::string& listener_uuid) override;
  absl::StatusOr<std::map<std::string, std::string>> ListSealed() override;
  absl::StatusOr<bool> ReplaceSealed(const std::string& listener_uuid,
                                     const std::string& expected,
                                     const std::string& sealed) override;

 private:
  MySqlPool* pool_;
};

// For unit tests.
class InMemoryCredentialStore final : public CredentialStore {
 public:
  absl::Status Put(const StoredCredential& credential) override;
  absl::StatusOr<StoredCredential> Get(
      const std::string& listener_uuid) override;
  absl::Status Delete(const std::string& listener_uuid) override;
  absl::StatusOr<std::map<std::string, std::string>> ListSealed() override;
  absl::StatusOr<bool> ReplaceSealed(const std::string& listener_uuid,
                                     const std::string& expected,
                                     const std::string& sealed) override;

 private:
  absl::Mutex mu_;
  std::map<std::string, StoredCredential> credentials_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sluice

#endif  // SLUICE_SERVICES_AUTH_CREDENTIAL_STORE_H_

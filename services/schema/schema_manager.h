#ifndef SLUICE_SERVICES_SCHEMA_SCHEMA_MANAGER_H_
#define SLUICE_SERVICES_SCHEMA_SCHEMA_MANAGER_H_

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "services/schema/listener_store.h"
#include "sluice/v1/auth.grpc.pb.h"
#include "sluice/v1/retention.grpc.pb.h"
#include "sluice/v1/schema.pb.h"
#include "sluice/v1/storage.grpc.pb.h"

namespace sluice {

// Largest body limit a listener may set.
inline constexpr int64_t kMaxBodyLimit = 10 * 1024 * 1024;
inline constexpr int64_t kDefaultBodyLimit = 65536;

// Parses a retention period "45s", "90m", "12h", "30d" into seconds; "" is
// 0 (keep forever). nullopt when malformed or not positive.
std::optional<int64_t> ParseRetention(const std::string& text);

// The schema service's logic. Listener changes span services: the tables
// (storage), the credential (auth) and the retention policy (retention) are
// created in that order and undone in reverse when a later step fails, so a
// failed create leaves nothing behind. Calls block; thread-safe.
class SchemaManager {
 public:
  SchemaManager(ListenerStore* store, v1::AuthService::StubInterface* auth,
                v1::StorageService::StubInterface* storage,
                v1::RetentionService::StubInterface* retention)
      : store_(store), auth_(auth), storage_(storage), retention_(retention) {}

  absl::StatusOr<v1::Integration> CreateIntegration(const std::string& name);
  absl::StatusOr<std::vector<v1::Integration>> ListIntegrations();
  absl::StatusOr<v1::Integration> GetIntegration(const std::string& uuid);
  absl::Status DeleteIntegration(const std::string& uuid);

  absl::StatusOr<v1::CreateListenerResponse> CreateListener(
      const v1::CreateListenerRequest& request);
  absl::StatusOr<v1::Listener> GetListener(const std::string& integration_uuid,
                                           const std::string& listener_uuid);
  absl::StatusOr<std::vector<v1::Listener>> ListListeners(
      const std::string& integration_uuid);
  absl::Status DeleteListener(const std::string& integration_uuid,
                              const std::string& listener_uuid);
  absl::StatusOr<v1::CreateListenerResponse> UpdateListener(
      const v1::UpdateListenerRequest& request);
  absl::StatusOr<v1::RotateSecretResponse> RotateSecret(
      const std::string& integration_uuid, const std::string& listener_uuid);
  absl::StatusOr<v1::GenerateTablesResponse> GenerateTables(
      const v1::DataStructure& structure);

  // The listener index (uuids and integrations), read again from the store
  // when older than half a second or changed here; `unchanged` when
  // `known_digest` is current.
  absl::StatusOr<v1::ListenerIndex> ListenerIndex(
      const std::string& known_digest);

 private:
  // Sets the retention policy of a listener (0: keep forever).
  absl::Status SetPolicy(const std::string& listener_uuid,
                         int64_t retention_seconds);

  void IndexChanged() {
    absl::MutexLock lock(&index_mu_);
    index_read_ = {};
    ++index_generation_;
  }

  ListenerStore* store_;
  v1::AuthService::StubInterface* auth_;
  v1::StorageService::StubInterface* storage_;
  v1::RetentionService::StubInterface* retention_;
  absl::Mutex index_mu_;
  std::shared_ptr<const v1::ListenerIndex> index_ ABSL_GUARDED_BY(index_mu_);
  std::chrono::steady_clock::time_point index_read_ ABSL_GUARDED_BY(index_mu_);
  // Bumped by every change here: a read begun before one is not kept.
  int64_t index_generation_ ABSL_GUARDED_BY(index_mu_) = 0;
};

}  // namespace sluice

#endif  // SLUICE_SERVICES_SCHEMA_SCHEMA_MANAGER_H_

#ifndef SLUICE_SERVICES_SCHEMA_LISTENER_STORE_H_
#define SLUICE_SERVICES_SCHEMA_LISTENER_STORE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "sluice/v1/common.pb.h"

namespace sluice {

class MySqlPool;

// Integrations and listeners as the schema service stores them.
// ALREADY_EXISTS on a taken name, NOT_FOUND on a missing row. Thread-safe.
class ListenerStore {
 public:
  virtual ~ListenerStore() = default;
  virtual absl::Status InsertIntegration(
      const v1::Integration& integration) = 0;
  virtual absl::StatusOr<std::vector<v1::Integration>> ListIntegrations() = 0;
  virtual absl::StatusOr<v1::Integration> GetIntegration(
      const std::string& uuid) = 0;
  virtual absl::Status DeleteIntegration(const std::string& uuid) = 0;

  virtual absl::Status InsertListener(const v1::Listener& listener) = 0;
  // Replaces `expected` (the listener as read before the change) with
  // `listener`; ABORTED when it changed in between, so concurrent changes
  // never overwrite each other.
  virtual absl::Status UpdateListener(const v1::Listener& listener,
                                      const v1::Listener& expected) = 0;
  virtual absl::StatusOr<v1::Listener> GetListener(const std::string& uuid) = 0;
  virtual absl::StatusOr<std::vector<v1::Listener>> ListListeners(
      const std::string& integration_uuid) = 0;
  virtual absl::Status DeleteListener(const std::string& uuid) = 0;
  // Every listener as (listener uuid, integration uuid), by listener uuid.
  virtual absl::StatusOr<std::vector<std::pair<std::string, std::string>>>
  ListListenerRefs() = 0;
};

class MySqlListenerStore final : public ListenerStore {
 public:
  explicit MySqlListenerStore(MySqlPool* pool) : pool_(pool) {}
  static std::vector<std::vector<std::string>> Migrations();

  absl::Status InsertIntegration(const v1::Integration& integration) override;
  absl::StatusOr<std::vector<v1::Integration>> ListIntegrations() override;
  absl::StatusOr<v1::Integration> GetIntegration(
      const std::string& uuid) override;
  absl::Status DeleteIntegration(const std::string& uuid) override;
  absl::Status InsertListener(const v1::Listener& listener) override;
  absl::Status UpdateListener(const v1::Listener& listener,
                              const v1::Listener& expected) override;
  absl::StatusOr<v1::Listener> GetListener(const std::string& uuid) override;
  absl::StatusOr<std::vector<v1::Listener>> ListListeners(
      const std::string& integration_uuid) override;
  absl::Status DeleteListener(const std::string& uuid) override;
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>>
  ListListenerRefs() override;

 private:
  MySqlPool* pool_;
};

}  // namespace sluice

#endif  // SLUICE_SERVICES_SCHEMA_LISTENER_STORE_H_

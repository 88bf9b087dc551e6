#ifndef SLUICE_SERVICES_RETENTION_RETENTION_MANAGER_H_
#define SLUICE_SERVICES_RETENTION_RETENTION_MANAGER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "sluice/v1/storage.grpc.pb.h"

namespace sluice {

class MySqlPool;

// Retention policies (table `policies`) and the scheduler that purges
// expired records through the storage service. Thread-safe.
class RetentionManager {
 public:
  RetentionManager(MySqlPool* pool, v1::StorageService::StubInterface* storage)
      : pool_(pool), storage_(storage) {}
  ~RetentionManager();

  static std::vector<std::vector<std::string>> Migrations();

  // retention_seconds 0 removes the policy.
  absl::Status SetPolicy(const std::string& listener_uuid,
                         int64_t retention_seconds);
  absl::Status DeletePolicy(const std::string& listener_uuid);
  // Purges one listener now by its policy; 0 when it has none.
  absl::StatusOr<int64_t> RunNow(const std::string& listener_uuid);
  // Purges every listener with a policy once. Returns records deleted.
  absl::StatusOr<int64_t> RunAll();

  // Runs RunAll every `interval` on a thread of its own until Stop().
  void StartScheduler(std::chrono::seconds interval);
  void Stop();

 private:
  absl::StatusOr<int64_t> Purge(const std::string& listener_uuid,
                                int64_t retention_seconds);

  MySqlPool* pool_;
  v1::StorageService::StubInterface* storage_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread scheduler_;
};

}  // namespace sluice

#endif  // SLUICE_SERVICES_RETENTION_RETENTION_MANAGER_H_

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
//
// Any number of retention replicas may run: a policy is purged only by the
// holder of its lease, a row lock-free claim in `policies` (holder and
// expiry) taken with one conditional UPDATE and renewed before every purge
// call. A holder that dies stops renewing; its lease expires and another
// replica takes over. Purges go through storage in small transactions
// (`batch_size` records) so no statement holds locks for long.
class RetentionManager {
 public:
  struct Options {
    // How long a lease lasts unless renewed.
    std::chrono::milliseconds lease{30000};
    // Records per purge transaction, and per purge call between renewals.
    int batch_size = 250;
    int64_t records_per_call = 5000;
    // This replica's name in leases; a unique one is made when empty.
    std::string holder;
  };

  RetentionManager(MySqlPool* pool, v1::StorageService::StubInterface* storage,
                   Options options);
  RetentionManager(MySqlPool* pool, v1::StorageService::StubInterface* storage)
      : RetentionManager(pool, storage, Options{}) {}
  ~RetentionManager();

  static std::vector<std::vector<std::string>> Migrations();

  // retention_seconds 0 removes the policy.
  absl::Status SetPolicy(const std::string& listener_uuid,
                         int64_t retention_seconds);
  absl::Status DeletePolicy(const std::string& listener_uuid);
  // Purges one listener now by its policy (waiting up to `wait` for another
  // replica's purge of it to end); 0 when it has none.
  absl::StatusOr<int64_t> RunNow(
      const std::string& listener_uuid,
      std::chrono::milliseconds wait = std::chrono::seconds(30));
  // Purges every policy that is due and not leased elsewhere. A policy is
  // due every retention/90, at least every minute and at most every 500 ms,
  // so records go within about a second of expiring at the 45 s scale.
  // Returns records deleted.
  absl::StatusOr<int64_t> RunDue();

  // Runs RunDue every `tick` on a thread of its own until Stop().
  void StartScheduler(std::chrono::milliseconds tick);
  void Stop();


 private:
  // True when `holder` holds (or now took, or renewed) the lease. Each purge
  // takes the lease under a name of its own, so two purges in one replica
  // exclude each other as well.
  absl::StatusOr<bool> Lease(const std::string& listener_uuid,
                             const std::string& holder);
  void Release(const std::string& listener_uuid, const std::string& holder);
  std::string NextHolder() {
    return options_.holder + "#" + std::to_string(++purges_);
  }
  // Purges under a held lease, renewing it between calls.
  absl::StatusOr<int64_t> PurgeLeased(const std::string& listener_uuid,
                                      int64_t retention_seconds,
                                      const std::string& holder);

  MySqlPool* pool_;
  v1::StorageService::StubInterface* storage_;
  Options options_;
  std::atomic<uint64_t> purges_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread scheduler_;
};

}  // namespace sluice

#endif  // SLUICE_SERVICES_RETENTION_RETENTION_MANAGER_H_

#ifndef SLUICE_SERVICES_STORAGE_LOG_STORE_H_
#define SLUICE_SERVICES_STORAGE_LOG_STORE_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sluice/v1/storage.pb.h"

namespace sluice {

class MySqlPool;

// Webhook logs (table `webhook_logs`): the last `keep` entries per
// listener. Entries arrive in batches from the edges; each batch is one
// multi-row INSERT, then each listener in it is trimmed back to `keep`.
// Thread-safe.
class LogStore {
 public:
  LogStore(MySqlPool* pool, int keep) : pool_(pool), keep_(keep) {}

  static std::vector<std::vector<std::string>> Migrations();

  // Stores the entries whose listener `exists` says is known; returns how
  // many were stored.
  absl::StatusOr<int64_t> Append(
      const v1::AppendLogsRequest& request,
      const std::function<bool(const std::string& listener_uuid)>& exists);
  // Newest first; no bodies or headers.
  absl::StatusOr<v1::ListLogsResponse> List(const v1::ListLogsRequest& request);
  // NOT_FOUND when there is no such entry.
  absl::StatusOr<v1::LogEntry> Get(int64_t id);
  absl::Status DeleteListener(const std::string& listener_uuid);

 private:
  MySqlPool* pool_;
  const int keep_;
};

}  // namespace sluice

#endif  // SLUICE_SERVICES_STORAGE_LOG_STORE_H_

#ifndef SLUICE_SERVICES_EDGE_LISTENER_INDEX_H_
#define SLUICE_SERVICES_EDGE_LISTENER_INDEX_H_

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "sluice/v1/schema.pb.h"

namespace sluice::edge {

// Which listeners exist, and in which integration: the whole index, small
// enough to hold (about 100 bytes a listener), kept current by polling the
// schema service with the digest held, so a request for an unknown listener
// is answered 404 without a backend call (scans of random URLs cost the
// backends nothing). Listeners this edge creates or deletes count at once;
// those changed through another edge within one poll interval. While the
// index cannot be refreshed for `stale_after`, lookups say kStale and
// callers ask the backends as before. Thread-safe.
class ListenerIndex {
 public:
  // Fetches the index; `known_digest` as in GetListenerIndexRequest.
  using Fetch = std::function<absl::StatusOr<v1::ListenerIndex>(
      const std::string& known_digest)>;
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  ListenerIndex(Fetch fetch, std::chrono::milliseconds interval,
                std::chrono::milliseconds stale_after, Clock clock = nullptr);
  ~ListenerIndex();
  ListenerIndex(const ListenerIndex&) = delete;
  ListenerIndex& operator=(const ListenerIndex&) = delete;

  // Polls on a thread of its own until destroyed.
  void Start();
  // One poll, now (Start's thread calls it; tests call it directly).
  absl::Status Refresh();

  enum class Lookup { kKnown, kUnknown, kStale };
  Lookup Find(const std::string& integration_uuid,
              const std::string& listener_uuid);

  void Add(const std::string& integration_uuid,
           const std::string& listener_uuid);
  void Remove(const std::string& listener_uuid);

 private:
  const Fetch fetch_;
  const std::chrono::milliseconds interval_;
  const std::chrono::milliseconds stale_after_;
  Clock clock_;
  absl::Mutex mu_;
  // listener uuid → integration uuid
  std::unordered_map<std::string, std::string> listeners_ ABSL_GUARDED_BY(mu_);
  // Changes made through this edge, which a fetched index may not hold yet
  // (the fetch may have started before them, or come from a schema replica
  // that has not read them yet): they decide for 10 s.
  struct Local {
    std::string integration;  // empty: removed
    std::chrono::steady_clock::time_point at;
  };
  std::unordered_map<std::string, Local> local_ ABSL_GUARDED_BY(mu_);
  std::string digest_ ABSL_GUARDED_BY(mu_);
  std::chrono::steady_clock::time_point refreshed_ ABSL_GUARDED_BY(mu_);
  bool loaded_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread poller_;
};

}  // namespace sluice::edge

#endif  // SLUICE_SERVICES_EDGE_LISTENER_INDEX_H_

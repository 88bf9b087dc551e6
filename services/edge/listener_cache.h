#ifndef SLUICE_SERVICES_EDGE_LISTENER_CACHE_H_
#define SLUICE_SERVICES_EDGE_LISTENER_CACHE_H_

#include <chrono>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/mapping/record_mapper.h"
#include "services/edge/backends.h"
#include "sluice/v1/auth.pb.h"
#include "sluice/v1/common.pb.h"

namespace sluice::edge {

// What the ingest path needs of one listener, built once per fetch.
struct ListenerEntry {
  v1::Listener listener;
  std::shared_ptr<const mapping::RecordMapper> mapper;
  v1::Verifier verifier;
};

// Listener config, compiled mapper and verification material, cached per
// (integration, listener) for `ttl` so the hot path makes no call but the
// storage write. Changes made through this edge invalidate at once; changes
// elsewhere are seen within `ttl`. Concurrent misses of one listener share
// one fetch; when full, the least recently used entry makes room. Unknown
// listeners never get here when the ListenerIndex knows them to be unknown.
// Thread-safe.
class ListenerCache {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  using Callback =
      std::function<void(absl::StatusOr<std::shared_ptr<const ListenerEntry>>)>;

  ListenerCache(Backends* backends, std::chrono::milliseconds ttl,
                Clock clock = nullptr);

  // Calls `done` (maybe inline, maybe on a gRPC thread) with the entry, or
  // NOT_FOUND / UNAVAILABLE.
  void Get(const std::string& integration_uuid,
           const std::string& listener_uuid, Callback done);
  void Invalidate(const std::string& listener_uuid);

 private:
  using Value = absl::StatusOr<std::shared_ptr<const ListenerEntry>>;
  struct Slot {
    std::string key;
    Value value;
    std::chrono::steady_clock::time_point expires;
  };
  using Slots = std::list<Slot>;  // most recently used first

  // Fetches the listener and its verifier; `done` gets the result.
  void Fetch(const std::string& integration_uuid,
             const std::string& listener_uuid,
             std::function<void(Value, std::chrono::milliseconds ttl)> done);
  // Answers the callers that joined the fetch of `generation` for `key`,
  // and caches `value` unless the listener was invalidated since.
  void Finish(const std::string& key, uint64_t generation, Value value,
              std::chrono::milliseconds ttl);

  Backends* backends_;
  const std::chrono::milliseconds ttl_;
  Clock clock_;
  absl::Mutex mu_;
  Slots slots_ ABSL_GUARDED_BY(mu_);
  std::unordered_map<std::string, Slots::iterator> index_ ABSL_GUARDED_BY(mu_);
  // A fetch in flight and the callers waiting for it.
  struct Pending {
    uint64_t generation = 0;
    std::vector<Callback> callers;
  };
  std::unordered_map<std::string, Pending> waiting_ ABSL_GUARDED_BY(mu_);
  // Bumped by Invalidate: fetches begun before it neither are joined nor
  // cached, so a change made through this edge counts at once.
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace sluice::edge

#endif  // SLUICE_SERVICES_EDGE_LISTENER_CACHE_H_

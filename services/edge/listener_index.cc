#include "services/edge/listener_index.h"

#include "absl/time/time.h"

namespace sluice::edge {

ListenerIndex::ListenerIndex(Fetch fetch, std::chrono::milliseconds interval,
                             std::chrono::milliseconds stale_after, Clock clock)
    : fetch_(std::move(fetch)),
      interval_(interval),
      stale_after_(stale_after),
      clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return std::chrono::steady_clock::now(); };
}

ListenerIndex::~ListenerIndex() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (poller_.joinable()) poller_.join();
}

void ListenerIndex::Start() {
  poller_ = std::thread([this] {
    absl::MutexLock lock(&mu_);
    while (!stopping_) {
      mu_.Unlock();
      (void)Refresh();
      mu_.Lock();
      mu_.AwaitWithTimeout(absl::Condition(&stopping_),
                           absl::FromChrono(interval_));
    }
  });
}

absl::Status ListenerIndex::Refresh() {
  std::string known;
  {
    absl::MutexLock lock(&mu_);
    known = digest_;
  }
  auto index = fetch_(known);
  if (!index.ok()) return index.status();
  absl::MutexLock lock(&mu_);
  const auto now = clock_();
  refreshed_ = now;
  loaded_ = true;
  if (!(index->unchanged() && index->digest() == digest_)) {
    listeners_.clear();
    for (const v1::ListenerRef& ref : index->listeners()) {
      listeners_[ref.listener_uuid()] = ref.integration_uuid();
    }
    digest_ = index->digest();
  }
  // Local changes are kept for a while whatever a fetch shows: the next
  // fetch may come from a schema replica that has not seen them yet.
  for (auto it = local_.begin(); it != local_.end();) {
    it = now - it->second.at > std::chrono::seconds(10) ? local_.erase(it)
                                                        : std::next(it);
  }
  return absl::OkStatus();
}

ListenerIndex::Lookup ListenerIndex::Find(const std::string& integration_uuid,
                                          const std::string& listener_uuid) {
  absl::MutexLock lock(&mu_);
  if (!loaded_ || clock_() - refreshed_ > stale_after_) return Lookup::kStale;
  if (auto local = local_.find(listener_uuid); local != local_.end()) {
    return local->second.integration == integration_uuid ? Lookup::kKnown
                                                         : Lookup::kUnknown;
  }
  auto it = listeners_.find(listener_uuid);
  return it != listeners_.end() && it->second == integration_uuid
             ? Lookup::kKnown
             : Lookup::kUnknown;
}

void ListenerIndex::Add(const std::string& integration_uuid,
                        const std::string& listener_uuid) {
  absl::MutexLock lock(&mu_);
  local_[listener_uuid] = Local{integration_uuid, clock_()};
}

void ListenerIndex::Remove(const std::string& listener_uuid) {
  absl::MutexLock lock(&mu_);
  local_[listener_uuid] = Local{"", clock_()};
}

}  // namespace sluice::edge

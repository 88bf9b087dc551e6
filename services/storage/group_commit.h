#ifndef SLUICE_SERVICES_STORAGE_GROUP_COMMIT_H_
#define SLUICE_SERVICES_STORAGE_GROUP_COMMIT_H_

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace sluice {

// Commits the work of concurrent callers together: one transaction, one log
// flush, for every item queued while the previous group was committing.
//
// Callers queue items and go on; each of `committers` threads takes the
// items queued (up to `max_items`, and up to `max_weight` in total; a
// heavier item goes alone), runs them with `run`, and then calls `done` for
// each. With two or more committers one group's statements overlap
// another's log flush. `done` is called only after `run` has returned for
// the item's group: an item is never answered before the commit that holds
// it. `run` sets each item's own outcome and must not throw.
//
// LevelDB's DBImpl::Write builds its batches the same way, from the front
// of a writer queue; per-item atomicity is the caller's (a SAVEPOINT each).
template <typename Item>
class GroupCommit {
 public:
  struct Options {
    size_t max_items = 256;
    size_t max_weight = 4000;
    int committers = 2;
    // Weight waiting at most; past it Enqueue refuses (0: no bound).
    size_t max_queued_weight = 0;
  };
  using Run = std::function<void(const std::vector<Item*>& group)>;
  using Done = std::function<void(Item* item)>;

  GroupCommit(Run run, Done done, Options options)
      : run_(std::move(run)), done_(std::move(done)), options_(options) {
    options_.max_items = std::max<size_t>(1, options_.max_items);
    for (int i = 0; i < std::max(1, options_.committers); ++i)
      threads_.emplace_back([this] { Commit(); });
  }
  // Commits what is queued, then stops.
  ~GroupCommit() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    work_.notify_all();
    for (auto& t : threads_) t.join();
  }
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  // Queues `item` of `weight` (its records); false, with the item not
  // taken, when the queue is full or the committers are stopping.
  bool Enqueue(Item* item, size_t weight) {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return false;
    if (options_.max_queued_weight > 0 && !queue_.empty() &&
        queued_weight_ + weight > options_.max_queued_weight) {
      return false;
    }
    queue_.emplace_back(item, weight);
    queued_weight_ += weight;
    if (idle_ > 0) work_.notify_one();
    return true;
  }

  // Groups run so far.
  size_t groups() const {
    std::lock_guard<std::mutex> lock(mu_);
    return groups_;
  }

 private:
  void Commit() {
    std::vector<Item*> group;
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      ++idle_;
      work_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      --idle_;
      if (queue_.empty()) return;  // stopping, nothing left
      group.clear();
      size_t weight = 0;
      while (!queue_.empty() && group.size() < options_.max_items) {
        auto [item, w] = queue_.front();
        if (!group.empty() && weight + w > options_.max_weight) break;
        weight += w;
        group.push_back(item);
        queue_.pop_front();
      }
      queued_weight_ -= weight;
      ++groups_;
      lock.unlock();
      run_(group);
      for (Item* item : group) done_(item);
      lock.lock();
    }
  }

  const Run run_;
  const Done done_;
  Options options_;
  mutable std::mutex mu_;
  std::condition_variable work_;
  std::deque<std::pair<Item*, size_t>> queue_;
  size_t queued_weight_ = 0;
  int idle_ = 0;
  bool stopping_ = false;
  size_t groups_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace sluice

#endif  // SLUICE_SERVICES_STORAGE_GROUP_COMMIT_H_

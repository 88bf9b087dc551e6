#ifndef SLUICE_SERVICES_STORAGE_GROUP_COMMIT_H_
#define SLUICE_SERVICES_STORAGE_GROUP_COMMIT_H_

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

namespace sluice {

// Commits the work of concurrent callers together: one transaction, one log
// flush, for every caller queued while the previous group was committing.
//
// Callers queue up; the one at the front becomes the group's leader, takes
// the queued items (up to `max_items`, and up to `max_weight` in total), runs
// them with `run` on its own thread and then wakes the others of its group.
// Up to `max_groups` groups run at once, so one group's statements overlap
// another's log flush. Submit returns only after `run` has returned for the
// item's group: an item is never answered before the commit that holds it.
// `run` sets each item's own outcome and must not throw.
//
// The shape is LevelDB's DBImpl::Write (a writer queue whose front builds
// the batch); the per-item atomicity is the caller's (a SAVEPOINT per item).
template <typename Item>
class GroupCommit {
 public:
  struct Options {
    size_t max_items = 256;
    size_t max_weight = 4000;
    int max_groups = 2;
  };
  using Run = std::function<void(const std::vector<Item*>& group)>;

  GroupCommit(Run run, Options options)
      : run_(std::move(run)), options_(options) {
    options_.max_items = std::max<size_t>(1, options_.max_items);
    options_.max_groups = std::max(1, options_.max_groups);
  }
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  // Runs `item` in a group; `weight` (its records) bounds the group's size.
  // An item heavier than `max_weight` runs in a group of its own.
  void Submit(Item* item, size_t weight) {
    Waiter self(item, weight);
    std::unique_lock<std::mutex> lock(mu_);
    queue_.push_back(&self);
    self.cv.wait(lock, [&] {
      return self.done || (queue_.front() == &self && running_ < options_.max_groups);
    });
    if (self.done) return;
    std::vector<Waiter*> group;
    std::vector<Item*> items;
    size_t weight_sum = 0;
    while (!queue_.empty() && group.size() < options_.max_items) {
      Waiter* next = queue_.front();
      if (!group.empty() && weight_sum + next->weight > options_.max_weight) break;
      weight_sum += next->weight;
      group.push_back(next);
      items.push_back(next->item);
      queue_.pop_front();
    }
    ++running_;
    ++groups_;
    WakeNextLeader();
    lock.unlock();
    run_(items);
    lock.lock();
    --running_;
    // Notified under the lock: a follower cannot return (and take its
    // condition variable with it) before the notification is done.
    for (Waiter* w : group) {
      w->done = true;
      if (w != &self) w->cv.notify_one();
    }
    WakeNextLeader();
  }

  // Groups run so far.
  size_t groups() const {
    std::lock_guard<std::mutex> lock(mu_);
    return groups_;
  }

 private:
  struct Waiter {
    Waiter(Item* item, size_t weight) : item(item), weight(weight) {}
    Item* item;
    size_t weight;
    bool done = false;
    std::condition_variable cv;
  };

  void WakeNextLeader() {
    if (!queue_.empty() && running_ < options_.max_groups)
      queue_.front()->cv.notify_one();
  }

  const Run run_;
  Options options_;
  mutable std::mutex mu_;
  std::deque<Waiter*> queue_;
  int running_ = 0;
  size_t groups_ = 0;
};

}  // namespace sluice

#endif  // SLUICE_SERVICES_STORAGE_GROUP_COMMIT_H_

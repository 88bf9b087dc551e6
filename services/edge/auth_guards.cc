#include "services/edge/auth_guards.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "common/crypto/crypto.h"
#include "common/rpc/rpc.h"

namespace sluice::edge {

FailureLimiter::FailureLimiter(int max_failures, std::chrono::seconds window,
                               size_t max_entries, Clock clock)
    : max_failures_(max_failures),
      window_(window),
      max_entries_(max_entries),
      clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return std::chrono::steady_clock::now(); };
}

FailureLimiter::Entry* FailureLimiter::Touch(const std::string& key,
                                             bool create) {
  auto it = index_.find(key);
  if (it != index_.end()) {
    entries_.splice(entries_.begin(), entries_, it->second);
    return &entries_.front();
  }
  if (!create) return nullptr;
  if (entries_.size() >= max_entries_) {
    index_.erase(entries_.back().key);
    entries_.pop_back();
  }
  entries_.push_front(Entry{key, {}, {}});
  index_[key] = entries_.begin();
  return &entries_.front();
}

void FailureLimiter::Forget(Entry* entry, TimePoint now) {
  while (!entry->failures.empty() && entry->failures.front() + window_ <= now) {
    entry->failures.pop_front();
  }
}

int FailureLimiter::BlockedFor(const std::string& listener,
                               const std::string& client) {
  absl::MutexLock lock(&mu_);
  Entry* entry = Touch(listener + "|" + client, /*create=*/false);
  if (entry == nullptr) return 0;
  auto now = clock_();
  Forget(entry, now);
  size_t counted = entry->failures.size() + entry->pending.size();
  if (counted <= static_cast<size_t>(max_failures_)) return 0;
  // Free again when enough failures have aged out: the one that brings the
  // count back to the limit.
  size_t excess = counted - max_failures_;
  if (excess > entry->failures.size()) return 1;  // pending checks decide
  auto left = entry->failures[excess - 1] + window_ - now;
  return static_cast<int>(
             std::chrono::duration_cast<std::chrono::seconds>(left).count()) +
         1;
}

void FailureLimiter::RecordFailure(const std::string& listener,
                                   const std::string& client) {
  absl::MutexLock lock(&mu_);
  Entry* entry = Touch(listener + "|" + client, /*create=*/true);
  auto now = clock_();
  Forget(entry, now);
  entry->failures.push_back(now);
  while (entry->failures.size() > static_cast<size_t>(max_failures_) + 1) {
    entry->failures.pop_front();
  }
}

void FailureLimiter::BeginPending(const std::string& listener,
                                  const std::string& client,
                                  const std::string& attempt) {
  absl::MutexLock lock(&mu_);
  ++Touch(listener + "|" + client, /*create=*/true)->pending[attempt];
}

void FailureLimiter::Resolve(const std::string& listener,
                             const std::string& client,
                             const std::string& attempt, bool failed) {
  {
    absl::MutexLock lock(&mu_);
    Entry* entry = Touch(listener + "|" + client, /*create=*/false);
    if (entry != nullptr) {
      auto it = entry->pending.find(attempt);
      if (it != entry->pending.end() && --it->second == 0) {
        entry->pending.erase(it);
      }
    }
  }
  if (failed) RecordFailure(listener, client);
}

PasswordChecker::PasswordChecker(int threads, size_t max_queue,
                                 size_t max_cached)
    : executor_(std::make_unique<BlockingExecutor>(threads)),
      max_queue_(max_queue),
      max_cached_(max_cached) {}

PasswordChecker::~PasswordChecker() = default;

void PasswordChecker::Check(const std::string& listener_uuid, int64_t version,
                            const std::string& kdf, const std::string& password,
                            std::function<void(absl::StatusOr<bool>)> done) {
  // The cache key is a digest: clear passwords are never kept.
  std::string key =
      crypto::Sha256(absl::StrCat(listener_uuid, "|", version, "|", password));
  std::optional<absl::StatusOr<bool>> answer;
  {
    absl::MutexLock lock(&mu_);
    auto it = verdicts_.find(key);
    if (it != verdicts_.end()) {
      answer = it->second;
    } else if (auto w = waiting_.find(key); w != waiting_.end()) {
      w->second.push_back(std::move(done));
      return;
    } else if (queued_ >= max_queue_) {
      answer = absl::UnavailableError("too many password checks in progress");
    } else {
      ++queued_;
      waiting_[key].push_back(std::move(done));
    }
  }
  if (answer) {
    done(std::move(*answer));
    return;
  }
  executor_->Submit([this, key, kdf, password] {
    bool ok = crypto::VerifyPassword(password, kdf);
    std::vector<std::function<void(absl::StatusOr<bool>)>> callbacks;
    {
      absl::MutexLock lock(&mu_);
      --queued_;
      ++kdf_runs_;
      if (verdicts_.size() >= max_cached_) verdicts_.clear();
      verdicts_[key] = ok;
      callbacks.swap(waiting_[key]);
      waiting_.erase(key);
    }
    for (auto& callback : callbacks) callback(ok);
  });
}

}  // namespace sluice::edge

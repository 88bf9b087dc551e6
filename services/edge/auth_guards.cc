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

int FailureLimiter::BlockedFor(const std::string& listener,
                               const std::string& client) {
  absl::MutexLock lock(&mu_);
  auto it = windows_.find(listener + "|" + client);
  if (it == windows_.end() || it->second.failures <= max_failures_) return 0;
  auto left = it->second.start + window_ - clock_();
  if (left <= std::chrono::seconds(0)) return 0;
  return static_cast<int>(
             std::chrono::duration_cast<std::chrono::seconds>(left).count()) +
         1;
}

void FailureLimiter::RecordFailure(const std::string& listener,
                                   const std::string& client) {
  absl::MutexLock lock(&mu_);
  auto now = clock_();
  if (windows_.size() >= max_entries_) {
    for (auto it = windows_.begin(); it != windows_.end();) {
      it = it->second.start + window_ <= now ? windows_.erase(it)
                                             : std::next(it);
    }
    // Still full: forget the oldest half rather than grow.
    if (windows_.size() >= max_entries_) windows_.clear();
  }
  Window& w = windows_[listener + "|" + client];
  if (w.failures == 0 || w.start + window_ <= now) {
    w.start = now;
    w.failures = 0;
  }
  ++w.failures;
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

#ifndef SLUICE_SERVICES_EDGE_AUTH_GUARDS_H_
#define SLUICE_SERVICES_EDGE_AUTH_GUARDS_H_

#include <chrono>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace sluice {
class BlockingExecutor;
}

namespace sluice::edge {

// Counts failed authentications per (listener, client address) over a
// sliding window: a pair with more than `max_failures` failures in the last
// `window` is refused until enough of them are older than that. Attempts
// whose verdict is still being computed (a password in the KDF) count as
// failures until they resolve, so a burst of guesses cannot queue up past
// the limit. At most `max_entries` pairs are kept; past that the least
// recently active pair is forgotten, never a whole table. Thread-safe.
class FailureLimiter {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  FailureLimiter(int max_failures, std::chrono::seconds window,
                 size_t max_entries, Clock clock = nullptr);

  // Seconds until the pair may try again, or 0 when it is not blocked.
  int BlockedFor(const std::string& listener, const std::string& client);
  void RecordFailure(const std::string& listener, const std::string& client);

  // An attempt whose verdict comes later, named by `attempt` (a digest of
  // what it presented; attempts with the same name count once), counted as
  // a failure from now until Resolve().
  void BeginPending(const std::string& listener, const std::string& client,
                    const std::string& attempt);
  void Resolve(const std::string& listener, const std::string& client,
               const std::string& attempt, bool failed);

  size_t size() {
    absl::MutexLock lock(&mu_);
    return entries_.size();
  }

 private:
  using TimePoint = std::chrono::steady_clock::time_point;
  struct Entry {
    std::string key;
    std::deque<TimePoint> failures;  // newest last, at most max_failures + 1
    std::map<std::string, int> pending;
  };
  using Entries = std::list<Entry>;  // most recently active first

  // The pair's entry, made most recent; created when `create`.
  Entry* Touch(const std::string& key, bool create)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Forget(Entry* entry, TimePoint now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const int max_failures_;
  const std::chrono::seconds window_;
  const size_t max_entries_;
  Clock clock_;
  absl::Mutex mu_;
  Entries entries_ ABSL_GUARDED_BY(mu_);
  std::unordered_map<std::string, Entries::iterator> index_
      ABSL_GUARDED_BY(mu_);
};

// Verifies user-chosen basic passwords against their scrypt hash. The KDF
// runs at most once per distinct (listener, version, password): verdicts
// are remembered, and concurrent checks of one credential share one run,
// so a sender's requests cost a hash lookup. KDF
// work runs on its own small executor with a bounded queue, so a flood of
// wrong passwords cannot starve the HTTP workers; past the bound the answer
// is UNAVAILABLE. Thread-safe.
class PasswordChecker {
 public:
  PasswordChecker(int threads, size_t max_queue, size_t max_cached);
  ~PasswordChecker();

  // `done(ok)` runs inline on a cache hit, else on the KDF executor.
  void Check(const std::string& listener_uuid, int64_t version,
             const std::string& kdf, const std::string& password,
             std::function<void(absl::StatusOr<bool>)> done);

  // How many times the KDF has run (for tests and metrics).
  int64_t kdf_runs() {
    absl::MutexLock lock(&mu_);
    return kdf_runs_;
  }

 private:
  std::unique_ptr<BlockingExecutor> executor_;
  const size_t max_queue_;
  const size_t max_cached_;
  absl::Mutex mu_;
  size_t queued_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t kdf_runs_ ABSL_GUARDED_BY(mu_) = 0;
  std::unordered_map<std::string, bool> verdicts_ ABSL_GUARDED_BY(mu_);
  // Checks of the same credential arriving while its KDF runs wait for it.
  std::unordered_map<std::string,
                     std::vector<std::function<void(absl::StatusOr<bool>)>>>
      waiting_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sluice::edge

#endif  // SLUICE_SERVICES_EDGE_AUTH_GUARDS_H_

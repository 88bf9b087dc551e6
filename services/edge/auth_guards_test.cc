#include "services/edge/auth_guards.h"

#include <gtest/gtest.h>

#include <future>

#include "common/crypto/crypto.h"

namespace sluice::edge {
namespace {

TEST(FailureLimiterTest, BlocksAfterTheLimitUntilFailuresAgeOut) {
  auto now = std::chrono::steady_clock::time_point{};
  FailureLimiter limiter(20, std::chrono::seconds(60), 1000,
                         [&] { return now; });
  for (int i = 0; i < 20; ++i) limiter.RecordFailure("l", "1.2.3.4");
  EXPECT_EQ(limiter.BlockedFor("l", "1.2.3.4"), 0);  // 20 is allowed
  limiter.RecordFailure("l", "1.2.3.4");
  EXPECT_EQ(limiter.BlockedFor("l", "1.2.3.4"), 61);
  EXPECT_EQ(limiter.BlockedFor("l", "5.6.7.8"), 0);      // other clients
  EXPECT_EQ(limiter.BlockedFor("other", "1.2.3.4"), 0);  // other listeners
  now += std::chrono::seconds(30);
  EXPECT_EQ(limiter.BlockedFor("l", "1.2.3.4"), 31);
  now += std::chrono::seconds(31);
  EXPECT_EQ(limiter.BlockedFor("l", "1.2.3.4"), 0);
}

TEST(FailureLimiterTest, TheWindowSlidesSoNoBoundaryDoublesTheLimit) {
  auto now = std::chrono::steady_clock::time_point{};
  FailureLimiter limiter(20, std::chrono::seconds(60), 1000,
                         [&] { return now; });
  // 20 failures late in one minute, then more just after it: a fixed window
  // would allow 40 within a few seconds.
  now += std::chrono::seconds(55);
  for (int i = 0; i < 20; ++i) limiter.RecordFailure("l", "a");
  now += std::chrono::seconds(10);
  EXPECT_EQ(limiter.BlockedFor("l", "a"), 0);
  limiter.RecordFailure("l", "a");
  EXPECT_GT(limiter.BlockedFor("l", "a"), 0);
  // Free again once the first 20 are a minute old.
  now += std::chrono::seconds(51);
  EXPECT_EQ(limiter.BlockedFor("l", "a"), 0);
}

TEST(FailureLimiterTest, PendingChecksCountUntilTheyResolve) {
  auto now = std::chrono::steady_clock::time_point{};
  FailureLimiter limiter(20, std::chrono::seconds(60), 1000,
                         [&] { return now; });
  // A burst of distinct guesses waiting for the KDF is refused past 21.
  for (int i = 0; i < 21; ++i) {
    ASSERT_EQ(limiter.BlockedFor("l", "a"), 0) << i;
    limiter.BeginPending("l", "a", "guess" + std::to_string(i));
  }
  EXPECT_GT(limiter.BlockedFor("l", "a"), 0);
  // The same password sent many times at once counts once.
  for (int i = 0; i < 100; ++i) limiter.BeginPending("l", "b", "same");
  EXPECT_EQ(limiter.BlockedFor("l", "b"), 0);
  // Resolved: right ones stop counting, wrong ones become failures.
  for (int i = 0; i < 21; ++i) {
    limiter.Resolve("l", "a", "guess" + std::to_string(i), /*failed=*/i >= 11);
  }
  EXPECT_EQ(limiter.BlockedFor("l", "a"), 0);
  for (int i = 0; i < 11; ++i) limiter.RecordFailure("l", "a");
  EXPECT_GT(limiter.BlockedFor("l", "a"), 0);
}

TEST(FailureLimiterTest, MemoryIsBoundedAndABlockedPairIsNotReset) {
  auto now = std::chrono::steady_clock::time_point{};
  FailureLimiter limiter(1, std::chrono::seconds(60), 100, [&] { return now; });
  limiter.RecordFailure("l", "attacker");
  limiter.RecordFailure("l", "attacker");
  ASSERT_GT(limiter.BlockedFor("l", "attacker"), 0);
  // Fewer new pairs than the table holds evict only older ones.
  for (int i = 0; i < 98; ++i) limiter.RecordFailure("l", std::to_string(i));
  EXPECT_GT(limiter.BlockedFor("l", "attacker"), 0);
  for (int i = 0; i < 10000; ++i) {
    limiter.RecordFailure("l", std::to_string(i));
    if (i % 50 == 0) (void)limiter.BlockedFor("l", "attacker");  // active
  }
  EXPECT_LE(limiter.size(), 100u);
  EXPECT_GT(limiter.BlockedFor("l", "attacker"), 0);
  EXPECT_EQ(limiter.BlockedFor("l", "new"), 0);
}

TEST(PasswordCheckerTest, RunsTheKdfOncePerCredential) {
  PasswordChecker checker(1, 16, 100);
  std::string kdf = crypto::HashPassword("a good password");
  auto check = [&](const std::string& password) {
    std::promise<absl::StatusOr<bool>> result;
    checker.Check("l", 1, kdf, password,
                  [&](absl::StatusOr<bool> ok) { result.set_value(ok); });
    return result.get_future().get();
  };
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(*check("a good password"));
  EXPECT_EQ(checker.kdf_runs(), 1);
  EXPECT_FALSE(*check("a wrong password"));
  EXPECT_FALSE(*check("a wrong password"));
  EXPECT_EQ(checker.kdf_runs(), 2);
  // A new credential version (rotation) is checked afresh.
  std::promise<absl::StatusOr<bool>> result;
  checker.Check("l", 2, kdf, "a good password",
                [&](absl::StatusOr<bool> ok) { result.set_value(ok); });
  EXPECT_TRUE(*result.get_future().get());
  EXPECT_EQ(checker.kdf_runs(), 3);
}

TEST(PasswordCheckerTest, ConcurrentChecksOfOneCredentialShareOneKdfRun) {
  PasswordChecker checker(2, 64, 100);
  std::string kdf = crypto::HashPassword("shared password");
  std::vector<std::promise<absl::StatusOr<bool>>> results(32);
  for (auto& r : results) {
    checker.Check("l", 1, kdf, "shared password",
                  [&r](absl::StatusOr<bool> ok) { r.set_value(ok); });
  }
  for (auto& r : results) EXPECT_TRUE(*r.get_future().get());
  EXPECT_EQ(checker.kdf_runs(), 1);
}

}  // namespace
}  // namespace sluice::edge

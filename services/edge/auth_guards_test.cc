#include "services/edge/auth_guards.h"

#include <gtest/gtest.h>

#include <future>

#include "common/crypto/crypto.h"

namespace sluice::edge {
namespace {

TEST(FailureLimiterTest, BlocksAfterTheLimitUntilTheWindowEnds) {
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

TEST(FailureLimiterTest, MemoryIsBounded) {
  auto now = std::chrono::steady_clock::time_point{};
  FailureLimiter limiter(1, std::chrono::seconds(60), 100, [&] { return now; });
  for (int i = 0; i < 10000; ++i) limiter.RecordFailure("l", std::to_string(i));
  // Nothing crashed or grew without bound; a fresh pair starts clean.
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

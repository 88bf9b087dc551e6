#include "common/rpc/rpc.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

namespace sluice {
namespace {

TEST(BlockingExecutorTest, TheQueueIsBounded) {
  BlockingExecutor executor(1, /*max_queued=*/2);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> ran{0};
  std::promise<void> started;
  // One job runs (and blocks), two wait, the fourth is refused.
  ASSERT_TRUE(executor.TrySubmit([&] {
    started.set_value();
    released.wait();
    ++ran;
  }));
  started.get_future().wait();
  EXPECT_TRUE(executor.TrySubmit([&] { ++ran; }));
  EXPECT_TRUE(executor.TrySubmit([&] { ++ran; }));
  EXPECT_FALSE(executor.TrySubmit([&] { ++ran; }));
  release.set_value();
  std::promise<void> done;
  executor.Submit([&] { done.set_value(); });  // internal work always queues
  done.get_future().wait();
  EXPECT_EQ(ran.load(), 3);
}

}  // namespace
}  // namespace sluice

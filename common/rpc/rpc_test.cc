#include "common/rpc/rpc.h"

#include <gtest/gtest.h>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/health_check_service_interface.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <thread>

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

// grpc.health.v1.Health/Check for `service` (HealthCheckRequest, field 1).
grpc::Status CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                         const std::string& service) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(2));
  std::string bytes = std::string("\x0a") + static_cast<char>(service.size()) +
                      service;
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1), response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(),
                 &request, &response,
                 [&](grpc::Status s) { done.set_value(s); });
  return done.get_future().get();
}

TEST(GrpcServerTest, AgedConnectionsMoveClientsToBackendsStartedSince) {
  // A new backend behind the same name: here a Unix socket path taken over
  // by a second server while the first keeps serving its connections, as a
  // Service's DNS name gains a pod. The client moves only because the first
  // server closes its connection when it is old enough.
  const std::string path =
      "unix:/tmp/sluice-rpc-test-" + std::to_string(getpid()) + ".sock";
  unlink(path.c_str() + 5);
  GrpcServerOptions options;
  options.max_connection_age = std::chrono::milliseconds(1000);
  options.max_connection_age_grace = std::chrono::milliseconds(500);
  auto first = StartGrpcServer(path, {}, nullptr, options);
  ASSERT_TRUE(first.ok()) << first.status();
  first->server->GetHealthCheckService()->SetServingStatus("first", true);
  auto channel = MakeChannel(path);
  ASSERT_TRUE(CheckHealth(channel, "first").ok());

  unlink(path.c_str() + 5);
  auto second = StartGrpcServer(path, {}, nullptr, options);
  ASSERT_TRUE(second.ok()) << second.status();
  second->server->GetHealthCheckService()->SetServingStatus("second", true);
  EXPECT_EQ(CheckHealth(channel, "second").error_code(),
            grpc::StatusCode::NOT_FOUND)  // still the first server
      << "the connection moved before it was old enough";

  bool moved = false;
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!moved && std::chrono::steady_clock::now() < give_up) {
    moved = CheckHealth(channel, "second").ok();
    if (!moved) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(moved) << "calls still reach the first server";
  first->server->Shutdown();
  second->server->Shutdown();
  unlink(path.c_str() + 5);
}

TEST(GrpcServerTest, ConnectionAgeComesFromTheEnvironment) {
  setenv("SLUICE_GRPC_MAX_CONNECTION_AGE_MS", "1234", 1);
  setenv("SLUICE_GRPC_MAX_CONNECTION_AGE_GRACE_MS", "56", 1);
  GrpcServerOptions options = GrpcServerOptionsFromEnvironment();
  EXPECT_EQ(options.max_connection_age.count(), 1234);
  EXPECT_EQ(options.max_connection_age_grace.count(), 56);
  unsetenv("SLUICE_GRPC_MAX_CONNECTION_AGE_MS");
  unsetenv("SLUICE_GRPC_MAX_CONNECTION_AGE_GRACE_MS");
  EXPECT_EQ(GrpcServerOptionsFromEnvironment().max_connection_age.count(),
            30000);
}

}  // namespace
}  // namespace sluice

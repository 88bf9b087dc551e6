// Retention replicas and their leases (DESIGN §5, issue: several replicas
// never purge the same policy at once), against the stack's MariaDB and a
// storage service on real gRPC that records how many purges of a listener
// run at once.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "common/mysql/mysql_pool.h"
#include "services/retention/retention_manager.h"
#include "tests/integration/listener_fixture.h"

namespace sluice::testing {
namespace {

// Storage that "deletes" 250 records per call, `calls_per_purge` calls per
// listener, taking 20 ms each.
class CountingStorage final : public v1::StorageService::CallbackService {
 public:
  grpc::ServerUnaryReactor* Purge(grpc::CallbackServerContext* context,
                                  const v1::PurgeRequest* request,
                                  v1::PurgeResponse* response) override {
    const std::string& listener = request->listener_uuid();
    {
      std::lock_guard<std::mutex> lock(mu_);
      int now = ++running_[listener];
      max_running_ = std::max(max_running_, now);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    {
      std::lock_guard<std::mutex> lock(mu_);
      --running_[listener];
      int call = ++calls_[listener];
      response->set_deleted(250);
      response->set_done(call % 4 == 0);
    }
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  int max_running() {
    std::lock_guard<std::mutex> lock(mu_);
    return max_running_;
  }
  int calls() {
    std::lock_guard<std::mutex> lock(mu_);
    int n = 0;
    for (auto& [_, c] : calls_) n += c;
    return n;
  }

 private:
  std::mutex mu_;
  std::map<std::string, int> running_, calls_;
  int max_running_ = 0;
};

class RetentionTest : public ListenerTest {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port_);
    builder.RegisterService(&storage_);
    server_ = builder.BuildAndStart();
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(port_),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::StorageService::NewStub(channel_);
    MySqlOptions o;
    o.port = stack_.port(13);
    o.database = "sluice_retention_lease_test";
    o.max_connections = 8;
    pool_ = std::make_unique<MySqlPool>(o);
    ASSERT_TRUE(pool_->EnsureDatabase().ok());
    ASSERT_TRUE(
        pool_->Migrate("retention", RetentionManager::Migrations()).ok());
    stack_.Query("DELETE FROM sluice_retention_lease_test.policies");
  }
  void TearDown() override { server_->Shutdown(); }

  std::unique_ptr<RetentionManager> Replica(const std::string& name) {
    RetentionManager::Options options;
    options.holder = name;
    options.lease = std::chrono::milliseconds(2000);
    return std::make_unique<RetentionManager>(pool_.get(), stub_.get(),
                                              options);
  }

  CountingStorage storage_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::StorageService::Stub> stub_;
  std::unique_ptr<MySqlPool> pool_;
};

TEST_F(RetentionTest, TwoReplicasNeverPurgeOneListenerAtOnce) {
  const std::vector<std::string> listeners = {
      "00000000-0000-4000-8000-000000000001",
      "00000000-0000-4000-8000-000000000002"};
  auto a = Replica("replica-a");
  auto b = Replica("replica-b");
  for (const auto& l : listeners) ASSERT_TRUE(a->SetPolicy(l, 45).ok());
  std::atomic<bool> stop{false};
  std::atomic<int64_t> deleted_a{0}, deleted_b{0};
  auto run = [&](RetentionManager* m, std::atomic<int64_t>* deleted) {
    while (!stop) {
      for (const auto& l : listeners) {
        auto d = m->RunNow(l, std::chrono::milliseconds(0));
        if (d.ok()) *deleted += *d;
        auto due = m->RunDue();
        if (due.ok()) *deleted += *due;
      }
    }
  };
  std::thread ta(run, a.get(), &deleted_a), tb(run, b.get(), &deleted_b);
  std::this_thread::sleep_for(std::chrono::seconds(3));
  stop = true;
  ta.join();
  tb.join();
  EXPECT_EQ(storage_.max_running(), 1);
  EXPECT_GT(storage_.calls(), 20);
  // Both replicas got to purge; neither was starved for good.
  EXPECT_GT(deleted_a, 0);
  EXPECT_GT(deleted_b, 0);
  // No lease is left behind.
  EXPECT_EQ(stack_.Query("SELECT COUNT(*) FROM "
                         "sluice_retention_lease_test.policies WHERE "
                         "lease_holder IS NOT NULL")[0][0],
            "0");
}

TEST_F(RetentionTest, ALeaseWhoseHolderDiedExpires) {
  const std::string listener = "00000000-0000-4000-8000-000000000003";
  auto b = Replica("replica-b");
  ASSERT_TRUE(b->SetPolicy(listener, 45).ok());
  // A replica that died while purging: its lease runs one more second.
  stack_.Query(
      "UPDATE sluice_retention_lease_test.policies SET lease_holder = "
      "'dead-replica', lease_expires = UTC_TIMESTAMP(6) + INTERVAL 1 SECOND "
      "WHERE listener_uuid = '" + listener + "'");
  EXPECT_EQ(*b->RunDue(), 0);  // not while the lease holds
  EXPECT_FALSE(b->RunNow(listener, std::chrono::milliseconds(100)).ok());
  auto start = std::chrono::steady_clock::now();
  auto deleted = b->RunNow(listener, std::chrono::seconds(5));
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(*deleted, 1000);  // 4 calls of 250 until done
  EXPECT_GE(std::chrono::steady_clock::now() - start,
            std::chrono::milliseconds(500));
}

// Real records on the real stack: a 2 s policy removes a record about 2 s
// after its last write, not before.
TEST_F(RetentionTest, RecordsGoOnTimeAtTheSecondScale) {
  TestListener l = CreateListener(
      {{"method", "token"}, {"readFrom", "header"}, {"name", "X-Api-Token"}},
      {{"id", 1}, {"items", json::array({json{{"k", 1}}})}},
      json::array({"id"}), {{"retention", "2s"}});
  ASSERT_EQ(Post(l, R"({"id":1,"items":[{"k":1},{"k":2}]})").status, 200);
  auto written = std::chrono::steady_clock::now();
  std::chrono::steady_clock::duration gone{};
  while (std::chrono::steady_clock::now() - written < std::chrono::seconds(10)) {
    if (Count(l) == "0") {
      gone = std::chrono::steady_clock::now() - written;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_GE(gone, std::chrono::milliseconds(1900));
  // The scheduler looks every 250 ms and a 2 s policy is due every 500 ms.
  EXPECT_LE(gone, std::chrono::milliseconds(4000));
  EXPECT_EQ(Count(l, "_items"), "0");
}

}  // namespace
}  // namespace sluice::testing

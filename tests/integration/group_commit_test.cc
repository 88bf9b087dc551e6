// Storage's record writer against the stack's real MariaDB: writes committed
// in groups stay atomic one by one, and none is answered before its commit.
#include <cppconn/connection.h>
#include <cppconn/statement.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "common/mapping/record_mapper.h"
#include "common/mapping/table_generator.h"
#include "common/mysql/mysql_pool.h"
#include "services/storage/data_store.h"
#include "tests/testing/test_stack.h"

namespace sluice::testing {
namespace {

class GroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string suffix = Unique("");
    meta_ = "sluice_gc_meta" + suffix;
    data_ = "sluice_gc_data" + suffix;
    MySqlOptions o;
    o.port = stack_.port(13);
    o.database = meta_;
    o.max_connections = 8;
    pool_ = std::make_unique<MySqlPool>(o);
    ASSERT_TRUE(pool_->EnsureDatabase().ok());
    ASSERT_TRUE(pool_->Migrate("storage", DataStore::Migrations()).ok());
    store_ = std::make_unique<DataStore>(pool_.get(), data_);
    ASSERT_TRUE(store_->EnsureDataDatabase().ok());
    v1::DataStructure structure;
    structure.set_base_name("orders");
    structure.add_primary_key("id");
    structure.set_sample_json(
        R"({"id":1,"name":"first","items":[{"sku":"a","qty":1}]})");
    ASSERT_TRUE(mapping::GenerateTables(&structure).ok());
    auto mapper = mapping::RecordMapper::Create(structure);
    ASSERT_TRUE(mapper.ok()) << mapper.status();
    mapper_ = *mapper;
    std::vector<v1::Table> tables(structure.tables().begin(),
                                  structure.tables().end());
    ASSERT_TRUE(store_->CreateTables(kListener, tables).ok());
  }

  void TearDown() override {
    stack_.Query("DROP DATABASE IF EXISTS `" + meta_ +
                 "`; DROP DATABASE IF EXISTS `" + data_ + "`");
  }

  v1::WriteRequest Request(const std::string& body, bool patch = false,
                           const std::string& idempotency_key = "") {
    v1::WriteRequest request;
    request.set_listener_uuid(kListener);
    request.set_mode(patch ? v1::WRITE_MODE_PATCH : v1::WRITE_MODE_UPSERT);
    request.set_idempotency_key(idempotency_key);
    auto records = mapper_->Map(body, patch);
    EXPECT_TRUE(records.ok()) << records.status();
    if (records.ok()) {
      for (auto& r : *records) *request.add_records() = std::move(r);
    }
    return request;
  }

  PendingWrite Pending(const v1::WriteRequest& request) {
    auto p = store_->writer().Prepare(request);
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *std::move(p) : PendingWrite();
  }

  std::string Rows(const std::string& table, const std::string& where = "1") {
    return stack_.Query("SELECT COUNT(*) FROM `" + data_ + "`.`" + table +
                        "` WHERE " + where)[0][0];
  }

  static constexpr char kListener[] = "00000000-0000-4000-8000-00000000c0de";
  TestStack& stack_ = TestStack::Get();
  std::string meta_, data_;
  std::unique_ptr<MySqlPool> pool_;
  std::unique_ptr<DataStore> store_;
  std::shared_ptr<const mapping::RecordMapper> mapper_;
};

TEST_F(GroupCommitTest, AFailingWriteInAGroupLeavesTheOthersCommitted) {
  v1::WriteRequest one = Request(R"({"id":1,"name":"a","items":[{"sku":"x","qty":1}]})");
  // A value the column refuses (the edge never sends one; a client of the
  // gRPC API might): strict mode fails its statement.
  v1::WriteRequest refused = Request(R"({"id":2,"name":"b","items":[]})");
  refused.mutable_records(0)->mutable_tables(0)->mutable_rows(0)->mutable_values(1)
      ->set_string_value(std::string(70000, 'b'));
  v1::WriteRequest missing = Request(R"({"id":99,"name":"c"})", /*patch=*/true);
  v1::WriteRequest three = Request(
      R"({"id":3,"name":"c","items":[{"sku":"y","qty":2},{"sku":"z","qty":3}]})");
  PendingWrite p1 = Pending(one), p2 = Pending(refused), p3 = Pending(missing),
               p4 = Pending(three);
  store_->writer().WriteGroup({&p1, &p2, &p3, &p4});
  EXPECT_TRUE(p1.status.ok()) << p1.status;
  EXPECT_FALSE(p2.status.ok());
  EXPECT_EQ(p3.status.code(), absl::StatusCode::kNotFound) << p3.status;
  EXPECT_TRUE(p4.status.ok()) << p4.status;
  EXPECT_EQ(p1.response.records(), 1);
  EXPECT_EQ(p4.response.records(), 1);
  EXPECT_EQ(Rows("orders"), "2");
  EXPECT_EQ(Rows("orders", "id = 2"), "0");
  EXPECT_EQ(Rows("orders_items"), "3");
  auto record = store_->GetRecord(kListener, {one.records(0).key(0)});
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_NE(record->find(R"("sku":"x")"), std::string::npos) << *record;
}

TEST_F(GroupCommitTest, ARepeatedKeyInOneGroupIsWrittenOnceAndReplayed) {
  v1::WriteRequest first = Request(R"({"id":7,"name":"first"})", false, "k-1");
  v1::WriteRequest again = Request(R"({"id":7,"name":"second"})", false, "k-1");
  PendingWrite p1 = Pending(first), p2 = Pending(again);
  store_->writer().WriteGroup({&p1, &p2});
  ASSERT_TRUE(p1.status.ok()) << p1.status;
  ASSERT_TRUE(p2.status.ok()) << p2.status;
  EXPECT_FALSE(p1.response.replayed());
  EXPECT_TRUE(p2.response.replayed());
  EXPECT_EQ(p2.response.records(), 1);
  EXPECT_EQ(Rows("orders", "id = 7 AND name = 'first'"), "1");
}

TEST_F(GroupCommitTest, NothingIsAnsweredOrVisibleBeforeItsCommit) {
  v1::WriteRequest seed = Request(R"({"id":5,"name":"seed"})");
  ASSERT_TRUE(store_->Write(seed).ok());
  // Another client holds record 5's row lock.
  std::atomic<bool> locked{false}, release{false};
  std::thread holder([&] {
    (void)pool_->Transaction([&](sql::Connection& con) {
      std::unique_ptr<sql::Statement> st(con.createStatement());
      st->execute("SELECT * FROM `" + data_ + "`.`orders` WHERE id = 5 FOR UPDATE");
      locked = true;
      while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      return absl::OkStatus();
    });
  });
  while (!locked) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  v1::WriteRequest six = Request(R"({"id":6,"name":"six"})");
  v1::WriteRequest five = Request(R"({"id":5,"name":"five"})");
  PendingWrite p6 = Pending(six), p5 = Pending(five);
  std::atomic<bool> answered{false};
  std::thread group([&] {
    store_->writer().WriteGroup({&p6, &p5});
    answered = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  // Record 6 is written in the open transaction, waiting on record 5.
  EXPECT_FALSE(answered.load());
  EXPECT_EQ(Rows("orders", "id = 6"), "0");
  release = true;
  holder.join();
  group.join();
  EXPECT_TRUE(p6.status.ok()) << p6.status;
  EXPECT_TRUE(p5.status.ok()) << p5.status;
  EXPECT_EQ(Rows("orders", "id = 6"), "1");
  EXPECT_EQ(Rows("orders", "id = 5 AND name = 'five'"), "1");
}

TEST_F(GroupCommitTest, ConcurrentWritersShareTransactionsAndAllLand) {
  constexpr int kThreads = 24, kEach = 25;
  std::atomic<int> failed{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int n = 0; n < kEach; ++n) {
        int id = 1000 + t * kEach + n;
        v1::WriteRequest r = Request(
            "{\"id\":" + std::to_string(id) +
            ",\"name\":\"n\",\"items\":[{\"sku\":\"s\",\"qty\":1}]}");
        if (!store_->Write(r).ok()) failed.fetch_add(1);
      }
    });
  }
  for (auto& w : writers) w.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(Rows("orders"), std::to_string(kThreads * kEach));
  EXPECT_EQ(Rows("orders_items"), std::to_string(kThreads * kEach));
  EXPECT_LT(store_->writer().groups(), static_cast<size_t>(kThreads * kEach));
}

TEST_F(GroupCommitTest, AWriteNearItsDeadlineDoesNotCostItsGroupTheCommit) {
  v1::WriteRequest late = Request(R"({"id":11,"name":"late"})");
  v1::WriteRequest on_time = Request(R"({"id":12,"name":"on time"})");
  PendingWrite p1 = Pending(late), p2 = Pending(on_time);
  p1.deadline = std::chrono::system_clock::now() + std::chrono::milliseconds(500);
  p2.deadline = std::chrono::system_clock::now() + std::chrono::seconds(15);
  store_->writer().WriteGroup({&p1, &p2});
  EXPECT_EQ(p1.status.code(), absl::StatusCode::kUnavailable) << p1.status;
  EXPECT_TRUE(p2.status.ok()) << p2.status;
  EXPECT_EQ(Rows("orders", "id = 11"), "0");
  EXPECT_EQ(Rows("orders", "id = 12"), "1");
}

TEST_F(GroupCommitTest, AGroupLargerThanOnePacketIsWrittenInSeveralStatements) {
  // 400 writes of ~60 KB each (kept in `_extra`): together past the
  // server's 16 MiB max_allowed_packet, each far inside it. (Larger values
  // would not show it: the client streams those apart from the statement.)
  std::vector<v1::WriteRequest> requests;
  for (int i = 0; i < 400; ++i) {
    requests.push_back(Request("{\"id\":" + std::to_string(100 + i) +
                               ",\"name\":\"big\",\"blob\":\"" +
                               std::string(60000, 'a' + i % 26) + "\"}"));
  }
  std::vector<PendingWrite> pending;
  for (const auto& r : requests) pending.push_back(Pending(r));
  std::vector<PendingWrite*> group;
  for (auto& p : pending) group.push_back(&p);
  store_->writer().WriteGroup(group);
  for (const auto& p : pending) EXPECT_TRUE(p.status.ok()) << p.status;
  EXPECT_EQ(Rows("orders", "id >= 100"), "400");
}

}  // namespace
}  // namespace sluice::testing

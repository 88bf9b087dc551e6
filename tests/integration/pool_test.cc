// The MySQL pool and storage's sweep against the stack's real MariaDB: what
// a busy, refusing or slow database turns into, and that nothing commits
// after the caller's deadline (DESIGN §7).
#include <cppconn/connection.h>
#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "common/mysql/mysql_pool.h"
#include "services/storage/data_store.h"
#include "tests/testing/test_stack.h"

namespace sluice::testing {
namespace {

using Clock = std::chrono::system_clock;

class PoolTest : public ::testing::Test {
 protected:
  MySqlOptions Options(const std::string& database, int connections = 4) {
    MySqlOptions o;
    o.port = stack_.port(13);
    o.database = database;
    o.max_connections = connections;
    return o;
  }

  static int64_t ConnectionId(sql::Connection& con) {
    std::unique_ptr<sql::Statement> st(con.createStatement());
    std::unique_ptr<sql::ResultSet> rs(
        st->executeQuery("SELECT CONNECTION_ID()"));
    rs->next();
    return rs->getInt64(1);
  }

  TestStack& stack_ = TestStack::Get();
};

TEST_F(PoolTest, DeadlocksThatOutlastTheRetriesAreUnavailable) {
  MySqlPool pool(Options("sluice_storage"));
  int attempts = 0;
  absl::Status status = pool.Transaction([&](sql::Connection&) -> absl::Status {
    ++attempts;
    throw sql::SQLException("Deadlock found", "40001", 1213);
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_GT(attempts, 1);
}

TEST_F(PoolTest, ARefusingServerIsUnavailableAndItsConnectionDropped) {
  MySqlPool pool(Options("sluice_storage", 1));
  for (int code : {1040, 1290, 1836}) {
    SCOPED_TRACE(code);
    int64_t first = 0;
    absl::Status status = pool.Run([&](sql::Connection& con) -> absl::Status {
      first = ConnectionId(con);
      throw sql::SQLException("refused", "HY000", code);
    });
    EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
    int64_t second = 0;
    ASSERT_TRUE(pool.Run([&](sql::Connection& con) {
                      second = ConnectionId(con);
                      return absl::OkStatus();
                    })
                    .ok());
    EXPECT_NE(first, second);
  }
}

TEST_F(PoolTest, ANodeOutOfItsClusterCostsItsPooledConnectionsAtOnce) {
  // 1047: a Galera node that left its cluster refuses every connection it
  // holds. The work is retried on a fresh connection and the other idle
  // ones are dropped too, instead of each failing a request of its own.
  MySqlPool pool(Options("sluice_storage", 2));
  std::set<int64_t> pooled;
  {
    std::promise<void> both_in;
    std::shared_future<void> go = both_in.get_future().share();
    std::atomic<int> in{0};
    std::mutex mu;
    auto hold = [&](sql::Connection& con) {
      int64_t id = ConnectionId(con);
      {
        std::lock_guard<std::mutex> lock(mu);
        pooled.insert(id);
      }
      if (++in == 2) both_in.set_value();
      go.wait();
      return absl::OkStatus();
    };
    std::thread a([&] { ASSERT_TRUE(pool.Run(hold).ok()); });
    std::thread b([&] { ASSERT_TRUE(pool.Run(hold).ok()); });
    a.join();
    b.join();
  }
  ASSERT_EQ(pooled.size(), 2u);
  int attempts = 0;
  int64_t retried_on = 0;
  absl::Status status = pool.Run([&](sql::Connection& con) -> absl::Status {
    if (++attempts == 1) {
      throw sql::SQLException("WSREP has not yet prepared node", "08S01", 1047);
    }
    retried_on = ConnectionId(con);
    return absl::OkStatus();
  });
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(attempts, 2);
  EXPECT_EQ(pooled.count(retried_on), 0u);
  int64_t next = 0;
  ASSERT_TRUE(pool.Run([&](sql::Connection& con) {
                    next = ConnectionId(con);
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(pooled.count(next), 0u)
      << "a connection of the refusing node was kept";
}

TEST_F(PoolTest, NothingCommitsAfterTheDeadline) {
  MySqlPool pool(Options("sluice_pool_test"));
  ASSERT_TRUE(pool.EnsureDatabase().ok());
  ASSERT_TRUE(pool.Run([](sql::Connection& con) {
                    std::unique_ptr<sql::Statement> st(con.createStatement());
                    st->execute(
                        "CREATE TABLE IF NOT EXISTS late (id INT PRIMARY KEY)");
                    st->execute("DELETE FROM late");
                    return absl::OkStatus();
                  })
                  .ok());
  auto deadline = Clock::now() + std::chrono::milliseconds(200);
  absl::Status status = pool.Transaction(
      [&](sql::Connection& con) {
        std::unique_ptr<sql::Statement> st(con.createStatement());
        st->execute("INSERT INTO late VALUES (1)");
        std::this_thread::sleep_until(deadline + std::chrono::milliseconds(50));
        return absl::OkStatus();
      },
      deadline);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_EQ(stack_.Query("SELECT COUNT(*) FROM sluice_pool_test.late")[0][0],
            "0");
  // Before its deadline the same write commits.
  EXPECT_TRUE(pool.Transaction(
                      [&](sql::Connection& con) {
                        std::unique_ptr<sql::Statement> st(
                            con.createStatement());
                        st->execute("INSERT INTO late VALUES (2)");
                        return absl::OkStatus();
                      },
                      Clock::now() + std::chrono::seconds(10))
                  .ok());
  EXPECT_EQ(stack_.Query("SELECT COUNT(*) FROM sluice_pool_test.late")[0][0],
            "1");
}

TEST_F(PoolTest, WaitingForAConnectionEndsAtTheDeadline) {
  MySqlPool pool(Options("sluice_storage", 1));
  std::atomic<bool> holding{false};
  std::thread holder([&] {
    (void)pool.Run([&](sql::Connection&) {
      holding = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      return absl::OkStatus();
    });
  });
  while (!holding) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  absl::Status status =
      pool.Run([](sql::Connection&) { return absl::OkStatus(); },
               Clock::now() + std::chrono::milliseconds(100));
  holder.join();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_NE(status.message().find("no database connection"),
            absl::string_view::npos);
}

TEST_F(PoolTest, TheIdempotencySweepForgetsEveryExpiredKey) {
  MySqlPool pool(Options("sluice_storage"));
  DataStore store(&pool, "sluice_data");
  stack_.Query(
      "INSERT INTO sluice_storage.idempotency_keys (listener_uuid, "
      "key_sha256, records, created) SELECT 'sweep-test', UNHEX(SHA2(seq, "
      "256)), 1, UTC_TIMESTAMP(6) - INTERVAL 2 DAY FROM "
      "sluice_storage.seq_1_to_12000");
  auto purged = store.PurgeIdempotencyKeys();
  ASSERT_TRUE(purged.ok()) << purged.status();
  EXPECT_GE(*purged, 12000);
  EXPECT_EQ(stack_.Query("SELECT COUNT(*) FROM sluice_storage.idempotency_keys "
                         "WHERE listener_uuid = 'sweep-test'")[0][0],
            "0");
}

TEST_F(PoolTest, StatementsArePreparedOncePerConnection) {
  MySqlPool pool(Options("sluice_storage", 1));
  EXPECT_EQ(MySqlPool::Statements(), nullptr);
  auto prepares = [](sql::Connection& con) {
    std::unique_ptr<sql::Statement> st(con.createStatement());
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery(
        "SHOW SESSION STATUS LIKE 'Com_stmt_prepare'"));
    rs->next();
    return rs->getInt64(2);
  };
  int64_t before = 0, after = 0;
  sql::PreparedStatement* first = nullptr;
  for (int round = 0; round < 3; ++round) {
    absl::Status status = pool.Transaction([&](sql::Connection& con) {
      if (round == 0) before = prepares(con);
      std::unique_ptr<sql::PreparedStatement> owned;
      sql::PreparedStatement* st = PrepareCached(con, "SELECT ? + 1", &owned);
      EXPECT_EQ(owned, nullptr);  // held by the cache, not by the caller
      if (round == 0) first = st;
      EXPECT_EQ(st, first);
      st->setInt(1, round);
      std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
      EXPECT_TRUE(rs->next());
      EXPECT_EQ(rs->getInt(1), round + 1);
      after = prepares(con);
      return absl::OkStatus();
    });
    ASSERT_TRUE(status.ok()) << status;
  }
  EXPECT_EQ(after - before, 1);
  EXPECT_EQ(MySqlPool::Statements(), nullptr);
  // The least recently used go past the bound.
  ASSERT_TRUE(pool.Run([&](sql::Connection& con) {
                    for (int i = 0; i < 200; ++i) {
                      std::unique_ptr<sql::PreparedStatement> owned;
                      PrepareCached(con, "SELECT " + std::to_string(i), &owned);
                    }
                    EXPECT_LE(MySqlPool::Statements()->size(), 128u);
                    return absl::OkStatus();
                  }).ok());
}

TEST_F(PoolTest, LeasesAreHeldByOneReplicaAtATime) {
  // Each pool stands for a replica with its own connections.
  MySqlPool a(Options("sluice_storage")), b(Options("sluice_storage"));
  const std::string lease = Unique("exclusive");
  std::atomic<int> inside{0}, most{0}, ran{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      MySqlPool& pool = i % 2 == 0 ? a : b;
      absl::Status status = pool.RunExclusive(
          lease, std::chrono::seconds(20), [&](sql::Connection&) {
            int now = ++inside;
            int seen = most.load();
            while (now > seen && !most.compare_exchange_weak(seen, now)) {
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            --inside;
            ++ran;
            return absl::OkStatus();
          });
      EXPECT_TRUE(status.ok()) << status;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ran.load(), 6);
  EXPECT_EQ(most.load(), 1);
}

TEST_F(PoolTest, TheLeaseOfAReplicaThatDiedRunsOut) {
  MySqlPool pool(Options("sluice_storage"));
  const std::string lease = Unique("orphan");
  // Taken by a replica that is gone: the row stays until it expires.
  ASSERT_TRUE(pool.RunExclusive(lease, std::chrono::seconds(5),
                                [](sql::Connection&) {
                                  return absl::OkStatus();
                                })
                  .ok());
  stack_.Query("INSERT INTO sluice_storage.sluice_leases VALUES ('" + lease +
               "', 'gone', UTC_TIMESTAMP(6) + INTERVAL 1 HOUR)"
               " ON DUPLICATE KEY UPDATE holder = 'gone'");
  bool ran = false;
  absl::Status held = pool.RunExclusive(lease, std::chrono::seconds(1),
                                        [&](sql::Connection&) {
                                          ran = true;
                                          return absl::OkStatus();
                                        });
  EXPECT_EQ(held.code(), absl::StatusCode::kUnavailable) << held;
  EXPECT_FALSE(ran);
  stack_.Query("UPDATE sluice_storage.sluice_leases SET expires ="
               " UTC_TIMESTAMP(6) + INTERVAL 1 SECOND WHERE name = '" +
               lease + "'");
  absl::Status taken = pool.RunExclusive(lease, std::chrono::seconds(10),
                                         [&](sql::Connection&) {
                                           ran = true;
                                           return absl::OkStatus();
                                         });
  EXPECT_TRUE(taken.ok()) << taken;
  EXPECT_TRUE(ran);
}

TEST_F(PoolTest, ALeaseIsRenewedWhileItsWorkRuns) {
  // Work that outlasts its lease three times over keeps it to the end.
  MySqlPool a(Options("sluice_storage")), b(Options("sluice_storage"));
  const std::string lease = Unique("long");
  const auto lease_time = std::chrono::seconds(2);
  std::atomic<bool> running{false}, finished{false};
  std::thread holder([&] {
    absl::Status status = a.RunExclusive(
        lease, std::chrono::seconds(5),
        [&](sql::Connection&) {
          running = true;
          std::this_thread::sleep_for(std::chrono::seconds(6));
          return absl::OkStatus();
        },
        lease_time);
    EXPECT_TRUE(status.ok()) << status;
    finished = true;
  });
  while (!running) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  int taken_meanwhile = 0, tries = 0;
  while (!finished) {
    (void)b.RunExclusive(
        lease, std::chrono::seconds(1),
        [&](sql::Connection&) {
          if (!finished) ++taken_meanwhile;
          return absl::OkStatus();
        },
        lease_time);
    ++tries;
  }
  holder.join();
  EXPECT_GE(tries, 3);
  EXPECT_EQ(taken_meanwhile, 0) << "the lease ran out under its holder";
}

TEST_F(PoolTest, ReplicasStartingTogetherApplyEachMigrationOnce) {
  const std::string database = Unique("sluice_migrate_test");
  // Not idempotent on purpose: a version applied twice leaves two rows.
  std::vector<std::vector<std::string>> versions = {
      {"CREATE TABLE IF NOT EXISTS applied (version INT NOT NULL)",
       "DO SLEEP(0.2)", "INSERT INTO applied VALUES (1)"},
      {"INSERT INTO applied VALUES (2)"},
  };
  std::vector<std::unique_ptr<MySqlPool>> replicas;
  for (int i = 0; i < 4; ++i) {
    replicas.push_back(std::make_unique<MySqlPool>(Options(database)));
  }
  ASSERT_TRUE(replicas[0]->EnsureDatabase().ok());
  std::vector<std::thread> threads;
  for (auto& pool : replicas) {
    threads.emplace_back([&, p = pool.get()] {
      absl::Status status = p->Migrate("test", versions);
      EXPECT_TRUE(status.ok()) << status;
    });
  }
  for (auto& t : threads) t.join();
  auto rows = stack_.Query("SELECT version, COUNT(*) FROM `" + database +
                           "`.applied GROUP BY version ORDER BY version");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"1", "1"}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"2", "1"}));
  stack_.Query("DROP DATABASE `" + database + "`");
}

TEST_F(PoolTest, NodesThatAreDownArePassedOver) {
  // A cluster given as a list: the first node refuses connections.
  MySqlOptions options = Options("sluice_storage");
  options.host = "127.0.0.1:1, 127.0.0.1:" + std::to_string(stack_.port(13));
  MySqlPool pool(options);
  for (int i = 0; i < 3; ++i) {
    absl::Status status = pool.Run([](sql::Connection& con) {
      std::unique_ptr<sql::Statement> st(con.createStatement());
      std::unique_ptr<sql::ResultSet> rs(st->executeQuery("SELECT 1"));
      return absl::OkStatus();
    });
    EXPECT_TRUE(status.ok()) << status;
  }
  options.host = "127.0.0.1:1,127.0.0.1:2";
  MySqlPool down(options);
  absl::Status status =
      down.Run([](sql::Connection&) { return absl::OkStatus(); });
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
}

}  // namespace
}  // namespace sluice::testing

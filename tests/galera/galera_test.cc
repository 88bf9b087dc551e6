// Sluice on a 3-node MariaDB Galera cluster (make test-galera): what one
// node commits, every node holds; and one node killed under load loses no
// acknowledged record while writes go on through the other two.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cppconn/connection.h>
#include <cppconn/statement.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "common/mysql/mysql_pool.h"
#include "tests/integration/listener_fixture.h"

namespace sluice::testing {
namespace {

class GaleraTest : public ListenerTest {
 protected:
  std::vector<int> NodePorts() {
    std::vector<int> ports;
    std::string list = stack_.Env("GALERA_NODE_PORTS");  // "p1,p2,p3"
    std::replace(list.begin(), list.end(), ',', ' ');
    std::istringstream in(list);
    for (int port; in >> port;) ports.push_back(port);
    return ports;
  }

  void Node(const std::string& action, int n) {
    std::string command = stack_.Env("SLUICE_SOURCE") +
                          "/tests/galera/galera_fixture.sh " + action + " " +
                          std::string(std::getenv("SLUICE_TEST_STACK")) + " " +
                          std::to_string(n);
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
  }

  std::string CountOn(int port, const std::string& table) {
    auto rows = stack_.Query("SELECT COUNT(*) FROM sluice_data.`" + table + "`",
                             port);
    return rows.empty() || rows[0].empty() ? "" : rows[0][0];
  }
};

TEST_F(GaleraTest, ReplicasOnDifferentNodesMigrateOnce) {
  // Three replicas start together, each connected to another node. A lock
  // of one node (GET_LOCK) would let all three apply every version.
  const std::string database = Unique("sluice_galera_migrate");
  std::vector<std::vector<std::string>> versions = {
      {"CREATE TABLE IF NOT EXISTS applied (n INT AUTO_INCREMENT PRIMARY KEY,"
       " version INT NOT NULL)",
       "DO SLEEP(0.3)", "INSERT INTO applied (version) VALUES (1)"},
      {"INSERT INTO applied (version) VALUES (2)"},
  };
  std::vector<std::unique_ptr<MySqlPool>> replicas;
  for (int port : NodePorts()) {
    MySqlOptions options;
    options.port = port;
    options.database = database;
    replicas.push_back(std::make_unique<MySqlPool>(options));
  }
  ASSERT_EQ(replicas.size(), 3u);
  ASSERT_TRUE(replicas[0]->EnsureDatabase().ok());
  std::vector<std::thread> threads;
  for (auto& pool : replicas) {
    threads.emplace_back([&versions, p = pool.get()] {
      absl::Status status = p->Migrate("test", versions);
      EXPECT_TRUE(status.ok()) << status;
    });
  }
  for (auto& t : threads) t.join();
  auto rows = stack_.Query("SELECT version, COUNT(*) FROM `" + database +
                               "`.applied GROUP BY version ORDER BY version",
                           NodePorts()[2]);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"1", "1"}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"2", "1"}));
  stack_.Query("DROP DATABASE `" + database + "`", NodePorts()[0]);
}

TEST_F(GaleraTest, ConflictsReportedAtCommitAreRetried) {
  // Two nodes change the same row at once: Galera certifies one and fails
  // the other's COMMIT with a deadlock, which the pool runs again.
  const std::string database = Unique("sluice_galera_conflict");
  std::vector<std::unique_ptr<MySqlPool>> nodes;
  for (int port : {NodePorts()[0], NodePorts()[1]}) {
    MySqlOptions options;
    options.port = port;
    options.database = database;
    nodes.push_back(std::make_unique<MySqlPool>(options));
  }
  ASSERT_TRUE(nodes[0]->EnsureDatabase().ok());
  ASSERT_TRUE(nodes[0]
                  ->Run([](sql::Connection& con) {
                    std::unique_ptr<sql::Statement> st(con.createStatement());
                    st->execute(
                        "CREATE TABLE counter (id INT PRIMARY KEY, n INT)");
                    st->execute("INSERT INTO counter VALUES (1, 0)");
                    return absl::OkStatus();
                  })
                  .ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  constexpr int kPerNode = 100;
  std::atomic<int> attempts{0}, failed{0};
  std::vector<std::thread> threads;
  for (auto& pool : nodes) {
    for (int t = 0; t < 2; ++t) {
      threads.emplace_back([&, p = pool.get()] {
        for (int i = 0; i < kPerNode / 2; ++i) {
          absl::Status status = p->Transaction([&](sql::Connection& con) {
            ++attempts;
            std::unique_ptr<sql::Statement> st(con.createStatement());
            st->execute("UPDATE counter SET n = n + 1 WHERE id = 1");
            return absl::OkStatus();
          });
          if (!status.ok()) ++failed;
        }
      });
    }
  }
  for (auto& t : threads) t.join();
  std::printf("galera: %d increments took %d attempts, %d gave up\n",
              2 * kPerNode, attempts.load(), failed.load());
  auto rows = stack_.Query(
      "SELECT n FROM `" + database + "`.counter WHERE id = 1", NodePorts()[2]);
  ASSERT_FALSE(rows.empty());
  // Every increment that was reported done is counted, and none twice.
  EXPECT_EQ(std::stoi(rows[0][0]), 2 * kPerNode - failed.load());
  EXPECT_GT(attempts.load(), 2 * kPerNode) << "no conflict happened";
  EXPECT_LE(failed.load(), 2 * kPerNode / 10);
  stack_.Query("DROP DATABASE `" + database + "`", NodePorts()[0]);
}

TEST_F(GaleraTest, TheClusterHasThreeNodes) {
  ASSERT_EQ(NodePorts().size(), 3u);
  for (int port : NodePorts()) {
    auto rows = stack_.Query("SHOW STATUS LIKE 'wsrep_cluster_size'", port);
    ASSERT_FALSE(rows.empty());
    EXPECT_EQ(rows[0].back(), "3") << port;
  }
}

TEST_F(GaleraTest, ARecordAcknowledgedIsOnEveryNode) {
  TestListener l = CreateListener(
      {{"method", "token"}, {"readFrom", "header"}, {"name", "X-Api-Token"}},
      json::parse(R"({"id":1,"name":"n","items":[{"sku":"s","qty":1}]})"));
  ASSERT_FALSE(l.uuid.empty());
  HttpResponse r = Post(
      l, R"({"id":7,"name":"seven","items":[{"sku":"a","qty":1},{"sku":"b","qty":2}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  HttpResponse read = stack_.Admin("GET", l.admin_path + "/records/7");
  EXPECT_EQ(read.status, 200) << read.body;
  EXPECT_NE(read.body.find("seven"), std::string::npos) << read.body;
  for (int port : NodePorts()) {
    SCOPED_TRACE(port);
    // Galera applies write sets on the other nodes just after commit.
    std::string root, items;
    for (int i = 0; i < 50; ++i) {
      root = CountOn(port, l.base_name);
      items = CountOn(port, l.base_name + "_items");
      if (root == "1" && items == "2") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(root, "1");
    EXPECT_EQ(items, "2");
  }
}

TEST_F(GaleraTest, KillingANodeUnderLoadLosesNoAcknowledgedRecord) {
  TestListener l = CreateListener(
      {{"method", "token"}, {"readFrom", "header"}, {"name", "X-Api-Token"}},
      json::parse(R"({"id":1,"name":"n","items":[{"sku":"s","qty":1}]})"));
  ASSERT_FALSE(l.uuid.empty());
  const std::vector<int> nodes = NodePorts();
  ASSERT_EQ(nodes.size(), 3u);
  constexpr int kConnections = 8;
  std::atomic<bool> stop{false};
  std::atomic<int> phase{0};  // 0 before the kill, 1 after
  std::mutex mu;
  std::map<long long, int> acknowledged;  // id → phase
  std::map<std::string, int> answers;
  std::vector<std::string> wrong;
  std::vector<std::thread> load;
  for (int c = 0; c < kConnections; ++c) {
    load.emplace_back([&, c] {
      HttpsClient client(stack_.cacert());
      for (long long n = 0; !stop; ++n) {
        long long id = c * 10000000LL + n;
        std::string body =
            "{\"id\":" + std::to_string(id) +
            ",\"name\":\"r\",\"items\":[{\"sku\":\"a\",\"qty\":1},"
            "{\"sku\":\"b\",\"qty\":2},{\"sku\":\"c\",\"qty\":3}]}";
        int at = phase;
        HttpResponse r = client.Send(
            "POST", l.url, body,
            {"Content-Type: application/json", "X-Api-Token: " + l.token},
            std::chrono::seconds(15));
        std::lock_guard<std::mutex> lock(mu);
        if (r.status == 200) {
          acknowledged[id] = at;
          ++answers["200"];
        } else {
          ++answers[r.status == 0 ? "none" : std::to_string(r.status)];
          bool retry = (r.status == 503 || r.status == 429) &&
                       r.headers.count("retry-after");
          if (!retry && wrong.size() < 20) {
            wrong.push_back(std::to_string(r.status) + " " + r.body + r.error);
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(3));
  // The first node: the one every service connected to first.
  Node("kill-node", 1);
  phase = 1;
  std::this_thread::sleep_for(std::chrono::seconds(6));
  stop = true;
  for (auto& t : load) t.join();

  int after_kill = 0;
  for (const auto& [id, at] : acknowledged) after_kill += at == 1;
  EXPECT_GT(after_kill, 0) << "no write was acknowledged after the kill";

  Durability d = CheckAcknowledged(l, acknowledged, 3, nodes[1]);
  std::printf(
      "galera: acknowledged %zu (%d after the kill), found %zu, missing %zu, "
      "incomplete %lld; answers %s\n",
      acknowledged.size(), after_kill, d.found, d.missing.size(), d.incomplete,
      Tally(answers).c_str());
  EXPECT_TRUE(d.missing.empty());
  EXPECT_EQ(d.incomplete, 0);
  for (const auto& w : wrong) ADD_FAILURE() << w;

  // The node rejoins and catches up on what it missed.
  auto start = std::chrono::steady_clock::now();
  Node("start-node", 1);
  double rejoin = std::chrono::duration<double>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  std::printf("galera: node 1 synced again %.1f s after its restart\n", rejoin);
  EXPECT_EQ(CountOn(nodes[0], l.base_name), std::to_string(d.found));
}

}  // namespace
}  // namespace sluice::testing

// The fault suite (make test-faults): a bounded load of unique records from
// 8 connections while each component in turn is killed with SIGKILL and
// started again. Afterwards every acknowledged record is in its tables with
// its children, every other answer was a 503 or 429 with Retry-After (or a
// refused connection while the TLS front itself was down), nothing hung,
// and each component served again within 5 s of its restart (DESIGN §7).
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "tests/integration/listener_fixture.h"

namespace sluice::testing {
namespace {

class KillUnderLoadTest : public ListenerTest {
 protected:
  void Kill(const std::string& part) {
    pid_t pid = 0;
    std::ifstream(stack_.var_dir() + "/run/" + part + ".pid") >> pid;
    ASSERT_GT(pid, 0) << part;
    // nginx's workers would go on serving without their master.
    std::string n = std::to_string(pid);
    std::system(("w=$(pgrep -P " + n + "); kill -KILL " + n +
                 "; sleep 0.1; [ -n \"$w\" ] && kill -KILL $w; true")
                    .c_str());
  }

  // Seconds until `part` serves again after its restart, or -1.
  double StartAndTime(const std::string& part) {
    auto start = std::chrono::steady_clock::now();
    stack_.Start(part);
    const std::string check = part == "mariadb" ? "storage" : part;
    while (std::chrono::steady_clock::now() - start <
           std::chrono::seconds(30)) {
      bool ok = part == "nginx"
                    ? stack_.Admin("GET", "/api/v1/integrations").status == 200
                    : stack_.WaitReady(check, std::chrono::seconds(1));
      if (ok) {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                             start)
            .count();
      }
    }
    return -1;
  }
};

TEST_F(KillUnderLoadTest, NothingAcknowledgedIsLostAndEveryAnswerIsOneToRetry) {
  TestListener l = CreateListener(
      {{"method", "token"}, {"readFrom", "header"}, {"name", "X-Api-Token"}},
      json::parse(R"({"id":1,"name":"n","items":[{"sku":"s","qty":1}]})"));
  ASSERT_FALSE(l.uuid.empty());
  constexpr int kConnections = 8;
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::map<long long, int> acknowledged;  // id → phase it was answered in
  std::atomic<int> phase{0};
  std::map<std::string, int> answers;  // "200", "503", "refused", …
  std::vector<std::string> wrong;      // answers a sender must not get
  std::atomic<long long> sent{0};
  std::vector<std::thread> load;
  for (int c = 0; c < kConnections; ++c) {
    load.emplace_back([&, c] {
      HttpsClient client(stack_.cacert());
      for (long long n = 0; !stop && n < 1000000; ++n) {
        long long id = c * 10000000LL + n;
        std::string body =
            "{\"id\":" + std::to_string(id) +
            ",\"name\":\"r\",\"items\":[{\"sku\":\"a\",\"qty\":1},"
            "{\"sku\":\"b\",\"qty\":2},{\"sku\":\"c\",\"qty\":3}]}";
        ++sent;
        HttpResponse r = client.Send(
            "POST", l.url, body,
            {"Content-Type: application/json", "X-Api-Token: " + l.token},
            std::chrono::seconds(10));
        std::lock_guard<std::mutex> lock(mu);
        if (r.status == 200) {
          acknowledged[id] = phase;
          ++answers["200"];
        } else if (r.status == 0) {
          // No HTTP answer: the front itself is down (refused), or a hang.
          bool hang = r.error.find("imed out") != std::string::npos;
          ++answers[hang ? "hang" : "refused"];
          if (hang) wrong.push_back("hang: " + r.error);
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        } else {
          ++answers[std::to_string(r.status)];
          bool retry = (r.status == 503 || r.status == 429) &&
                       r.headers.count("retry-after");
          if (!retry && wrong.size() < 20) {
            wrong.push_back(std::to_string(r.status) + " " + r.body);
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
      }
    });
  }
  std::map<std::string, double> recovery;
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const std::vector<std::string> parts = {"mariadb", "storage", "auth",
                                          "schema",  "edge",    "nginx"};
  for (const std::string& part : parts) {
    ++phase;
    Kill(part);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    recovery[part] = StartAndTime(part);
    std::this_thread::sleep_for(std::chrono::seconds(3));
  }
  stop = true;
  for (auto& t : load) t.join();

  // Every acknowledged record, with its three child rows.
  ASSERT_FALSE(acknowledged.empty());
  Durability d = CheckAcknowledged(l, acknowledged, 3);
  for (long long id : d.missing) {
    int answered_in = acknowledged[id];
    ADD_FAILURE() << "acknowledged record " << id << " is missing (answered "
                  << "after killing "
                  << (answered_in > 0 ? parts[answered_in - 1] : "nothing")
                  << ")";
  }
  std::printf(
      "faults: sent %lld, acknowledged %zu, found %zu, missing %zu, "
      "incomplete %lld; answers %s\n",
      sent.load(), acknowledged.size(), d.found, d.missing.size(),
      d.incomplete, Tally(answers).c_str());
  for (const auto& [part, seconds] : recovery) {
    std::printf("faults: %s served again %.2f s after its restart\n",
                part.c_str(), seconds);
    EXPECT_GE(seconds, 0) << part << " did not come back";
    EXPECT_LE(seconds, 5.0) << part;
  }
  EXPECT_TRUE(d.missing.empty());
  EXPECT_EQ(d.incomplete, 0);
  for (const auto& w : wrong) ADD_FAILURE() << w;
  EXPECT_EQ(answers.count("500") + answers.count("502"), 0u);
}

}  // namespace
}  // namespace sluice::testing

// A volume of hostile requests to ingest and admin: malformed, deep, huge,
// wrongly typed, invalid UTF-8, bad credentials, odd methods, paths and
// headers. Every answer is a clear 4xx (or 200 where the input was valid
// after all): no 5xx, no hang, no process restarted (DESIGN §3, §7).
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "tests/integration/listener_fixture.h"

namespace sluice::testing {
namespace {

struct Request {
  std::string method;
  std::string url;
  std::string body;
  std::vector<std::string> headers;
};

class HostileTest : public ListenerTest {
 protected:
  std::map<std::string, std::string> Pids() {
    std::map<std::string, std::string> pids;
    for (const char* part : {"edge", "auth", "schema", "storage", "retention",
                             "nginx", "mariadb"}) {
      std::ifstream in(stack_.var_dir() + "/run/" + part + ".pid");
      in >> pids[part];
    }
    return pids;
  }
};

std::string Deep(int levels) {
  return std::string(levels, '[') + std::string(levels, ']');
}

// The hostile variants of one request, by index.
// Requests that fail authentication go to `guarded`, whose failure limit
// soon answers them 429; the rest to `l`, so they reach parsing and mapping.
Request Hostile(size_t i, std::mt19937& rng, const TestListener& l,
                const TestListener& guarded, const std::string& admin,
                const std::string& key) {
  const std::string json = "Content-Type: application/json";
  const std::string token = "X-Api-Token: " + l.token;
  const std::string bearer = "Authorization: Bearer " + key;
  std::uniform_int_distribution<int> byte(0, 255);
  std::string random_bytes;
  for (int b = 0; b < 64; ++b) random_bytes.push_back(static_cast<char>(byte(rng)));
  switch (i % 24) {
    case 0: return {"POST", l.url, "{\"id\":", {json, token}};
    case 1: return {"POST", l.url, Deep(5000), {json, token}};
    case 2: return {"POST", l.url, "{\"id\":1,\"" + std::string(60000, 'k') + "\":1}", {json, token}};
    case 3: return {"POST", l.url, R"({"id":"not a number","name":[1,2]})", {json, token}};
    case 4: return {"POST", l.url, "{\"id\":1,\"name\":\"\xff\xfe\xc0\"}", {json, token}};
    case 5: return {"POST", guarded.url, R"({"id":1})", {json, "X-Api-Token: wrong"}};
    case 6: return {"POST", guarded.url, R"({"id":1})", {json}};
    case 7: return {i % 2 ? "TRACE" : "PROPFIND", l.url, "", {token}};
    case 8: return {"POST", l.url, R"({"id":1})", {"Content-Type: text/plain", token}};
    case 9: return {"POST", l.url, R"({"id":1})", {"Content-Type: application/json; charset=latin1", token}};
    case 10: return {"POST", l.url + "/../../etc/passwd", "{}", {json, token}};
    case 11: return {"POST", l.url + "/%00%ff/" + std::string(3000, 'a'), "{}", {json, token}};
    case 12: return {"DELETE", l.url + "/" + std::string(500, '9'), "", {token}};
    case 13: return {"PATCH", l.url, R"({"id":123456789})", {json, token}};
    case 14: return {"POST", l.url, random_bytes, {json, token}};
    case 15: return {"POST", l.url, R"({"id":1,"x'; DROP TABLE t; --":1,"`":2,"\u0000":3})", {json, token}};
    case 16: return {"POST", l.url, "[" + std::string(20000, '1').insert(1, ",") + "]", {json, token}};
    case 17: return {"POST", l.url + "?" + std::string(6000, 'q') + "=1", R"({"id":1})", {json, token}};
    case 18: return {"POST", admin + "/integrations", Deep(100000), {json, bearer}};
    case 19: return {"POST", admin + "/tables/generate", R"({"baseName":1,"primaryKey":{},"sample":"{"})", {json, bearer}};
    case 20: return {"POST", admin + "/integrations/" + l.integration + "/listeners",
                     R"({"name":"h","auth":{"method":"hmac","preset":"x"},"structure":{"baseName":"h","primaryKey":["id"],"sample":{"id":1}}})",
                     {json, bearer}};
    case 21: return {"GET", admin + "/integrations", "", {"Authorization: Bearer wrong"}};
    case 22: return {"PATCH", admin + "/integrations/" + l.integration + "/listeners/" + l.uuid,
                     R"({"retention":"-1d","maxBodyBytes":"x"})", {json, bearer}};
    default: return {"POST", l.url, R"({"id":)" + std::to_string(i) + R"(,"name":"ok"})", {json, token}};
  }
}

TEST_F(HostileTest, TenThousandHostileRequestsGetNo5xxAndRestartNothing) {
  TestListener l = TokenListener();
  TestListener guarded = TokenListener();
  const auto before = Pids();
  const std::string admin = stack_.AdminUrl("/api/v1");
  constexpr size_t kRequests = 10000;
  constexpr int kThreads = 4;
  std::atomic<size_t> next{0};
  std::mutex mu;
  std::map<long, int> by_status;
  std::vector<std::string> failures;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      HttpsClient client(stack_.cacert());
      for (size_t i; (i = next++) < kRequests;) {
        Request r = Hostile(i, rng, l, guarded, admin, stack_.admin_key());
        HttpResponse answer = client.Send(r.method, r.url, r.body, r.headers,
                                          std::chrono::seconds(20));
        std::lock_guard<std::mutex> lock(mu);
        ++by_status[answer.status];
        if (answer.status == 0 || answer.status >= 500) {
          if (failures.size() < 10) {
            failures.push_back(std::to_string(i % 24) + " " + r.method + " " +
                               std::to_string(answer.status) + " " +
                               answer.error + " " + answer.body.substr(0, 200));
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  std::string summary;
  for (const auto& [status, n] : by_status) {
    summary += std::to_string(status) + ":" + std::to_string(n) + " ";
  }
  std::printf("hostile requests: %zu sent; by status %s\n", kRequests,
              summary.c_str());
  for (const auto& f : failures) ADD_FAILURE() << f;
  for (const auto& [status, n] : by_status) {
    EXPECT_TRUE(status >= 200 && status < 500) << status << " x" << n;
  }
  EXPECT_EQ(Pids(), before);
  EXPECT_EQ(stack_.Admin("GET", "/api/v1/integrations").status, 200);
}

}  // namespace
}  // namespace sluice::testing

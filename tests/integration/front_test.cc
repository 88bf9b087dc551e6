// The TLS front (nginx) in front of the edge: what senders get when the edge
// is down, oversized bodies on both ports, header names with underscores,
// and no credentials in its error log (DESIGN §3, §6).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/integration/listener_fixture.h"

namespace sluice::testing {
namespace {

class FrontTest : public ListenerTest {
 protected:
  std::string ErrorLog() {
    std::ifstream in(stack_.var_dir() + "/log/nginx-error.log");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
};

TEST_F(FrontTest, EdgeDownIsAJson503WithRetryAfterOnBothPorts) {
  TestListener l = CreateListener(
      {{"method", "token"}, {"readFrom", "query"}, {"name", "token"}},
      json::parse(R"({"id":1})"));
  const std::string query_token = "?token=" + l.token;
  stack_.Stop("edge");
  HttpResponse ingest = client_.Send("POST", l.url + query_token, R"({"id":1})",
                                     {"Content-Type: application/json"});
  HttpResponse admin = stack_.Admin("GET", "/api/v1/integrations");
  stack_.Start("edge");
  ASSERT_TRUE(stack_.WaitReady("edge", std::chrono::seconds(30)));
  for (const HttpResponse* r : {&ingest, &admin}) {
    ExpectError(*r, 503, "unavailable", "retry");
    EXPECT_EQ(r->headers.count("retry-after"), 1u) << r->body;
  }
  // The front logs the failure, but never the request's query (a token).
  EXPECT_EQ(ErrorLog().find(l.token), std::string::npos);
  // And the edge serves again.
  HttpResponse again;
  for (int i = 0; i < 50; ++i) {
    again = client_.Send("POST", l.url + query_token, R"({"id":2})",
                         {"Content-Type: application/json"});
    if (again.status == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(again.status, 200) << again.body;
}

TEST_F(FrontTest, AKilledPartIsStartedAgainWhileItsPidIsAZombie) {
  const std::string pid_file = stack_.var_dir() + "/run/nginx.pid";
  pid_t nginx = 0;
  std::ifstream(pid_file) >> nginx;
  ASSERT_GT(nginx, 0);
  // The master, then its workers, which would go on serving without it (and
  // which it would replace if they went first).
  const std::string n = std::to_string(nginx);
  ASSERT_EQ(std::system(("w=$(pgrep -P " + n + "); kill -KILL " + n +
                         "; sleep 0.2; kill -KILL $w")
                            .c_str()),
            0);
  for (int i = 0; i < 100 && ::kill(nginx, 0) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_NE(stack_.Admin("GET", "/api/v1/integrations").status, 200);
  // A process killed under a parent that has not reaped it yet, as under
  // `make run`: its pid still exists, as a zombie.
  pid_t zombie = ::fork();
  if (zombie == 0) ::_exit(0);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::ofstream(pid_file, std::ios::trunc) << zombie << "\n";
  stack_.Start("nginx");
  HttpResponse r;
  for (int i = 0; i < 50; ++i) {
    r = stack_.Admin("GET", "/api/v1/integrations");
    if (r.status == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ::waitpid(zombie, nullptr, 0);
  EXPECT_EQ(r.status, 200) << r.error;
}

TEST_F(FrontTest, ASenderCannotLeaveTheFailureLimitByNamingOtherAddresses) {
  TestListener l = TokenListener();
  HttpResponse last;
  for (int i = 0; i < 25; ++i) {
    last = client_.Send("POST", l.url, R"({"id":1})",
                        {"Content-Type: application/json", "X-Api-Token: wrong",
                         "X-Forwarded-For: 10.9.8." + std::to_string(i)});
  }
  EXPECT_EQ(last.status, 429) << last.body;
}

// Sum of sluice_requests_total for `method` on a service's /metrics.
long long Calls(HttpsClient& client, int ops_port, const std::string& method) {
  HttpResponse r = client.Send(
      "GET", "http://127.0.0.1:" + std::to_string(ops_port) + "/metrics");
  long long total = 0;
  std::istringstream lines(r.body);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("sluice_requests_total{", 0) == 0 &&
        line.find("method=\"" + method + "\"") != std::string::npos) {
      total += std::stoll(line.substr(line.rfind(' ') + 1));
    }
  }
  return total;
}

TEST_F(FrontTest, RandomListenerUrlsCostTheBackendsNothing) {
  TestListener l = TokenListener();
  // The edge learns of the listener index within its poll interval.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const int schema_ops = stack_.port(8);
  const int auth_ops = stack_.port(6);
  long long schema_before = Calls(client_, schema_ops, "GetListener");
  long long auth_before = Calls(client_, auth_ops, "GetVerifier");
  for (int i = 0; i < 300; ++i) {
    char random[40];
    std::snprintf(random, sizeof(random), "%08x-1111-4222-8333-%012x", i, i);
    // A random listener under a real integration, and a random integration.
    std::string url =
        i % 2 ? stack_.IngestUrl("/" + l.integration + "/" + random)
              : stack_.IngestUrl(std::string("/") + random + "/" + l.uuid);
    HttpResponse r = client_.Send("POST", url, R"({"id":1})",
                                  {"Content-Type: application/json"});
    ASSERT_EQ(r.status, 404) << r.body;
  }
  EXPECT_EQ(Calls(client_, schema_ops, "GetListener"), schema_before);
  EXPECT_EQ(Calls(client_, auth_ops, "GetVerifier"), auth_before);
  // The real listener still answers (and that does cost a lookup, so the
  // counters above count).
  EXPECT_EQ(Post(l, R"({"id":1})").status, 200);
  EXPECT_GT(Calls(client_, schema_ops, "GetListener"), schema_before);
  TestListener fresh = TokenListener();
  EXPECT_EQ(Post(fresh, R"({"id":1})").status, 200);
}

TEST_F(FrontTest, TokenHeadersMayHaveUnderscores) {
  TestListener l = CreateListener(
      {{"method", "token"}, {"readFrom", "header"}, {"name", "X_Api_Token"}},
      json::parse(R"({"id":1})"));
  HttpResponse r = client_.Send(
      "POST", l.url, R"({"id":1})",
      {"Content-Type: application/json", "X_Api_Token: " + l.token});
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(FrontTest, AdminBodiesOverTheCeilingGetTheJsonError) {
  std::string big(11 * 1024 * 1024, ' ');
  HttpResponse r = stack_.Admin("POST", "/api/v1/tables/generate", big);
  ExpectError(r, 413, "body_too_large", "larger than");
}

// The console's files come through the front from the admin port, each with
// its type and a policy that keeps the page to its own origin; anything
// else at the root is a JSON 404.
TEST_F(FrontTest, TheConsoleIsServedWithItsTypesAndPolicy) {
  HttpResponse page = stack_.Admin("GET", "/");
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(page.headers["content-type"], "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("console.js"), std::string::npos);
  EXPECT_NE(page.headers["content-security-policy"].find("connect-src 'self'"),
            std::string::npos);
  EXPECT_EQ(page.headers["x-content-type-options"], "nosniff");
  HttpResponse script = stack_.Admin("GET", "/console.js");
  EXPECT_EQ(script.status, 200);
  EXPECT_EQ(script.headers["content-type"], "text/javascript; charset=utf-8");
  EXPECT_NE(script.body.find("/api/v1"), std::string::npos);
  EXPECT_EQ(stack_.Admin("GET", "/console.css").headers["content-type"],
            "text/css; charset=utf-8");
  ExpectError(stack_.Admin("GET", "/missing.js"), 404, "not_found", "");
  ExpectError(stack_.Admin("POST", "/", "{}"), 405, "method_not_allowed", "GET");
}

// Admin answers hold secrets (a new listener's token) and logged bodies: no
// browser or proxy cache may keep them, errors included.
TEST_F(FrontTest, AdminApiAnswersAreNotStored) {
  EXPECT_EQ(stack_.Admin("GET", "/api/v1/integrations").headers["cache-control"],
            "no-store");
  HttpResponse missing = stack_.Admin("GET", "/api/v1/logs/999999999");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.headers["cache-control"], "no-store");
  EXPECT_EQ(stack_.Admin("GET", "/").headers["cache-control"], "no-cache");
}

}  // namespace
}  // namespace sluice::testing

#include "services/edge/webhook_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>

namespace sluice::edge {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

v1::AuthConfig QueryToken(const std::string& name) {
  v1::AuthConfig auth;
  auth.set_method(v1::AUTH_METHOD_TOKEN);
  auth.set_read_from(v1::TOKEN_SOURCE_QUERY);
  auth.set_name(name);
  return auth;
}

TEST(Redaction, HeadersLoseCredentials) {
  v1::AuthConfig auth;
  auth.set_method(v1::AUTH_METHOD_TOKEN);
  auth.set_read_from(v1::TOKEN_SOURCE_HEADER);
  auth.set_name("X-Custom-Token");
  auto kept = HeadersWithoutCredentials(
      {{"authorization", "Basic dXhpOnNlY3JldA=="},
       {"x-custom-token", "tok-123456789"},
       {"x-hub-signature-256", "sha256=ab"},
       {"cookie", "s=1"},
       {"content-type", "application/json"},
       {"idempotency-key", "k1"}},
      auth);
  std::vector<std::pair<std::string, std::string>> expected = {
      {"content-type", "application/json"}, {"idempotency-key", "k1"}};
  EXPECT_EQ(kept, expected);
}

TEST(Redaction, PathHidesTokenParameters) {
  std::string path = PathForLog(
      "/s/l", {{"tk", "secret-value-1"}, {"id", "7"}, {"api_key", "x"}},
      QueryToken("tk"));
  EXPECT_EQ(path, "/s/l?api_key=[redacted]&id=7&tk=[redacted]");
  EXPECT_EQ(PathForLog("/s/l", {}, QueryToken("tk")), "/s/l");
}

TEST(Redaction, SecretsLeaveText) {
  EXPECT_EQ(Redact("bad token abcdefgh1234 given", {"abcdefgh1234", "ab"}),
            "bad token [redacted] given");
}

v1::LogEntry Entry(const std::string& listener, int n,
                   const std::string& body = "") {
  v1::LogEntry e;
  e.set_listener_uuid(listener);
  e.set_status(200);
  e.set_bytes(n);
  e.set_body(body);
  return e;
}

TEST(WebhookLog, SendsOnlyTheNewestPerListener) {
  std::vector<v1::AppendLogsRequest> sent;
  WebhookLogOptions options;
  options.keep = 3;
  WebhookLog log(
      [&](const v1::AppendLogsRequest& r) {
        sent.push_back(r);
        return absl::OkStatus();
      },
      options);
  for (int i = 0; i < 10; ++i) log.Add(Entry("a", i));
  log.Add(Entry("b", 100));
  log.Flush();
  ASSERT_EQ(sent.size(), 1u);
  std::vector<int64_t> a;
  for (const auto& e : sent[0].entries())
    if (e.listener_uuid() == "a") a.push_back(e.bytes());
  EXPECT_EQ(a, (std::vector<int64_t>{7, 8, 9}));
  EXPECT_EQ(sent[0].entries_size(), 4);
  EXPECT_THAT(log.RenderMetrics(),
              HasSubstr("sluice_edge_log_entries_total{outcome=\"coalesced\"} 7"));
}

TEST(WebhookLog, BoundedAndCountsWhatItDrops) {
  WebhookLogOptions options;
  options.max_pending_entries = 5;
  options.keep = 100;
  std::atomic<bool> storage_up{false};
  WebhookLog log(
      [&](const v1::AppendLogsRequest&) {
        return storage_up ? absl::OkStatus()
                          : absl::UnavailableError("storage down");
      },
      options);
  for (int i = 0; i < 8; ++i) log.Add(Entry("a", i));  // 3 over the bound
  log.Flush();                                          // 5 refused
  EXPECT_THAT(log.RenderMetrics(),
              HasSubstr("sluice_edge_log_entries_dropped_total 8\n"));
  storage_up = true;
  log.Add(Entry("a", 1));
  log.Flush();
  EXPECT_THAT(log.RenderMetrics(),
              HasSubstr("sluice_edge_log_entries_total{outcome=\"sent\"} 1\n"));
}

TEST(WebhookLog, BatchesStayUnderTheirSize) {
  WebhookLogOptions options;
  options.keep = 100;
  options.max_batch_bytes = 10000;
  std::vector<int> sizes;
  WebhookLog log(
      [&](const v1::AppendLogsRequest& r) {
        sizes.push_back(r.entries_size());
        return absl::OkStatus();
      },
      options);
  for (int i = 0; i < 10; ++i) log.Add(Entry("a", i, std::string(3000, 'x')));
  log.Flush();
  EXPECT_EQ(sizes.size(), 4u);  // 3 + 3 + 3 + 1 entries of ~3.3 KB
}

TEST(WebhookLog, TheThreadFlushesOnItsOwn) {
  std::atomic<int> sent{0};
  WebhookLogOptions options;
  options.flush_interval = std::chrono::milliseconds(10);
  WebhookLog log(
      [&](const v1::AppendLogsRequest& r) {
        sent += r.entries_size();
        return absl::OkStatus();
      },
      options);
  log.Start();
  log.Add(Entry("a", 1));
  for (int i = 0; i < 500 && sent == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(sent, 1);
  log.Stop();
}

}  // namespace
}  // namespace sluice::edge

// Webhook logs, replay and per-listener metrics (DESIGN §4), end to end.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <grpcpp/grpcpp.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "sluice/v1/storage.grpc.pb.h"
#include "tests/integration/listener_fixture.h"

namespace sluice::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class LogsTest : public ListenerTest {
 protected:
  std::string ListenerName(const TestListener& l) {
    HttpResponse r = stack_.Admin("GET", l.admin_path);
    return json::parse(r.body)["name"];
  }

  // The listener's entries once `count` of them are there (entries reach
  // storage in batches, a fraction of a second after the answer).
  json Entries(const TestListener& l, size_t count,
               const std::string& state = "all") {
    json entries;
    for (int i = 0; i < 100; ++i) {
      HttpResponse r = stack_.Admin(
          "GET", "/api/v1/logs?integration=" + l.integration +
                     "&listener=" + ListenerName(l) + "&state=" + state);
      EXPECT_EQ(r.status, 200) << r.body;
      entries = json::parse(r.body)["entries"];
      if (entries.size() >= count) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return entries;
  }

  std::string Metrics(int ops_offset) {
    return client_
        .Send("GET", "http://127.0.0.1:" +
                         std::to_string(stack_.port(ops_offset)) + "/metrics")
        .body;
  }

  static double Value(const std::string& metrics, const std::string& series) {
    for (absl::string_view line : absl::StrSplit(metrics, '\n')) {
      if (absl::StartsWith(line, series + " "))
        return std::stod(std::string(line.substr(series.size() + 1)));
    }
    return -1;
  }

  // Entries that have left the edge's queue, whichever way.
  static double Outcomes(const std::string& metrics) {
    double sum = 0;
    for (const char* outcome : {"sent", "coalesced", "dropped"}) {
      sum += Value(metrics, absl::StrCat("sluice_edge_log_entries_total{outcome=\"",
                                         outcome, "\"}"));
    }
    return sum;
  }
};

TEST_F(LogsTest, KeepsTheLastTenNewestFirstAndFiltersByState) {
  TestListener l = TokenListener();
  for (int i = 1; i <= 12; ++i) {
    ASSERT_EQ(Post(l, json{{"id", i}}.dump()).status, 200);
  }
  ASSERT_EQ(Post(l, R"({"id":"not a number"})").status, 400);
  json all = Entries(l, 10);
  // Wait until the error's entry is in too: the last 10 of 13.
  for (int i = 0; i < 50 && all[0]["status"] != 400; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    all = Entries(l, 10);
  }
  ASSERT_EQ(all.size(), 10u) << all.dump();
  EXPECT_EQ(all[0]["status"], 400);
  EXPECT_EQ(all[0]["state"], "error");
  EXPECT_THAT(all[0]["error"].get<std::string>(), HasSubstr("id"));
  EXPECT_EQ(all[0]["replayable"], true);
  EXPECT_EQ(all[1]["status"], 200);
  EXPECT_EQ(all[1]["state"], "success");
  EXPECT_EQ(all[1]["replayable"], false);
  EXPECT_EQ(all[1]["method"], "POST");
  EXPECT_EQ(all[1]["integration"], l.integration);
  EXPECT_EQ(all[1]["listener"], ListenerName(l));
  EXPECT_EQ(all[1]["bytes"], 9);  // {"id":12}
  EXPECT_TRUE(all[1]["latencyMs"].is_number());
  EXPECT_EQ(all[1]["path"], "/" + l.integration + "/" + l.uuid);
  // Newest first: ids are decreasing, times never increase.
  for (size_t i = 1; i < all.size(); ++i) {
    EXPECT_GT(std::stoll(all[i - 1]["id"].get<std::string>()),
              std::stoll(all[i]["id"].get<std::string>()));
    EXPECT_GE(all[i - 1]["time"].get<std::string>(),
              all[i]["time"].get<std::string>());
  }
  // Storage keeps no more than that.
  EXPECT_EQ(stack_.Query("SELECT COUNT(*) FROM sluice_storage.webhook_logs "
                         "WHERE listener_uuid = '" +
                         l.uuid + "'")[0][0],
            "10");
  json errors = Entries(l, 1, "error");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0]["status"], 400);
  EXPECT_EQ(Entries(l, 9, "success").size(), 9u);
  ExpectError(stack_.Admin("GET", "/api/v1/logs?state=maybe"), 400,
              "invalid_request", "state");
  // Another integration's listener of the same name is not listed.
  HttpResponse other = stack_.Admin(
      "GET", "/api/v1/logs?integration=" + stack_.CreateIntegration("x") +
                 "&listener=" + ListenerName(l));
  EXPECT_EQ(json::parse(other.body)["entries"].size(), 0u);
}

TEST_F(LogsTest, EveryOutcomeIsLoggedAndNoSecretIsKept) {
  TestListener l = CreateListener(
      {{"method", "token"}, {"readFrom", "query"}, {"name", "tk"}},
      {{"id", 1}, {"name", "a"}});
  const std::string token = l.token;
  auto post = [&](const std::string& query, const std::string& body,
                  std::vector<std::string> headers = {
                      "Content-Type: application/json"}) {
    return client_.Send("POST", l.url + query, body, headers);
  };
  EXPECT_EQ(post("?tk=" + token, R"({"id":1})").status, 200);
  EXPECT_EQ(post("?tk=wrong-token-value-123", R"({"id":2})").status, 401);
  EXPECT_EQ(post("?tk=" + token, R"({"id":3})", {"Content-Type: text/plain"})
                .status,
            415);
  EXPECT_EQ(post("?tk=" + token, std::string(70000, ' ')).status, 413);
  json entries = Entries(l, 4);
  ASSERT_EQ(entries.size(), 4u) << entries.dump();
  std::vector<int> statuses;
  for (const auto& e : entries) statuses.push_back(e["status"]);
  EXPECT_EQ(statuses, (std::vector<int>{413, 415, 401, 200}));
  EXPECT_EQ(entries[2]["replayable"], false);  // never authenticated
  EXPECT_EQ(entries[1]["replayable"], true);
  for (const auto& e : entries) {
    EXPECT_EQ(e["path"], "/" + l.integration + "/" + l.uuid + "?tk=[redacted]");
    EXPECT_THAT(e.dump(), Not(HasSubstr(token)));
    EXPECT_THAT(e.dump(), Not(HasSubstr("wrong-token-value-123")));
  }
  HttpResponse detail =
      stack_.Admin("GET", "/api/v1/logs/" + entries[1]["id"].get<std::string>());
  ASSERT_EQ(detail.status, 200) << detail.body;
  json d = json::parse(detail.body);
  EXPECT_EQ(d["body"], R"({"id":3})");
  EXPECT_EQ(d["headers"]["content-type"], "text/plain");
  EXPECT_THAT(detail.body, Not(HasSubstr(token)));
  // In storage too.
  auto rows = stack_.Query(
      "SELECT COUNT(*) FROM sluice_storage.webhook_logs WHERE path LIKE '%" +
      token + "%' OR error LIKE '%" + token + "%' OR headers LIKE '%" + token +
      "%'");
  EXPECT_EQ(rows[0][0], "0");
}

TEST_F(LogsTest, HeaderTokensAndPasswordsAreRemoved) {
  TestListener basic = CreateListener(
      {{"method", "basic"}, {"username", "uxi"}, {"password", "pw-secret-12345"}},
      {{"id", 1}});
  HttpResponse r = client_.Send("POST", basic.url, R"({"id":"x"})",
                                {"Content-Type: application/json",
                                 "Authorization: Basic dXhpOnB3LXNlY3JldC0xMjM0NQ=="});
  ASSERT_EQ(r.status, 400) << r.body;
  json entries = Entries(basic, 1);
  ASSERT_EQ(entries.size(), 1u);
  HttpResponse detail =
      stack_.Admin("GET", "/api/v1/logs/" + entries[0]["id"].get<std::string>());
  json d = json::parse(detail.body);
  EXPECT_TRUE(d["replayable"]);
  EXPECT_FALSE(d["headers"].contains("authorization")) << detail.body;
  EXPECT_THAT(detail.body, Not(HasSubstr("dXhpOnB3LXNlY3JldC0xMjM0NQ")));

  TestListener token = TokenListener();
  ASSERT_EQ(Send(token, "POST", R"({"id":"x"})").status, 400);
  json te = Entries(token, 1);
  ASSERT_EQ(te.size(), 1u);
  HttpResponse td =
      stack_.Admin("GET", "/api/v1/logs/" + te[0]["id"].get<std::string>());
  EXPECT_FALSE(json::parse(td.body)["headers"].contains("x-api-token"));
  EXPECT_THAT(td.body, Not(HasSubstr(token.token)));
}

TEST_F(LogsTest, ABatchRejectedForATypeIsReplayedAfterTheListenerIsFixed) {
  // A UXI-style batch whose second record breaks the listener's types; the
  // script added afterwards turns the field into what the table expects.
  TestListener l = TokenListener();
  const std::string batch =
      R"([{"id":1,"name":"a","score":1.5},{"id":2,"name":"b","score":"high"}])";
  HttpResponse first = Post(l, batch);
  ASSERT_EQ(first.status, 400) << first.body;
  EXPECT_EQ(Count(l), "0");
  json entries = Entries(l, 1);
  ASSERT_EQ(entries.size(), 1u);
  const std::string id = entries[0]["id"];
  ASSERT_TRUE(entries[0]["replayable"]);
  // Replaying unchanged fails the same way, and is logged.
  HttpResponse again = stack_.Admin("POST", "/api/v1/logs/" + id + "/replay");
  ExpectError(again, 400, "type_mismatch", "records[1]");
  HttpResponse patched = stack_.Admin(
      "PATCH", l.admin_path,
      R"({"script":"function transform(r, ctx)\n if type(r.score) ~= 'number' then r.score = nil end\n return r\nend"})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  HttpResponse replay = stack_.Admin("POST", "/api/v1/logs/" + id + "/replay");
  ASSERT_EQ(replay.status, 200) << replay.body;
  EXPECT_EQ(json::parse(replay.body), json::parse(R"({"status":"ok","records":2})"));
  EXPECT_EQ(Count(l), "2");
  json after = Entries(l, 3);
  ASSERT_GE(after.size(), 3u);
  EXPECT_EQ(after[0]["status"], 200);
  EXPECT_EQ(after[0]["replayOf"], id);
  // A success entry is not replayable.
  ExpectError(stack_.Admin(
                  "POST", "/api/v1/logs/" + after[0]["id"].get<std::string>() +
                              "/replay"),
              409, "not_replayable", "success");
  ExpectError(stack_.Admin("GET", "/api/v1/logs/999999999999"), 404,
              "not_found", "log entry");
  ExpectError(stack_.Admin("POST", "/api/v1/logs/abc/replay"), 404,
              "not_found", "log entry");
  // Deleting the listener takes its entries with it.
  ASSERT_EQ(stack_.Admin("DELETE", l.admin_path).status, 204);
  ExpectError(stack_.Admin("POST", "/api/v1/logs/" + id + "/replay"), 404,
              "not_found", "");
  EXPECT_EQ(stack_.Query("SELECT COUNT(*) FROM sluice_storage.webhook_logs "
                         "WHERE listener_uuid = '" +
                         l.uuid + "'")[0][0],
            "0");
}

TEST_F(LogsTest, ABodyOverASinceRaisedLimitIsReplayed) {
  TestListener l = CreateListener(
      {{"method", "token"}, {"readFrom", "header"}, {"name", "X-Api-Token"}},
      {{"id", 1}, {"note", std::string(300, 'x')}}, json::array({"id"}),
      {{"maxBodyBytes", 1000}});
  std::string big = json{{"id", 1}, {"note", std::string(2000, 'n')}}.dump();
  ASSERT_EQ(Post(l, big).status, 413);
  json entries = Entries(l, 1);
  ASSERT_EQ(entries.size(), 1u);
  ASSERT_EQ(stack_.Admin("PATCH", l.admin_path, R"({"maxBodyBytes":65536})")
                .status,
            200);
  HttpResponse replay = stack_.Admin(
      "POST", "/api/v1/logs/" + entries[0]["id"].get<std::string>() + "/replay");
  EXPECT_EQ(replay.status, 200) << replay.body;
  EXPECT_EQ(Count(l), "1");
}

TEST_F(LogsTest, IngestSucceedsWhenTheLogCannotBeWritten) {
  TestListener l = TokenListener();
  const std::string metrics_before = Metrics(4);
  double dropped_before =
      Value(metrics_before, "sluice_edge_log_entries_dropped_total");
  stack_.Query(
      "RENAME TABLE sluice_storage.webhook_logs TO "
      "sluice_storage.webhook_logs_away");
  for (int i = 1; i <= 20; ++i) {
    HttpResponse r = Post(l, json{{"id", i}}.dump());
    EXPECT_EQ(r.status, 200) << r.body;
  }
  // Every one of the 20 entries has left the edge (sent, coalesced or
  // dropped) before the table comes back, so none of them can land late.
  std::string metrics = Metrics(4);
  for (int i = 0; i < 100 && Outcomes(metrics) < Outcomes(metrics_before) + 20;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    metrics = Metrics(4);
  }
  double dropped = Value(metrics, "sluice_edge_log_entries_dropped_total");
  stack_.Query(
      "RENAME TABLE sluice_storage.webhook_logs_away TO "
      "sluice_storage.webhook_logs");
  EXPECT_GT(dropped, dropped_before);
  EXPECT_EQ(Count(l), "20");
  // Logging resumes.
  ASSERT_EQ(Post(l, R"({"id":21})").status, 200);
  EXPECT_EQ(Entries(l, 1).size(), 1u);
}

TEST_F(LogsTest, HeadersThatAreNotUtf8AreLoggedToo) {
  TestListener l = TokenListener();
  HttpResponse r = Send(l, "POST", R"({"id":"x"})",
                        {"Content-Type: application/json", "X-Odd: caf\xe9"});
  ASSERT_EQ(r.status, 400) << r.body;
  ASSERT_EQ(Post(l, R"({"id":1})").status, 200);
  json entries = Entries(l, 2);
  ASSERT_EQ(entries.size(), 2u);
  HttpResponse detail =
      stack_.Admin("GET", "/api/v1/logs/" + entries[1]["id"].get<std::string>());
  EXPECT_EQ(json::parse(detail.body)["headers"]["x-odd"], "caf\xef\xbf\xbd");
}

TEST_F(LogsTest, AnOddEntryNeverCostsItsBatch) {
  // Straight to storage, as any client may send them: a path far over the
  // column and ordinary entries in the same batch.
  TestListener l = TokenListener();
  auto channel = stack_.GrpcChannel(9);
  auto storage = v1::StorageService::NewStub(channel);
  v1::AppendLogsRequest request;
  for (int i = 0; i < 3; ++i) {
    v1::LogEntry* e = request.add_entries();
    e->set_integration_uuid(l.integration);
    e->set_listener_uuid(l.uuid);
    e->set_listener_name(ListenerName(l));
    e->set_method("POST");
    e->set_status(400);
    e->set_path(i == 0 ? "/" + std::string(100000, 'p') : "/ok");
    e->set_error("fine");
  }
  grpc::ClientContext context;
  v1::AppendLogsResponse response;
  grpc::Status status = storage->AppendLogs(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.stored(), 3);
  json entries = Entries(l, 3);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[2]["path"].get<std::string>().size(), 4096u);
  EXPECT_EQ(entries[1]["path"], "/ok");
}

TEST_F(LogsTest, PerListenerMetricsAndTheirCap) {
  TestListener l = TokenListener();
  ASSERT_EQ(Post(l, R"([{"id":1},{"id":2}])").status, 200);
  HttpResponse bad = client_.Send("POST", l.url, R"({"id":3})",
                                  {"Content-Type: application/json",
                                   "X-Api-Token: wrong"});
  ASSERT_EQ(bad.status, 401);
  // The stack caps label values at 8 (SLUICE_METRICS_LISTENER_CAP): go past
  // it with listeners of our own.
  for (int i = 0; i < 9; ++i) {
    TestListener other = TokenListener();
    ASSERT_EQ(Post(other, R"({"id":1})").status, 200);
  }
  std::string edge = Metrics(4);
  EXPECT_EQ(Value(edge, "sluice_edge_listener_label_cap"), 8);
  EXPECT_LE(Value(edge, "sluice_edge_listener_label_values"), 8);
  EXPECT_THAT(edge, HasSubstr("sluice_edge_listener_requests_total{listener="
                              "\"other\",code=\"200\"}"));
  size_t series = 0;
  for (absl::string_view line : absl::StrSplit(edge, '\n')) {
    if (absl::StartsWith(line, "sluice_edge_listener_")) ++series;
  }
  // 9 label values (8 + other), each: codes seen, 4 counters, 15 histogram.
  EXPECT_LE(series, 9u * (8 + 4 + 15) + 2) << edge;
  if (edge.find("listener=\"" + l.uuid + "\"") != std::string::npos) {
    EXPECT_THAT(edge, HasSubstr("sluice_edge_listener_records_total{listener=\"" +
                                l.uuid + "\"} 2"));
    EXPECT_THAT(edge,
                HasSubstr("sluice_edge_listener_auth_failures_total{listener=\"" +
                          l.uuid + "\"} 1"));
  }
  std::string storage = Metrics(10);
  EXPECT_THAT(storage, HasSubstr("sluice_storage_listener_requests_total{"));
  EXPECT_THAT(storage, HasSubstr("sluice_storage_commit_records_bucket{le=\"2\"}"));
  EXPECT_LE(Value(storage, "sluice_storage_listener_label_values"), 8);
}

}  // namespace
}  // namespace sluice::testing

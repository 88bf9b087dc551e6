// End to end over real HTTPS (nginx → edge) and real gRPC against the
// throwaway stack the ctest fixture started, with a real MariaDB.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/integration/listener_fixture.h"

namespace sluice::testing {
namespace {

class SliceTest : public ListenerTest {};

TEST_F(SliceTest, AdminNeedsTheAdminKey) {
  HttpResponse none =
      client_.Send("GET", stack_.AdminUrl("/api/v1/integrations"));
  ExpectError(none, 401, "unauthorized", "admin key");
  HttpResponse wrong =
      client_.Send("GET", stack_.AdminUrl("/api/v1/integrations"), "",
                   {"Authorization: Bearer not-the-key"});
  ExpectError(wrong, 401, "unauthorized", "admin key");
  EXPECT_EQ(stack_.Admin("GET", "/api/v1/integrations").status, 200);
}

TEST_F(SliceTest, IntegrationsCreateListGetDelete) {
  std::string name = Unique("crm");
  HttpResponse created = stack_.Admin("POST", "/api/v1/integrations",
                                      json({{"name", name}}).dump());
  ASSERT_EQ(created.status, 201) << created.body;
  json integration = json::parse(created.body);
  EXPECT_EQ(integration["name"], name);
  EXPECT_EQ(integration["uuid"].get<std::string>().size(), 36u);
  EXPECT_TRUE(integration.contains("createTime"));
  HttpResponse again = stack_.Admin("POST", "/api/v1/integrations",
                                    json({{"name", name}}).dump());
  ExpectError(again, 409, "conflict", "already exists");
  std::string path =
      "/api/v1/integrations/" + integration["uuid"].get<std::string>();
  EXPECT_EQ(json::parse(stack_.Admin("GET", path).body)["name"], name);
  EXPECT_NE(stack_.Admin("GET", "/api/v1/integrations").body.find(name),
            std::string::npos);
  EXPECT_EQ(stack_.Admin("DELETE", path).status, 204);
  ExpectError(stack_.Admin("GET", path), 404, "not_found", "integration");
}

TEST_F(SliceTest, IntegrationWithListenersCannotBeDeleted) {
  TestListener l = TokenListener();
  ExpectError(stack_.Admin("DELETE", "/api/v1/integrations/" + l.integration),
              409, "has_listeners", "delete them first");
}

TEST_F(SliceTest, ListenerCreationMakesItsTablesAndReturnsTheTokenOnce) {
  TestListener l = TokenListener();
  EXPECT_GE(l.token.size(), 43u);  // 32 random bytes
  auto tables = stack_.Query(
      "SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS "
      "WHERE TABLE_SCHEMA='sluice_data' AND TABLE_NAME='" +
      l.base_name + "' ORDER BY ORDINAL_POSITION");
  ASSERT_EQ(tables.size(), 6u);
  EXPECT_EQ(tables[0], (std::vector<std::string>{"id", "bigint(20)"}));
  EXPECT_EQ(tables[1], (std::vector<std::string>{"name", "varchar(255)"}));
  EXPECT_EQ(tables[2], (std::vector<std::string>{"score", "double"}));
  EXPECT_EQ(tables[3], (std::vector<std::string>{"active", "tinyint(1)"}));
  EXPECT_EQ(tables[5],
            (std::vector<std::string>{"lastModified", "datetime(6)"}));
  HttpResponse get = stack_.Admin("GET", l.admin_path);
  ASSERT_EQ(get.status, 200);
  EXPECT_EQ(get.body.find(l.token), std::string::npos);
  EXPECT_FALSE(json::parse(get.body).contains("token"));
}

TEST_F(SliceTest, PostedRecordIsCommittedAndReadsBack) {
  TestListener l = TokenListener();
  HttpResponse r =
      Post(l, R"({"id":42,"name":"Bob","score":2.5,"active":false})");
  ASSERT_EQ(r.status, 200) << r.body << r.error;
  EXPECT_EQ(r.body, R"({"status":"ok","records":1})");
  auto rows = stack_.Query("SELECT id, name, score, active FROM sluice_data." +
                           l.base_name);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"42", "Bob", "2.5", "0"}));
  HttpResponse back =
      stack_.Admin("GET", "/api/v1/integrations/" + l.integration +
                              "/listeners/" + l.uuid + "/records/42");
  ASSERT_EQ(back.status, 200) << back.body;
  json record = json::parse(back.body);
  EXPECT_EQ(record["id"], 42);
  EXPECT_EQ(record["name"], "Bob");
  EXPECT_EQ(record["active"], false);
  EXPECT_TRUE(record["lastModified"].is_string());
  ExpectError(stack_.Admin("GET", "/api/v1/integrations/" + l.integration +
                                      "/listeners/" + l.uuid + "/records/43"),
              404, "record_not_found", "43");
}

TEST_F(SliceTest, JsonListIsABatch) {
  TestListener l = TokenListener();
  HttpResponse r = Post(
      l, R"([{"id":1,"name":"a"},{"id":2,"name":"b"},{"id":3,"name":"c"}])");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"status":"ok","records":3})");
  EXPECT_EQ(
      stack_.Query("SELECT COUNT(*) FROM sluice_data." + l.base_name)[0][0],
      "3");
}

TEST_F(SliceTest, BatchWithOneBadRecordIsRejectedWhole) {
  TestListener l = TokenListener();
  HttpResponse r = Post(l, R"([{"id":1,"name":"a"},{"id":2,"score":"high"}])");
  ExpectError(r, 400, "type_mismatch", "records[1].score");
  EXPECT_EQ(
      stack_.Query("SELECT COUNT(*) FROM sluice_data." + l.base_name)[0][0],
      "0");
}

TEST_F(SliceTest, ClientErrorsHaveExactStatusesAndMessages) {
  TestListener l = TokenListener();
  ExpectError(Post(l, "{\"id\":"), 400, "malformed_json", "not valid JSON");
  ExpectError(Post(l, R"({"name":"x"})"), 400, "missing_primary_key", "\"id\"");
  ExpectError(Post(l, R"({"id":1})", {"Content-Type: text/plain"}), 415,
              "unsupported_media_type", "application/json");
  ExpectError(client_.Send("POST", l.url, R"({"id":1})",
                           {"Content-Type: application/json"}),
              401, "unauthorized", "missing credentials");
  ExpectError(
      client_.Send("POST", l.url, R"({"id":1})",
                   {"Content-Type: application/json", "X-Api-Token: wrong"}),
      401, "unauthorized", "invalid credentials");
  HttpResponse get =
      client_.Send("GET", l.url, "", {"X-Api-Token: " + l.token});
  ExpectError(get, 405, "method_not_allowed", "GET");
  EXPECT_EQ(get.headers["allow"], "POST, PUT, PATCH, DELETE");
  ExpectError(
      client_.Send("POST",
                   stack_.IngestUrl("/" + l.integration +
                                    "/00000000-0000-4000-8000-000000000000"),
                   "{}", {"Content-Type: application/json"}),
      404, "not_found", "unknown integration or listener");
  ExpectError(client_.Send("POST", stack_.IngestUrl("/nothing/here"), "{}"),
              404, "not_found", "listener URLs");
  EXPECT_EQ(Post(l, R"({"id":1,"name":"ok"})",
                 {"Content-Type: application/json; charset=utf-8"})
                .status,
            200);
}

TEST_F(SliceTest, BodyOverTheListenersLimitIs413) {
  TestListener l =
      CreateListener({{"method", "none"}}, {{"id", 1}, {"text", "x"}},
                     json::array({"id"}), {{"maxBodyBytes", 100}});
  std::string big = R"({"id":1,"text":")" + std::string(200, 'x') + R"("})";
  ExpectError(Post(l, big), 413, "body_too_large", "at most 100");
  // Over 64 KiB with the default limit.
  TestListener d =
      CreateListener({{"method", "none"}}, {{"id", 1}, {"text", "x"}});
  std::string huge = R"({"id":1,"text":")" + std::string(70000, 'x') + R"("})";
  ExpectError(Post(d, huge), 413, "body_too_large", "65536");
}

TEST_F(SliceTest, KeepAliveWorksForClientsSendingNoConnectionHeader) {
  TestListener l = TokenListener();
  HttpResponse first = Post(l, R"({"id":1})");
  ASSERT_EQ(first.status, 200);
  for (int i = 2; i < 6; ++i) {
    HttpResponse next = Post(l, "{\"id\":" + std::to_string(i) + "}");
    ASSERT_EQ(next.status, 200) << next.body;
    EXPECT_EQ(next.new_connections, 0)
        << "request " << i << " opened a new connection";
    EXPECT_NE(next.headers["connection"], "close");
  }
}

}  // namespace
}  // namespace sluice::testing

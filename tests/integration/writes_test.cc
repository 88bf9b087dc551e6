// Tables from samples and the write semantics (DESIGN §3, §4 records, §5),
// end to end over HTTPS against the real MariaDB.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "tests/integration/listener_fixture.h"

namespace sluice::testing {
namespace {

class WritesTest : public ListenerTest {
 protected:
  TestListener Orders() {
    return CreateListener(
        {{"method", "none"}},
        json::parse(
            R"({"id":1,"customer":"Ann","total":9.5,"created":"2024-01-01T00:00:00",
                        "address":{"city":"Oslo","zip":"0150"},
                        "tags":["new"],
                        "items":[{"sku":"a","qty":1,"parts":[{"n":"p1"}]}]})"));
  }

  json Record(const TestListener& l, const std::string& id) {
    HttpResponse r = stack_.Admin("GET", l.admin_path + "/records/" + id);
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body, nullptr, false);
  }
};

TEST_F(WritesTest, NestedObjectsFlattenAndArraysLandInChildTables) {
  TestListener l = Orders();
  HttpResponse r = Post(
      l,
      R"({"id":5,"customer":"Bob","total":12,"created":"2024-05-01T10:00:00+02:00",
      "address":{"city":"Bergen","zip":"5003"},"tags":["a","b"],
      "items":[{"sku":"x","qty":2,"parts":[{"n":"p"},{"n":"q"}]},{"sku":"y","qty":3}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(stack_.Query("SELECT address_city, created FROM sluice_data." +
                         l.base_name)[0],
            (std::vector<std::string>{"Bergen", "2024-05-01 08:00:00.000000"}));
  EXPECT_EQ(Count(l, "_tags"), "2");
  EXPECT_EQ(Count(l, "_items"), "2");
  EXPECT_EQ(Count(l, "_items_parts"), "2");
  auto parts =
      stack_.Query("SELECT id, _position_1, _position, n FROM sluice_data." +
                   l.base_name + "_items_parts ORDER BY _position");
  EXPECT_EQ(parts[1], (std::vector<std::string>{"5", "0", "1", "q"}));
  json record = Record(l, "5");
  EXPECT_EQ(record["address"]["city"], "Bergen");
  EXPECT_EQ(record["tags"], json::parse(R"(["a","b"])"));
  EXPECT_EQ(record["items"][0]["parts"][1]["n"], "q");
  EXPECT_EQ(record["items"][1]["sku"], "y");
  EXPECT_EQ(record["created"], "2024-05-01T08:00:00.000000Z");
}

TEST_F(WritesTest, ArraysInsideArraysRoundTrip) {
  TestListener l = CreateListener(
      {{"method", "none"}},
      json::parse(R"({"id":1,"matrix":[[1]],"grid":[[{"x":1}]]})"));
  ASSERT_EQ(
      Post(l, R"({"id":1,"matrix":[[1,2],[3]],"grid":[[{"x":5}],[]]})").status,
      200);
  EXPECT_EQ(Count(l, "_matrix_value"), "3");
  json record = Record(l, "1");
  EXPECT_EQ(record["matrix"], json::parse("[[1,2],[3]]"));
  EXPECT_EQ(record["grid"], json::parse(R"([[{"x":5}],[]])"));
}

TEST_F(WritesTest, UpsertReplacesChildRows) {
  TestListener l = Orders();
  ASSERT_EQ(
      Post(
          l,
          R"({"id":1,"customer":"A","items":[{"sku":"a"},{"sku":"b"},{"sku":"c"}]})")
          .status,
      200);
  ASSERT_EQ(
      Send(l, "PUT", R"({"id":1,"customer":"B","items":[{"sku":"z"}]})").status,
      200);
  EXPECT_EQ(Count(l), "1");
  EXPECT_EQ(Count(l, "_items"), "1");
  json record = Record(l, "1");
  EXPECT_EQ(record["customer"], "B");
  EXPECT_EQ(record["items"].size(), 1u);
  EXPECT_EQ(record["items"][0]["sku"], "z");
}

TEST_F(WritesTest, PatchChangesOnlyPresentFields) {
  TestListener l = Orders();
  ASSERT_EQ(
      Post(
          l,
          R"({"id":1,"customer":"A","total":5,"tags":["t"],"items":[{"sku":"a"},{"sku":"b"}]})")
          .status,
      200);
  HttpResponse r =
      Send(l, "PATCH", R"({"id":1,"total":7.5,"items":[{"sku":"n"}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  json record = Record(l, "1");
  EXPECT_EQ(record["customer"], "A");
  EXPECT_EQ(record["total"], 7.5);
  EXPECT_EQ(record["items"].size(), 1u);  // a present array replaces
  EXPECT_EQ(record["tags"], json::parse(R"(["t"])"));  // an absent one stays
  ExpectError(Send(l, "PATCH", R"({"id":99,"total":1})"), 404,
              "record_not_found", "99");
}

TEST_F(WritesTest, DeleteByIdAndByCompositeKey) {
  TestListener l = Orders();
  ASSERT_EQ(Post(l, R"({"id":1,"items":[{"sku":"a"}]})").status, 200);
  HttpResponse first = Send(l, "DELETE", "", {}, "/1");
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.body, R"({"status":"ok","deleted":1})");
  EXPECT_EQ(Count(l), "0");
  EXPECT_EQ(Count(l, "_items"), "0");
  EXPECT_EQ(Send(l, "DELETE", "", {}, "/1").body,
            R"({"status":"ok","deleted":0})");

  TestListener c = CreateListener({{"method", "none"}},
                                  {{"site", "s"}, {"test", "t"}, {"v", 1}},
                                  json::array({"site", "test"}));
  ASSERT_EQ(
      Post(
          c,
          R"([{"site":"a b","test":"x","v":1},{"site":"a b","test":"y","v":2}])")
          .status,
      200);
  HttpResponse del = Send(c, "DELETE", "", {}, "/?site=a%20b&test=y");
  EXPECT_EQ(del.body, R"({"status":"ok","deleted":1})");
  EXPECT_EQ(Count(c), "1");
  ExpectError(Send(c, "DELETE", "", {}, "/?site=a"), 400, "invalid_key",
              "missing: test");
  HttpResponse back =
      stack_.Admin("GET", c.admin_path + "/records/?site=a%20b&test=x");
  EXPECT_EQ(back.status, 200) << back.body;
}

TEST_F(WritesTest, RepeatedIdempotencyKeyReplaysAndWritesNothing) {
  TestListener l = Orders();
  HttpResponse first =
      Post(l, R"({"id":1,"customer":"first"})",
           {"Content-Type: application/json", "Idempotency-Key: delivery-1"});
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(first.headers.count("idempotent-replayed"), 0u);
  HttpResponse again =
      Post(l, R"({"id":1,"customer":"changed"})",
           {"Content-Type: application/json", "Idempotency-Key: delivery-1"});
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(again.headers["idempotent-replayed"], "true");
  EXPECT_EQ(Record(l, "1")["customer"], "first");
  HttpResponse other =
      Post(l, R"({"id":1,"customer":"second"})",
           {"Content-Type: application/json", "Idempotency-Key: delivery-2"});
  EXPECT_EQ(other.status, 200);
  EXPECT_EQ(Record(l, "1")["customer"], "second");
}

TEST_F(WritesTest, UxiShapedBatch) {
  // A list of test results as the UXI Generic HTTP Endpoint sends them:
  // zone-less UTC timestamps, a nested context, a nested list.
  json sample =
      json::parse(R"({"uid":"r1","timestamp":"2024-03-01T12:00:00.123456",
      "test_type":"HTTP","status":"PASS","elapsed_ms":120,
      "context":{"sensor_uid":"s1","network_uid":"n1","service_name":"web"},
      "access_points":[{"bssid":"00:11:22:33:44:55","rssi":-55}]})");
  TestListener l =
      CreateListener({{"method", "none"}}, sample, json::array({"uid"}));
  HttpResponse r = Post(l, R"([
    {"uid":"a","timestamp":"2024-03-01T12:00:00.654321","test_type":"DNS","status":"FAIL","elapsed_ms":5,
     "context":{"sensor_uid":"s2","network_uid":"n1","service_name":"dns"},
     "access_points":[{"bssid":"aa","rssi":-40},{"bssid":"bb","rssi":-70}]},
    {"uid":"b","timestamp":"2024-03-01T12:00:01","test_type":"HTTP","status":"PASS","elapsed_ms":80,
     "context":{"sensor_uid":"s2","network_uid":"n1","service_name":"web"},"access_points":[]}])");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"status":"ok","records":2})");
  EXPECT_EQ(
      stack_.Query("SELECT timestamp, context_sensor_uid FROM sluice_data." +
                   l.base_name + " WHERE uid = 'a'")[0],
      (std::vector<std::string>{"2024-03-01 12:00:00.654321", "s2"}));
  EXPECT_EQ(Count(l, "_access_points"), "2");
}

TEST_F(WritesTest, TypesWidenButNeverNarrowOrTruncate) {
  TestListener l = CreateListener(
      {{"method", "none"}},
      {{"id", 1}, {"ratio", 0.5}, {"label", "x"}, {"note", nullptr}});
  EXPECT_EQ(
      Post(l, R"({"id":1,"ratio":2,"label":7,"note":{"any":["json"]}})").status,
      200);
  EXPECT_EQ(stack_.Query("SELECT ratio, label, note FROM sluice_data." +
                         l.base_name)[0],
            (std::vector<std::string>{"2", "7", R"({"any":["json"]})"}));
  ExpectError(Post(l, R"({"id":"x"})"), 400, "type_mismatch",
              "records[0].id: expected an integer, got a string");
  ExpectError(Post(l, R"({"id":2,"label":")" + std::string(300, 'y') + R"("})"),
              400, "value_too_long",
              "records[0].label: text of 300 characters is longer than the "
              "column's limit of 255");
  // 4-byte UTF-8 comes back as sent.
  ASSERT_EQ(Post(l, "{\"id\":3,\"label\":\"ok \xF0\x9F\x98\x80\"}").status,
            200);
  EXPECT_EQ(Record(l, "3")["label"], "ok \xF0\x9F\x98\x80");
}

TEST_F(WritesTest, HostileInputIsAClear4xxAndWritesNothing) {
  TestListener l = CreateListener(
      {{"method", "none"}},
      json::parse(R"({"id":1,"a`b'; DROP TABLE x; --":"v","items":[{"k":1}]})"),
      json::array({"id"}), {{"maxBodyBytes", 4 * 1024 * 1024}});
  auto columns = stack_.Query(
      "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE "
      "TABLE_SCHEMA='sluice_data'"
      " AND TABLE_NAME='" +
      l.base_name + "' ORDER BY ORDINAL_POSITION");
  EXPECT_EQ(columns[1][0], "a_b___DROP_TABLE_x____");
  EXPECT_EQ(Post(l, R"({"id":1,"a`b'; DROP TABLE x; --":"kept"})").status, 200);
  EXPECT_EQ(Record(l, "1")["a`b'; DROP TABLE x; --"], "kept");

  ExpectError(Post(l, std::string(1000, '[') + std::string(1000, ']')), 400,
              "malformed_json", "deeper than");
  ExpectError(Post(l, "{\"id\":2,\"x\":\"\xC3\x28\"}"), 400, "malformed_json",
              "UTF-8");
  ExpectError(Post(l, R"({"id":2,"id":3})"), 400, "duplicate_key",
              "records[0].id");
  ExpectError(Post(l, R"({"id":123456789012345678901234567890})"), 400,
              "malformed_json", "64-bit");
  ExpectError(Post(l, R"({"id":2,"items":[{"k":"notanumber"}]})"), 400,
              "type_mismatch", "records[0].items[0].k");
  std::string wide = "{\"id\":4";
  for (int i = 0; i < 10000; ++i)
    wide += ",\"f" + std::to_string(i) + "\":" + std::to_string(i);
  wide += "}";
  EXPECT_EQ(Post(l, wide).status, 200);  // unknown fields are kept in _extra
  std::string huge_key =
      "{\"id\":5,\"" + std::string(100 * 1024, 'k') + "\":1}";
  EXPECT_EQ(Post(l, huge_key).status, 200);
  std::string batch = "[";
  for (int i = 0; i < 10000; ++i)
    batch += (i ? ",{\"id\":" : "{\"id\":") + std::to_string(1000 + i) + "}";
  batch += "]";
  HttpResponse many = Post(l, batch);
  EXPECT_EQ(many.status, 200) << many.body;
  EXPECT_EQ(Count(l), "10003");
  std::string too_many = "[";
  for (int i = 0; i < 10001; ++i)
    too_many += (i ? ",{\"id\":" : "{\"id\":") + std::to_string(i) + "}";
  too_many += "]";
  ExpectError(Post(l, too_many), 400, "too_many_records", "at most 10000");
  EXPECT_EQ(Count(l), "10003");
}

TEST_F(WritesTest, RootPathSelectsTheRecords) {
  TestListener l = CreateListener(
      {{"method", "none"}}, json::parse(R"({"data":{"items":[{"id":1}]}})"),
      json::array({"id"}), json::object(), "data.items");
  EXPECT_EQ(Post(l, R"({"data":{"items":[{"id":1},{"id":2}]}})").body,
            R"({"status":"ok","records":2})");
  ExpectError(Post(l, R"({"data":{}})"), 400, "invalid_body",
              "root path \"data.items\" is not in the body");
}

TEST_F(WritesTest, TableNamesAreUniqueAndCreationLeavesNothingBehind) {
  TestListener l = Orders();
  json body = {{"name", "dup"},
               {"auth", {{"method", "none"}}},
               {"structure",
                {{"baseName", l.base_name},
                 {"primaryKey", {"id"}},
                 {"sample", {{"id", 1}}}}}};
  HttpResponse r = stack_.Admin(
      "POST", "/api/v1/integrations/" + l.integration + "/listeners",
      body.dump());
  ExpectError(r, 409, "table_exists", l.base_name);
  HttpResponse list = stack_.Admin(
      "GET", "/api/v1/integrations/" + l.integration + "/listeners");
  EXPECT_EQ(json::parse(list.body)["listeners"].size(), 1u);
  // The first listener still works.
  EXPECT_EQ(Post(l, R"({"id":1})").status, 200);
  // Deleting a listener drops its tables.
  EXPECT_EQ(stack_.Admin("DELETE", l.admin_path).status, 204);
  EXPECT_EQ(stack_.Query("SELECT COUNT(*) FROM information_schema.TABLES WHERE "
                         "TABLE_SCHEMA='sluice_data'"
                         " AND TABLE_NAME LIKE '" +
                         l.base_name + "%'")[0][0],
            "0");
  ExpectError(Post(l, R"({"id":1})"), 404, "not_found",
              "unknown integration or listener");
}

TEST_F(WritesTest, AFailedCreationLeavesNoTablesBehind) {
  // The tables are created before the credential; a credential the auth
  // service refuses must take the tables with it.
  std::string integration = stack_.CreateIntegration("undo");
  std::string base = Unique("undo");
  json body = {{"name", "x"},
               {"auth",
                {{"method", "hmac"},
                 {"preset", "standard-webhooks"},
                 {"secret", "not-a-whsec-secret"}}},
               {"structure",
                {{"baseName", base},
                 {"primaryKey", {"id"}},
                 {"sample", {{"id", 1}, {"tags", {"a"}}}}}}};
  ExpectError(
      stack_.Admin("POST", "/api/v1/integrations/" + integration + "/listeners",
                   body.dump()),
      400, "invalid_auth", "auth.secret");
  EXPECT_EQ(stack_.Query("SELECT COUNT(*) FROM information_schema.TABLES WHERE "
                         "TABLE_SCHEMA='sluice_data'"
                         " AND TABLE_NAME LIKE '" +
                         base + "%'")[0][0],
            "0");
  body["auth"] = {{"method", "none"}};
  EXPECT_EQ(
      stack_
          .Admin("POST", "/api/v1/integrations/" + integration + "/listeners",
                 body.dump())
          .status,
      201);
}

TEST_F(WritesTest, RetentionPurgesRecordsByLastModified) {
  TestListener l = CreateListener({{"method", "none"}},
                                  json::parse(R"({"id":1,"items":[{"k":1}]})"),
                                  json::array({"id"}), {{"retention", "1h"}});
  ASSERT_EQ(Post(l, R"([{"id":1,"items":[{"k":1},{"k":2}]},{"id":2}])").status,
            200);
  HttpResponse early = stack_.Admin("POST", l.admin_path + "/retention/run");
  ASSERT_EQ(early.status, 200) << early.body;
  EXPECT_EQ(early.body, R"({"deleted":0})");
  // Two records last written more than an hour ago, one just now.
  stack_.Query("UPDATE sluice_data.`" + l.base_name +
               "` SET lastModified = UTC_TIMESTAMP(6) - INTERVAL 61 MINUTE");
  ASSERT_EQ(Post(l, R"({"id":3})").status, 200);
  HttpResponse run = stack_.Admin("POST", l.admin_path + "/retention/run");
  EXPECT_EQ(run.body, R"({"deleted":2})");
  EXPECT_EQ(Count(l), "1");
  EXPECT_EQ(Count(l, "_items"), "0");
  EXPECT_EQ(json::parse(stack_.Admin("GET", l.admin_path).body)["retention"],
            "1h");
}

TEST_F(WritesTest, BadSamplesAreRejectedPrecisely) {
  std::string integration = stack_.CreateIntegration("bad");
  json body = {{"name", "x"},
               {"auth", {{"method", "none"}}},
               {"structure",
                {{"baseName", "x"},
                 {"primaryKey", {"missing"}},
                 {"sample", {{"id", 1}}}}}};
  ExpectError(
      stack_.Admin("POST", "/api/v1/integrations/" + integration + "/listeners",
                   body.dump()),
      400, "invalid_sample",
      "primaryKey: field \"missing\" is not in the sample");
}

TEST_F(WritesTest, GeneratePreviewsWithoutCreating) {
  std::string base = Unique("preview");
  json body = {{"baseName", base},
               {"primaryKey", {"id"}},
               {"sample", {{"id", 1}, {"tags", {"a"}}}}};
  HttpResponse r = stack_.Admin("POST", "/api/v1/tables/generate", body.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  json preview = json::parse(r.body);
  EXPECT_EQ(preview["tables"].size(), 2u);
  EXPECT_EQ(preview["tables"][1]["name"], base + "_tags");
  EXPECT_NE(
      preview["ddl"][0].get<std::string>().find("CREATE TABLE `" + base + "`"),
      std::string::npos);
  EXPECT_EQ(stack_.Query("SELECT COUNT(*) FROM information_schema.TABLES WHERE "
                         "TABLE_NAME LIKE '" +
                         base + "%'")[0][0],
            "0");
}

TEST_F(WritesTest, RecordsListPagesInKeyOrder) {
  TestListener l = Orders();
  ASSERT_EQ(Post(l, R"([{"id":3},{"id":1},{"id":2}])").status, 200);
  HttpResponse page1 = stack_.Admin("GET", l.admin_path + "/records?limit=2");
  ASSERT_EQ(page1.status, 200) << page1.body;
  json p1 = json::parse(page1.body);
  ASSERT_EQ(p1["records"].size(), 2u);
  EXPECT_EQ(p1["records"][0]["id"], 1);
  ASSERT_TRUE(p1["nextPageToken"].is_string());
  HttpResponse page2 =
      stack_.Admin("GET", l.admin_path + "/records?limit=2&pageToken=" +
                              p1["nextPageToken"].get<std::string>());
  json p2 = json::parse(page2.body);
  ASSERT_EQ(p2["records"].size(), 1u);
  EXPECT_EQ(p2["records"][0]["id"], 3);
  EXPECT_TRUE(p2["nextPageToken"].is_null());
}

}  // namespace
}  // namespace sluice::testing

namespace sluice::testing {
namespace {

// Delete-then-insert upserts of the same keys from many writers deadlock
// under REPEATABLE READ; storage writes in READ COMMITTED and retries, so
// no client ever sees a failure.
TEST_F(WritesTest, ConcurrentUpsertsOfTheSameKeysAllSucceed) {
  TestListener l = Orders();
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < 8; ++w) {
    writers.emplace_back([&, w] {
      HttpsClient client(stack_.cacert());
      for (int i = 0; i < 25; ++i) {
        std::string body = "[{\"id\":" + std::to_string(i % 3) +
                           ",\"customer\":\"w" + std::to_string(w) +
                           "\",\"items\":[{\"sku\":\"a\"},{\"sku\":\"b\"},{"
                           "\"sku\":\"c\"}]},{\"id\":" +
                           std::to_string((i + 1) % 3) +
                           ",\"items\":[{\"sku\":\"d\"}]}]";
        HttpResponse r = client.Send("POST", l.url, body,
                                     {"Content-Type: application/json"});
        if (r.status != 200) {
          ++failures;
          ADD_FAILURE() << r.status << " " << r.body << r.error;
        }
      }
    });
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Count(l), "3");
  // Every record has exactly the child rows of its last write: 3 or 1.
  for (const auto& row : stack_.Query("SELECT id, COUNT(*) FROM sluice_data." +
                                      l.base_name + "_items GROUP BY id")) {
    EXPECT_TRUE(row[1] == "3" || row[1] == "1") << row[0] << ": " << row[1];
  }
}

}  // namespace
}  // namespace sluice::testing

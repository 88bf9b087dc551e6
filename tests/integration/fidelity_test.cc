// Every accepted value reads back exactly, and no payload breaks a listener
// (DESIGN §3 fidelity, §4, §5): wide samples, odd field names, PATCH of
// unknown fields, hostile admin bodies, exact keys, request size limits and
// listener changes that are all or nothing.
#include <gtest/gtest.h>

#include <thread>

#include "tests/integration/listener_fixture.h"

namespace sluice::testing {
namespace {

class FidelityTest : public ListenerTest {
 protected:
  // A record as read back, without its write time; compared as unordered
  // JSON (key order is not part of a record).
  nlohmann::json Record(const TestListener& l, const std::string& id_path) {
    HttpResponse r = stack_.Admin("GET", l.admin_path + "/records/" + id_path);
    EXPECT_EQ(r.status, 200) << r.body;
    nlohmann::json record = nlohmann::json::parse(r.body, nullptr, false);
    if (record.is_object()) record.erase("lastModified");
    return record;
  }

  static nlohmann::json U(const json& j) {
    return nlohmann::json::parse(j.dump());
  }

  // A sample with `n` short string fields (`f0`…), plus "id".
  static json WideSample(int n, const json& value) {
    json sample = {{"id", 1}};
    for (int i = 0; i < n; ++i) sample["f" + std::to_string(i)] = value;
    return sample;
  }

  // `n` boolean fields with 64-character names: the longest table
  // definition a sample can ask for.
  static json LongNames(int n) {
    json sample = {{"id", 1}};
    for (int i = 0; i < n; ++i) {
      std::string name = "field_" + std::to_string(i) + "_";
      sample[name + std::string(64 - name.size(), 'x')] = true;
    }
    return sample;
  }

  bool EdgeAlive() {
    return stack_.Admin("GET", "/api/v1/integrations").status == 200;
  }
};

// 4-byte UTF-8 characters: the widest a utf8mb4 column holds.
std::string Wide(size_t characters) {
  std::string s;
  for (size_t i = 0; i < characters; ++i) s += "\xF0\x9F\x98\x80";
  return s;
}

TEST_F(FidelityTest, WideSamplesCreateTablesAndEveryFieldRoundTrips) {
  for (int fields : {100, 400, 990}) {
    SCOPED_TRACE(fields);
    TestListener l =
        CreateListener({{"method", "none"}}, WideSample(fields, "short"),
                       {"id"}, {{"maxBodyBytes", 10 * 1024 * 1024}});
    ASSERT_FALSE(l.uuid.empty());
    // Every field filled to the longest its sample type allows.
    json record = WideSample(fields, Wide(255));
    HttpResponse r = Post(l, record.dump());
    ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
    EXPECT_EQ(Record(l, "1"), U(record));
  }
}

TEST_F(FidelityTest, WideSamplesOfEveryTypeCreateTables) {
  json sample = {{"id", 1}};
  for (int i = 0; i < 190; ++i) {
    sample["s" + std::to_string(i)] = "x";
    sample["i" + std::to_string(i)] = 7;
    sample["d" + std::to_string(i)] = 1.5;
    sample["b" + std::to_string(i)] = true;
    sample["t" + std::to_string(i)] = "2024-01-01T00:00:00Z";
  }
  TestListener l = CreateListener({{"method", "none"}}, sample);
  ASSERT_FALSE(l.uuid.empty());
  HttpResponse r = Post(l, sample.dump());
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
  nlohmann::json back = Record(l, "1");
  EXPECT_EQ(back["s189"], "x");
  EXPECT_EQ(back["i189"], 7);
  EXPECT_EQ(back["t0"], "2024-01-01T00:00:00.000000Z");
}

TEST_F(FidelityTest, PreviewDdlIsAcceptedByTheServer) {
  const std::string db = Unique("preview");
  stack_.Query("CREATE DATABASE `" + db + "`");
  for (const json& sample :
       {WideSample(990, "short"), WideSample(300, Wide(200)), LongNames(990),
        json::parse(R"({"id":"k","":1,"a.b":{"":[1]},"x":[[{"y":null}]]})")}) {
    json body = {
        {"baseName", Unique("p")}, {"primaryKey", {"id"}}, {"sample", sample}};
    HttpResponse r =
        stack_.Admin("POST", "/api/v1/tables/generate", body.dump());
    ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
    const json preview = json::parse(r.body);
    ASSERT_FALSE(preview["ddl"].empty());
    for (const json& ddl : preview["ddl"]) {
      std::string statement = ddl.get<std::string>();
      // Run it where it cannot collide with the stack's tables.
      statement.replace(0, std::string("CREATE TABLE ").size(),
                        "CREATE TABLE `" + db + "`.");
      EXPECT_NO_THROW(stack_.Query(statement)) << statement.substr(0, 300);
    }
  }
  stack_.Query("DROP DATABASE `" + db + "`");
}

TEST_F(FidelityTest, FieldsWithEmptyOrOddNamesReadBack) {
  json sample = json::parse(R"({"id":1,"":"empty","\u00e9":"accent","a":{"":2},
      "list":[{"":"in item"}],"!!":3})");
  TestListener l = CreateListener({{"method", "none"}}, sample);
  ASSERT_FALSE(l.uuid.empty());
  ASSERT_EQ(Post(l, sample.dump()).status, 200);
  EXPECT_EQ(Record(l, "1"), U(sample));
}

TEST_F(FidelityTest, UnknownFieldsReadBackExactly) {
  TestListener l =
      CreateListener({{"method", "none"}},
                     json::parse(R"({"id":1,"name":"a","address":{"city":"x"},
                      "items":[{"sku":"s"}]})"));
  json record = json::parse(R"({"id":1,"name":"n",
      "address":{"city":"Oslo","zip.code":"0150","[0]":1},
      "items":[{"sku":"a","note":{"k.1":[1,{"z":null}]}},{"sku":"b","a[1]":2}],
      "a.b":1,"c[0]":2,"d\\e":3,"/slash":4,"~tilde":5,"":6,
      "nested":{"x.y":{"":[[]]}}})");
  ASSERT_EQ(Post(l, record.dump()).status, 200);
  EXPECT_EQ(Record(l, "1"), U(record));
}

TEST_F(FidelityTest, WidenedNullAndEmptyValuesReadBackAsSent) {
  TestListener l = CreateListener(
      {{"method", "none"}},
      json::parse(R"({"id":1,"s":"x","d":1.5,"mixed":null,"o":{"a":1},
                      "l":[{"x":1}],"e":[1],"n":[[1]]})"));
  json record = json::parse(R"({"id":1,"s":5,"d":9007199254740993,
      "mixed":{"deep":[true,{"k":"v"}]},"o":null,"l":[null,{"x":2}],"e":[],
      "n":[[],null,[3]]})");
  ASSERT_EQ(Post(l, record.dump()).status, 200);
  EXPECT_EQ(Record(l, "1"), U(record));
  // The column still holds what SQL queries see.
  EXPECT_EQ(stack_.Query("SELECT s FROM sluice_data." + l.base_name)[0][0],
            "5");
  // A PATCH that stores a value exactly drops the copy; null clears an
  // object (JSON merge patch); an array present replaces the old one.
  ASSERT_EQ(
      Send(l, "PATCH", R"({"id":1,"s":"text","o":{"a":2},"e":[7]})").status,
      200);
  nlohmann::json back = Record(l, "1");
  EXPECT_EQ(back["s"], "text");
  EXPECT_EQ(back["o"], nlohmann::json::parse(R"({"a":2})"));
  EXPECT_EQ(back["e"], nlohmann::json::parse("[7]"));
  ASSERT_EQ(Send(l, "PATCH", R"({"id":1,"o":null,"e":null})").status, 200);
  back = Record(l, "1");
  EXPECT_TRUE(back["o"].is_null() || back["o"]["a"].is_null()) << back;
  EXPECT_FALSE(back.contains("e")) << back;
  EXPECT_EQ(back["d"], 9007199254740993);
}

TEST_F(FidelityTest, PatchMergesUnknownFields) {
  TestListener l = CreateListener({{"method", "none"}},
                                  json::parse(R"({"id":1,"name":"a"})"));
  ASSERT_EQ(
      Post(l, R"({"id":1,"name":"n","x":1,"y":2,"o":{"p":1,"q":2}})").status,
      200);
  HttpResponse r =
      Send(l, "PATCH", R"({"id":1,"x":5,"o":{"q":null,"r":3},"z":{"a":1}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Record(l, "1"),
            nlohmann::json::parse(R"({"id":1,"name":"n","x":5,"y":2,
                                      "o":{"p":1,"r":3},"z":{"a":1}})"));
  // A null in a PATCH removes the field (JSON merge patch).
  ASSERT_EQ(Send(l, "PATCH", R"({"id":1,"y":null})").status, 200);
  EXPECT_FALSE(Record(l, "1").contains("y"));
}

TEST_F(FidelityTest, PatchThatReplacesAnArrayDropsItsOldUnknownFields) {
  TestListener l = CreateListener(
      {{"method", "none"}}, json::parse(R"({"id":1,"items":[{"sku":"s"}]})"));
  ASSERT_EQ(Post(l, R"({"id":1,"items":[{"sku":"a","old":1}]})").status, 200);
  ASSERT_EQ(Send(l, "PATCH", R"({"id":1,"items":[{"sku":"b"}]})").status, 200);
  EXPECT_EQ(Record(l, "1"),
            nlohmann::json::parse(R"({"id":1,"items":[{"sku":"b"}]})"));
}

TEST_F(FidelityTest, DeeplyNestedAdminBodiesAreA400AndTheEdgeLives) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  for (const std::string& path :
       {std::string("/api/v1/tables/generate"),
        "/api/v1/integrations/" + stack_.CreateIntegration("deep") +
            "/listeners",
        std::string("/api/v1/integrations")}) {
    SCOPED_TRACE(path);
    std::string body = R"({"name":"x","baseName":"d","primaryKey":["id"],)"
                       R"("structure":)" +
                       deep + R"(,"sample":)" + deep + "}";
    HttpResponse r = stack_.Admin("POST", path, body);
    ExpectError(r, 400, "malformed_json", "deeper than");
    ASSERT_TRUE(EdgeAlive());
  }
  // Just under the limit is still parsed (and then judged on its content).
  std::string ok_depth = std::string(40, '[') + std::string(40, ']');
  HttpResponse r = stack_.Admin(
      "POST", "/api/v1/tables/generate",
      R"({"baseName":"d","primaryKey":["id"],"sample":{"id":1,"a":)" +
          ok_depth + "}}");
  EXPECT_NE(r.status, 500);
  EXPECT_TRUE(EdgeAlive());
}

TEST_F(FidelityTest, KeysCompareExactly) {
  TestListener l =
      CreateListener({{"method", "none"}}, json::parse(R"({"id":"a","v":1,
                                                  "kids":[{"n":1}]})"));
  HttpResponse r = Post(
      l,
      R"([{"id":"a","v":1,"kids":[{"n":1}]},{"id":"a ","v":2,"kids":[{"n":2}]},
             {"id":"A","v":3}])");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Count(l), "3");
  ASSERT_EQ(Post(l, R"({"id":"a  ","v":4})").status, 200);
  EXPECT_EQ(Count(l), "4");
  EXPECT_EQ(Record(l, "a")["v"], 1);
  EXPECT_EQ(Record(l, "a%20")["v"], 2);
  EXPECT_EQ(Record(l, "a%20%20")["v"], 4);
  EXPECT_EQ(Record(l, "A")["v"], 3);
  EXPECT_EQ(Record(l, "a%20")["kids"], nlohmann::json::parse(R"([{"n":2}])"));
}

TEST_F(FidelityTest, TablesOfEarlierVersionsAreMigratedToExactKeys) {
  TestListener l = CreateListener({{"method", "none"}},
                                  json::parse(R"({"id":"a","kids":["x"]})"));
  // Tables as earlier versions made them: PAD SPACE text.
  for (const std::string& table : {l.base_name, l.base_name + "_kids"}) {
    stack_.Query("ALTER TABLE sluice_data.`" + table +
                 "` MODIFY `id` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE "
                 "utf8mb4_bin NOT NULL");
  }
  stack_.Stop("storage");
  stack_.Start("storage");
  ASSERT_TRUE(stack_.WaitReady("storage", std::chrono::seconds(30)));
  EXPECT_EQ(stack_.Query("SELECT COUNT(*) FROM information_schema.COLUMNS "
                         "WHERE TABLE_SCHEMA = 'sluice_data' AND "
                         "COLLATION_NAME = 'utf8mb4_bin' AND "
                         "DATA_TYPE IN ('varchar', 'text')")[0][0],
            "0");
  // The edge reconnects to the restarted storage within about a second.
  HttpResponse r;
  for (int i = 0; i < 50; ++i) {
    r = Post(l, R"([{"id":"a","kids":["1"]},{"id":"a ","kids":["2"]}])");
    if (r.status != 503) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Count(l), "2");
  EXPECT_EQ(Count(l, "_kids"), "2");
}

TEST_F(FidelityTest, RequestsThatExpandToTooManyRowsAreA413) {
  TestListener l = CreateListener({{"method", "none"}},
                                  json::parse(R"({"id":1,"tags":[0]})"), {"id"},
                                  {{"maxBodyBytes", 10 * 1024 * 1024}});
  auto tags = [](size_t n) {
    std::string body = R"({"id":1,"tags":[)";
    for (size_t i = 0; i < n; ++i) body += i ? ",0" : "0";
    return body + "]}";
  };
  ASSERT_EQ(Post(l, tags(99999)).status, 200);
  EXPECT_EQ(Count(l, "_tags"), "99999");
  ExpectError(Post(l, tags(100000)), 413, "too_many_rows", "100000");
  // 3 M items in a 6 MB body: refused while mapping, quickly.
  HttpResponse big = Post(l, tags(3000000));
  ExpectError(big, 413, "too_many_rows", "100000");
  EXPECT_LT(big.seconds, 10.0);
  EXPECT_EQ(Count(l, "_tags"), "99999");
}

TEST_F(FidelityTest, LargeRequestsUnderTheBodyLimitAreWritten) {
  TestListener l = CreateListener(
      {{"method", "none"}}, json{{"id", 1}, {"text", std::string(300, 't')}},
      {"id"}, {{"maxBodyBytes", 10 * 1024 * 1024}});
  // ~9 MB of text: more than gRPC's default 4 MB message.
  json batch = json::array();
  for (int i = 0; i < 150; ++i) {
    batch.push_back({{"id", i}, {"text", std::string(60000, 'a' + i % 26)}});
  }
  HttpResponse r = Post(l, batch.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Count(l), "150");
}

TEST_F(FidelityTest, ARejectedListenerPatchChangesNothing) {
  TestListener l = TokenListener();
  ASSERT_EQ(Post(l, R"({"id":1})").status, 200);
  for (
      const char* patch :
      {R"({"auth":{"method":"token","readFrom":"header","name":"X-New"},
            "retention":"bogus"})",
       R"({"auth":{"method":"token","readFrom":"header","name":"X-New"},
            "maxBodyBytes":0})",
       R"({"retention":"1d","auth":{"method":"hmac","preset":"nope"}})",
       R"({"retention":"1d","auth":{"method":"token","readFrom":"nowhere"}})"}) {
    SCOPED_TRACE(patch);
    HttpResponse r = stack_.Admin("PATCH", l.admin_path, patch);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.body.find("\"token\""), std::string::npos) << r.body;
    // The old credential still works and nothing else changed.
    EXPECT_EQ(Post(l, R"({"id":2})").status, 200);
    json listener = json::parse(stack_.Admin("GET", l.admin_path).body);
    EXPECT_EQ(listener["auth"]["name"], "X-Api-Token");
    EXPECT_TRUE(listener["retention"].is_null());
    EXPECT_EQ(listener["maxBodyBytes"], 65536);
  }
}

}  // namespace
}  // namespace sluice::testing

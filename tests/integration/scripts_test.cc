// Transform scripts (DESIGN §3, §4), end to end: saved, checked, run in the
// edge before mapping, sandboxed, and dry-run through /api/v1/scripts/test.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include "tests/integration/listener_fixture.h"

namespace sluice::testing {
namespace {

using ::testing::HasSubstr;

class ScriptsTest : public ListenerTest {
 protected:
  TestListener ScriptListener(const std::string& script,
                              const std::string& root_path = "") {
    json record = {{"id", 1}, {"name", "a"}, {"total", 1.5}};
    json sample = root_path.empty()
                      ? record
                      : json{{"data", {{"items", json::array({record})}}}};
    return CreateListener(
        {{"method", "token"}, {"readFrom", "header"}, {"name", "X-Api-Token"}},
        sample, json::array({"id"}), {{"script", script}}, root_path);
  }
};

TEST_F(ScriptsTest, RenamesAFieldAndDropsRecords) {
  TestListener l = ScriptListener(R"(
function transform(record, ctx)
  if record.test then return nil end
  record.name = record.title or record.name
  record.title = nil
  record.total = record.amount and record.amount / 100 or record.total
  record.amount = nil
  return record
end)", "data.items");
  HttpResponse r = Post(
      l, R"({"data":{"items":[{"id":1,"title":"first","amount":1250},
                              {"id":2,"title":"drop me","test":true},
                              {"id":3,"name":"third","total":2}]}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["records"], 2);
  auto rows = stack_.Query("SELECT id, name, total, _extra FROM sluice_data.`" +
                           l.base_name + "` ORDER BY id");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"1", "first", "12.5", "NULL"}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"3", "third", "2", "NULL"}));
}

TEST_F(ScriptsTest, ErrorRejectsTheWholeRequest) {
  TestListener l = ScriptListener(
      "function transform(r)\n if r.total < 0 then error('total must not be "
      "negative') end\n return r\nend");
  ExpectError(Post(l, R"([{"id":1,"total":1},{"id":2,"total":-1}])"), 422,
              "script_rejected", "total must not be negative");
  EXPECT_EQ(Count(l), "0");
  // The context carries the listener, method and headers, without tokens.
  HttpResponse patched = stack_.Admin(
      "PATCH", l.admin_path,
      R"({"script":"function transform(r, ctx) r.name = ctx.method .. ':' .. tostring(ctx.headers['x-api-token']) .. ':' .. ctx.headers['x-source'] return r end"})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  ASSERT_EQ(Post(l, R"({"id":5,"total":1})",
                 {"Content-Type: application/json", "X-Source: crm"})
                .status,
            200);
  EXPECT_EQ(stack_.Query("SELECT name FROM sluice_data.`" + l.base_name +
                         "` WHERE id = 5")[0][0],
            "POST:nil:crm");
}

TEST_F(ScriptsTest, SandboxEscapesAndRunawaysAre422) {
  TestListener l = ScriptListener("function transform(r) return r end");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"os.execute('touch /tmp/sluice-script-escape')", "script error"},
      {"io.open('/etc/passwd')", "script error"},
      {"require('os')", "script error"},
      {"assert(load('\\27Lua\\84\\0\\25\\147'))()", "binary chunk"},
      {"local s = string.rep('x', 1 << 30)", "memory limit"},
      {"while true do end", "instruction limit"},
      {"local function f(n) return f(n + 1) + 1 end f(1)", ""},
  };
  for (const auto& [code, fragment] : cases) {
    SCOPED_TRACE(code);
    json patch = {{"script", "function transform(r) " + code + " return r end"}};
    ASSERT_EQ(stack_.Admin("PATCH", l.admin_path, patch.dump()).status, 200);
    HttpResponse r = Post(l, R"({"id":1})");
    ExpectError(r, 422, "script_rejected", fragment);
  }
  EXPECT_NE(access("/tmp/sluice-script-escape", F_OK), 0);
  EXPECT_EQ(Count(l), "0");
  // The edge is still well.
  ASSERT_EQ(stack_.Admin("PATCH", l.admin_path,
                         R"({"script":"function transform(r) return r end"})")
                .status,
            200);
  EXPECT_EQ(Post(l, R"({"id":1})").status, 200);
}

TEST_F(ScriptsTest, ScriptsAreCheckedWhenSaved) {
  ExpectError(
      stack_.Admin(
          "POST",
          "/api/v1/integrations/" + stack_.CreateIntegration("s") + "/listeners",
          json{{"name", "bad-script"},
               {"auth", {{"method", "none"}}},
               {"structure",
                {{"baseName", Unique("s")},
                 {"primaryKey", {"id"}},
                 {"sample", {{"id", 1}}}}},
               {"script", "function transform(r)\n  return r +\nend"}}
              .dump()),
      400, "invalid_script", "line 3");
  TestListener l = ScriptListener("function transform(r) return r end");
  ExpectError(stack_.Admin("PATCH", l.admin_path, R"({"script":"x = 1"})"), 400,
              "invalid_script", "function transform");
  // The saved script is unchanged and shown on GET; null removes it.
  json got = json::parse(stack_.Admin("GET", l.admin_path).body);
  EXPECT_EQ(got["script"], "function transform(r) return r end");
  ASSERT_EQ(stack_.Admin("PATCH", l.admin_path, R"({"script":null})").status,
            200);
  EXPECT_EQ(json::parse(stack_.Admin("GET", l.admin_path).body)["script"], "");
}

TEST_F(ScriptsTest, DryRunWritesNothing) {
  HttpResponse r = stack_.Admin(
      "POST", "/api/v1/scripts/test",
      R"({"script":"function transform(r) if r.skip then return nil end r.seen = true return r end",
          "body":[{"id":1},{"id":2,"skip":true}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  // Lua tables have no key order: compare as unordered JSON.
  EXPECT_EQ(nlohmann::json::parse(r.body),
            nlohmann::json::parse(R"({"records":[{"id":1,"seen":true}]})"));
  ExpectError(stack_.Admin("POST", "/api/v1/scripts/test",
                           R"({"script":"function transform(r) error('no') end",
                               "body":"{\"id\":1}"})"),
              422, "script_rejected", "no");
  ExpectError(stack_.Admin("POST", "/api/v1/scripts/test",
                           R"({"script":"function transform(r", "body":{}})"),
              400, "invalid_script", "line 1");
  ExpectError(stack_.Admin("POST", "/api/v1/scripts/test", R"({"body":{}})"),
              400, "invalid_request", "script");
}

}  // namespace
}  // namespace sluice::testing

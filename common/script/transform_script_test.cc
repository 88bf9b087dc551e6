#include "common/script/transform_script.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "common/status/error_code.h"

namespace sluice::script {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;

Context MakeContext() {
  Context c;
  c.scope = "listener-1";
  c.listener = "orders";
  c.method = "POST";
  c.received = "2026-12-02T00:00:00Z";
  c.headers = {{"content-type", "application/json"}};
  return c;
}
const Context kContext = MakeContext();

absl::StatusOr<nlohmann::json> RunScript(const std::string& script,
                                   const std::string& body,
                                   const Limits& limits = {}) {
  auto out = Transform(script, body, {}, kContext, limits);
  if (!out.ok()) return out.status();
  return nlohmann::json::parse(*out);
}

// The 422 message of a script that must be stopped.
std::string Rejection(const std::string& script, const std::string& body,
                      const Limits& limits = {}) {
  auto out = Transform(script, body, {}, kContext, limits);
  EXPECT_FALSE(out.ok()) << *out;
  if (out.ok()) return "";
  EXPECT_EQ(ErrorCodeOf(out.status()), "script_rejected") << out.status();
  return std::string(out.status().message());
}

TEST(TransformScript, RenamesFieldsAndDropsRecords) {
  const std::string script = R"(
    function transform(r, ctx)
      if r.kind == "noise" then return nil end
      r.name = r.title
      r.title = nil
      r.source = ctx.listener .. "/" .. ctx.method
      return r
    end)";
  auto out = RunScript(script, R"([{"id":1,"title":"a"},{"id":2,"kind":"noise"},
                            {"id":3,"title":"c","tags":[],"meta":{}}])");
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ((*out)[0], nlohmann::json::parse(
                           R"({"id":1,"name":"a","source":"orders/POST"})"));
  // Empty arrays stay arrays and empty objects objects.
  EXPECT_EQ((*out)[1]["tags"], nlohmann::json::array());
  EXPECT_EQ((*out)[1]["meta"], nlohmann::json::object());
}

TEST(TransformScript, ValuesRoundTrip) {
  const std::string body =
      R"({"i":9007199254740993,"f":1.5,"b":false,"n":null,"s":"\u00e9\ud83d\ude00",
          "a":[1,null,"x"],"o":{"k":[{"z":1}]}})";
  auto out = RunScript("function transform(r) return r end", body);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0], nlohmann::json::parse(body));
}

TEST(TransformScript, SeesHeadersAndRootPath) {
  auto out = Transform(
      "function transform(r, ctx) r.type = ctx.headers['content-type'] "
      "return r end",
      R"({"data":{"items":[{"id":1}]}})", {"data", "items"}, kContext);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(nlohmann::json::parse(*out),
            nlohmann::json::parse(R"([{"id":1,"type":"application/json"}])"));
  auto missing = Transform("function transform(r) return r end", R"({"x":1})",
                           {"data"}, kContext);
  EXPECT_EQ(ErrorCodeOf(missing.status()), "invalid_body");
}

TEST(TransformScript, ErrorRejectsWithTheScriptsMessage) {
  EXPECT_EQ(Rejection("function transform(r) error('amount is negative') end",
                      R"({"id":1})"),
            "amount is negative");
  // A rejection the script catches itself does not reject.
  auto out = RunScript(
      "function transform(r) local ok, e = pcall(error, 'x') "
      "r.caught = tostring(e) return r end",
      R"({"id":1})");
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0]["caught"], "x");
}

TEST(TransformScript, RunTimeErrorsNameTheLineAndRecord) {
  std::string message = Rejection(
      "function transform(r)\n  return r.a.b\nend", R"([{"a":{}},{"id":2}])");
  EXPECT_THAT(message, HasSubstr("record 1"));
  EXPECT_THAT(message, HasSubstr("line 2"));
  EXPECT_THAT(Rejection("function transform(r) return 5 end", "{}"),
              HasSubstr("must return a table or nil"));
  EXPECT_THAT(
      Rejection("function transform(r) r.f = string.len return r end", "{}"),
      HasSubstr("no JSON form"));
  EXPECT_THAT(
      Rejection("function transform(r) r.x = 0/0 return r end", "{}"),
      HasSubstr("number JSON cannot hold"));
  EXPECT_THAT(Rejection("function transform(r) r.s = '\\xff' return r end",
                        "{}"),
              HasSubstr("not UTF-8"));
  EXPECT_THAT(Rejection("function transform(r) r.me = r return r end", "{}"),
              HasSubstr("nested deeper"));
}

TEST(TransformScript, SandboxHasNoEscapes) {
  for (const char* escape :
       {"os.execute('touch /tmp/sluice-escape')", "io.open('/etc/passwd')",
        "require('os')", "package.loadlib('x', 'y')", "debug.getinfo(1)",
        "dofile('/etc/passwd')", "loadfile('/etc/passwd')",
        "collectgarbage('stop')", "print('x')", "string.dump(transform)",
        "assert(load('\\27Lua\\84\\0'))()"}) {
    std::string script = std::string("function transform(r) ") + escape +
                         " return r end";
    EXPECT_THAT(Rejection(script, "{}"), HasSubstr("script error"))
        << escape;
  }
  // load of text still works, in the sandbox.
  auto out = RunScript(
      "function transform(r) r.x = load('return 1 + 1')() return r end", "{}");
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0]["x"], 2);
}

TEST(TransformScript, LimitsStopRunawayScripts) {
  EXPECT_THAT(Rejection("function transform(r) while true do end end", "{}"),
              HasSubstr("instruction limit"));
  // Catching the limit's error does not get around it.
  EXPECT_THAT(Rejection("function transform(r) while true do "
                        "pcall(function() while true do end end) end end",
                        "{}"),
              HasSubstr("instruction limit"));
  EXPECT_THAT(
      Rejection("function transform(r) r.s = string.rep('x', 1 << 30) "
                "return r end",
                "{}"),
      HasSubstr("memory limit"));
  EXPECT_THAT(Rejection("function transform(r) local t = {} "
                        "for i = 1, 1e9 do t[i] = {i} end end",
                        "{}"),
              AnyOf(HasSubstr("memory limit"), HasSubstr("instruction limit")));
  EXPECT_THAT(Rejection("local function f(n) return 1 + f(n + 1) end "
                        "function transform(r) return f(1) end",
                        "{}"),
              AnyOf(HasSubstr("stack overflow"), HasSubstr("memory limit")));
  // The thread's state is still usable afterwards.
  auto out = RunScript("function transform(r) return r end", R"({"id":1})");
  EXPECT_TRUE(out.ok()) << out.status();
}

TEST(TransformScript, LibraryLoopsAndFinalizersAreBounded) {
  // C loops over ranges the script picks are charged before they start.
  // An empty result returns at once, however many repeats.
  EXPECT_TRUE(RunScript("function transform(r) r.s = string.rep('', "
                        "math.maxinteger) return r end",
                        "{}")
                  .ok());
  EXPECT_THAT(Rejection("function transform(r) local s = string.rep('ab', "
                        "math.maxinteger // 4) return r end",
                        "{}"),
              HasSubstr("memory limit"));
  EXPECT_THAT(Rejection("function transform(r) table.move({}, 1, "
                        "math.maxinteger - 1, 2) return r end",
                        "{}"),
              HasSubstr("instruction limit"));
  // Ranges whose length does not fit an integer are refused, not wrapped.
  EXPECT_THAT(Rejection("function transform(r) table.move({}, math.mininteger, "
                        "math.maxinteger, 1) return r end",
                        "{}"),
              HasSubstr("instruction limit"));
  EXPECT_THAT(Rejection("function transform(r) return {table.unpack({}, "
                        "math.mininteger, math.maxinteger)} end",
                        "{}"),
              HasSubstr("instruction limit"));
  EXPECT_THAT(Rejection("function transform(r) return {table.unpack({}, 1, "
                        "1e8)} end",
                        "{}"),
              HasSubstr("instruction limit"));
  EXPECT_THAT(Rejection("function transform(r) table.concat({}, ',', 1, "
                        "math.maxinteger) return r end",
                        "{}"),
              HasSubstr("instruction limit"));
  // Finalizers would run during collection, outside the budget.
  EXPECT_THAT(Rejection("function transform(r) setmetatable({}, {__gc = "
                        "function() while true do end end}) return r end",
                        "{}"),
              HasSubstr("__gc"));
  EXPECT_THAT(Check("setmetatable({}, {__gc = true}) function transform(r) end")
                  .message(),
              HasSubstr("__gc"));
  // Output that shares tables is bounded by its written size.
  EXPECT_THAT(Rejection("function transform(r) local t = {1} for i = 1, 40 do "
                        "t = {t, t} end r.t = t return r end",
                        "{}"),
              AnyOf(HasSubstr("larger than"), HasSubstr("nested deeper")));
  EXPECT_THAT(Rejection("function transform(r) local t = {1} for i = 1, 30 do "
                        "t = {t, t} end r.t = t return r end",
                        "{}"),
              HasSubstr("larger than"));
}

TEST(TransformScript, ArraysWithHolesLoseNothing) {
  auto out = RunScript(
      "function transform(r) r.mixed = {[1] = 'a', [3] = 'c', k = 'v'} "
      "r.items[5] = 'e' return r end",
      R"({"items":["a"]})");
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0]["mixed"],
            nlohmann::json::parse(R"({"1":"a","3":"c","k":"v"})"));
  EXPECT_EQ((*out)[0]["items"],
            nlohmann::json::parse(R"(["a",null,null,null,"e"])"));
  EXPECT_THAT(Rejection("function transform(r) r.items.k = 1 return r end",
                        R"({"items":[]})"),
              HasSubstr("not an index"));
}

TEST(TransformScript, ScopesNeverShareAState) {
  const std::string script =
      "n = 0 function transform(r) n = n + 1 r.n = n return r end";
  Context a = kContext, b = kContext;
  a.scope = "listener-a";
  b.scope = "listener-b";
  ASSERT_TRUE(Transform(script, "{}", {}, a).ok());
  auto second = Transform(script, "{}", {}, b);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(nlohmann::json::parse(*second)[0]["n"], 1);
}

TEST(TransformScript, CheckReportsTheLine) {
  EXPECT_TRUE(Check("function transform(r) return r end").ok());
  absl::Status syntax = Check("function transform(r)\n  return r +\nend");
  EXPECT_EQ(ErrorCodeOf(syntax), "invalid_script");
  EXPECT_THAT(syntax.message(), HasSubstr("line 3"));
  EXPECT_THAT(Check("x = 1").message(), HasSubstr("function transform"));
  EXPECT_THAT(Check("while true do end function transform(r) end").message(),
              HasSubstr("instruction limit"));
  EXPECT_THAT(Check("\x1bLua").message(), HasSubstr("binary"));
  EXPECT_THAT(Check(std::string(kMaxScriptBytes + 1, ' ')).message(),
              HasSubstr("at most"));
}

TEST(TransformScript, EachThreadHasItsOwnState) {
  // A global the script keeps is per thread: states are never shared.
  const std::string script =
      "n = 0 function transform(r) n = n + 1 r.n = n return r end";
  auto first = RunScript(script, "{}");
  auto second = RunScript(script, "{}");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ((*second)[0]["n"], 2);
  nlohmann::json other;
  std::thread([&] { other = *RunScript(script, "{}"); }).join();
  EXPECT_EQ(other[0]["n"], 1);
}

}  // namespace
}  // namespace sluice::script

#include "services/edge/admin_json.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/status/error_code.h"

namespace sluice::edge {
namespace {

using json = nlohmann::ordered_json;

TEST(AdminJsonTest, ParsesAListenerWithTokenAuth) {
  json body = json::parse(R"({"name":"orders",
    "auth":{"method":"TOKEN","readFrom":"Header","name":"X-Api-Token"},
    "structure":{"baseName":"orders","primaryKey":["id"],"sample":{"id":1}},
    "retention":"30d","maxBodyBytes":1000})");
  std::string secret;
  auto listener = ListenerFromJson(body, &secret);
  ASSERT_TRUE(listener.ok()) << listener.status();
  EXPECT_EQ(listener->auth().method(), v1::AUTH_METHOD_TOKEN);
  EXPECT_EQ(listener->auth().read_from(), v1::TOKEN_SOURCE_HEADER);
  EXPECT_EQ(listener->structure().sample_json(), R"({"id":1})");
  EXPECT_EQ(listener->retention(), "30d");
  EXPECT_EQ(listener->max_body_bytes(), 1000);
}

TEST(AdminJsonTest, RejectionsNameTheField) {
  std::string secret;
  struct Case {
    const char* body;
    const char* fragment;
  } cases[] = {
      {R"({"auth":{"method":"none"},"structure":{}})", "\"name\" is required"},
      {R"({"name":"x","structure":{}})", "\"auth\" is required"},
      {R"({"name":"x","auth":{"method":"magic"},"structure":{}})",
       "auth.method"},
      {R"({"name":"x","auth":{"method":"token","readFrom":"header"},"structure":{}})",
       "auth.name"},
      {R"({"name":"x","auth":{"method":"none"},"structure":{"baseName":"t","sample":{}}})",
       "primaryKey"},
      {R"({"name":"x","auth":{"method":"none"},"structure":{"baseName":"t","primaryKey":["id"]}})",
       "\"sample\" is required"},
      {R"({"name":"x","auth":{"method":"none"},"structure":{"baseName":"t","primaryKey":["id"],"sample":{}},"maxBodyBytes":"big"})",
       "maxBodyBytes"},
  };
  for (const auto& c : cases) {
    auto listener = ListenerFromJson(json::parse(c.body), &secret);
    ASSERT_FALSE(listener.ok()) << c.body;
    EXPECT_EQ(listener.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(listener.status().message().find(c.fragment),
              absl::string_view::npos)
        << listener.status();
  }
}

TEST(AdminJsonTest, ListenerJsonNeverCarriesSecrets) {
  v1::Listener l;
  l.set_uuid("L");
  l.set_integration_uuid("I");
  l.set_name("n");
  l.mutable_auth()->set_method(v1::AUTH_METHOD_BASIC);
  l.mutable_auth()->set_username("uxi");
  json out = ListenerToJson(l, "https://h:8443");
  EXPECT_EQ(out["url"], "https://h:8443/I/L");
  EXPECT_EQ(out["auth"], json::parse(R"({"method":"basic","username":"uxi"})"));
  EXPECT_FALSE(out.contains("password"));
  EXPECT_TRUE(out["retention"].is_null());
}

TEST(AdminJsonTest, PatchBuildsAMask) {
  std::string secret;
  std::vector<std::string> mask;
  auto l = ListenerPatchFromJson(
      json::parse(R"({"retention":"1h","maxBodyBytes":5})"), &secret, &mask);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(mask, (std::vector<std::string>{"retention", "max_body_bytes"}));
  auto bad =
      ListenerPatchFromJson(json::parse(R"({"name":"new"})"), &secret, &mask);
  EXPECT_FALSE(bad.ok());
}

}  // namespace
}  // namespace sluice::edge

#include "services/edge/credential_check.h"

#include <gtest/gtest.h>

#include <map>

#include "absl/strings/ascii.h"
#include "common/crypto/crypto.h"

namespace sluice::edge {
namespace {

struct FakeRequest {
  std::map<std::string, std::string> headers;  // lowercase names
  std::map<std::string, std::string> query;

  std::string body;
  int64_t now = 0;

  PresentedCredentials Presented() const {
    return PresentedCredentials{
        [this](const std::string& name) -> std::optional<std::string> {
          auto it = headers.find(absl::AsciiStrToLower(name));
          if (it == headers.end()) return std::nullopt;
          return it->second;
        },
        [this](const std::string& name) -> std::optional<std::string> {
          auto it = query.find(name);
          if (it == query.end()) return std::nullopt;
          return it->second;
        },
        body, now};
  }
};

v1::Verifier TokenVerifier(v1::TokenSource source, const std::string& name,
                           const std::string& prefix = "") {
  v1::Verifier v;
  v.mutable_config()->set_method(v1::AUTH_METHOD_TOKEN);
  v.mutable_config()->set_read_from(source);
  v.mutable_config()->set_name(name);
  v.mutable_config()->set_prefix(prefix);
  v.set_secret_sha256(crypto::Sha256("s3cret"));
  return v;
}

TEST(CredentialCheckTest, TokenFromHeader) {
  auto v = TokenVerifier(v1::TOKEN_SOURCE_HEADER, "X-Api-Token");
  EXPECT_EQ(CheckCredentials(
                v, FakeRequest{{{"x-api-token", "s3cret"}}, {}}.Presented()),
            Verdict::kOk);
  EXPECT_EQ(CheckCredentials(
                v, FakeRequest{{{"x-api-token", "s3cres"}}, {}}.Presented()),
            Verdict::kInvalid);
  EXPECT_EQ(CheckCredentials(v, FakeRequest{}.Presented()), Verdict::kMissing);
}

TEST(CredentialCheckTest, TokenFromQuery) {
  auto v = TokenVerifier(v1::TOKEN_SOURCE_QUERY, "token");
  EXPECT_EQ(
      CheckCredentials(v, FakeRequest{{}, {{"token", "s3cret"}}}.Presented()),
      Verdict::kOk);
  EXPECT_EQ(CheckCredentials(v, FakeRequest{{}, {{"token", "x"}}}.Presented()),
            Verdict::kInvalid);
  EXPECT_EQ(
      CheckCredentials(v, FakeRequest{{}, {{"other", "s3cret"}}}.Presented()),
      Verdict::kMissing);
}

TEST(CredentialCheckTest, TokenFromAuthorizationWithPrefix) {
  auto v = TokenVerifier(v1::TOKEN_SOURCE_AUTHORIZATION, "", "Bearer");
  EXPECT_EQ(
      CheckCredentials(
          v, FakeRequest{{{"authorization", "Bearer s3cret"}}, {}}.Presented()),
      Verdict::kOk);
  EXPECT_EQ(
      CheckCredentials(
          v, FakeRequest{{{"authorization", "bearer s3cret"}}, {}}.Presented()),
      Verdict::kOk);
  EXPECT_EQ(
      CheckCredentials(
          v, FakeRequest{{{"authorization", "Token s3cret"}}, {}}.Presented()),
      Verdict::kInvalid);
  EXPECT_EQ(CheckCredentials(v, FakeRequest{}.Presented()), Verdict::kMissing);
}

TEST(CredentialCheckTest, Basic) {
  v1::Verifier v;
  v.mutable_config()->set_method(v1::AUTH_METHOD_BASIC);
  v.mutable_config()->set_username("uxi");
  v.set_secret_sha256(crypto::Sha256("pw"));
  auto basic = [](const std::string& userpass) {
    return FakeRequest{
        {{"authorization", "Basic " + crypto::Base64Encode(userpass)}}, {}};
  };
  EXPECT_EQ(CheckCredentials(v, basic("uxi:pw").Presented()), Verdict::kOk);
  EXPECT_EQ(CheckCredentials(v, basic("uxi:px").Presented()),
            Verdict::kInvalid);
  EXPECT_EQ(CheckCredentials(v, basic("uxj:pw").Presented()),
            Verdict::kInvalid);
  EXPECT_EQ(CheckCredentials(v, basic("nocolon").Presented()),
            Verdict::kInvalid);
  EXPECT_EQ(
      CheckCredentials(
          v, FakeRequest{{{"authorization", "Basic !!!"}}, {}}.Presented()),
      Verdict::kInvalid);
  EXPECT_EQ(CheckCredentials(v, FakeRequest{}.Presented()), Verdict::kMissing);
}

TEST(CredentialCheckTest, NoneAcceptsAnything) {
  v1::Verifier v;
  v.mutable_config()->set_method(v1::AUTH_METHOD_NONE);
  EXPECT_EQ(CheckCredentials(v, FakeRequest{}.Presented()), Verdict::kOk);
}

}  // namespace
}  // namespace sluice::edge

namespace sluice::edge {
namespace {

v1::Verifier Hmac(const std::string& preset, const std::string& key) {
  v1::Verifier v;
  v.mutable_config()->set_method(v1::AUTH_METHOD_HMAC);
  v.mutable_config()->set_preset(preset);
  v.mutable_config()->set_tolerance_seconds(300);
  v.set_hmac_key(key);
  return v;
}

TEST(HmacTest, GithubPublishedVector) {
  auto v = Hmac("github", "It's a Secret to Everybody");
  FakeRequest r{
      {{"x-hub-signature-256",
        "sha256="
        "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"}},
      {},
      "Hello, World!",
      0};
  EXPECT_EQ(CheckCredentials(v, r.Presented()), Verdict::kOk);
  r.body = "Hello, World?";
  EXPECT_EQ(CheckCredentials(v, r.Presented()), Verdict::kInvalid);
  EXPECT_EQ(
      CheckCredentials(v, FakeRequest{{}, {}, "Hello, World!", 0}.Presented()),
      Verdict::kMissing);
}

TEST(HmacTest, StandardWebhooksPublishedVector) {
  std::string key;
  ASSERT_TRUE(crypto::Base64Decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", &key));
  auto v = Hmac("standard-webhooks", key);
  FakeRequest r{{{"webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"},
                 {"webhook-timestamp", "1614265330"},
                 {"webhook-signature",
                  "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="}},
                {},
                R"({"test": 2432232314})",
                1614265330};
  EXPECT_EQ(CheckCredentials(v, r.Presented()), Verdict::kOk);
  // Several signatures (key rotation): any one may match.
  r.headers["webhook-signature"] =
      "v1,Zm9v v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
  EXPECT_EQ(CheckCredentials(v, r.Presented()), Verdict::kOk);
  FakeRequest stale = r;
  stale.now = 1614265330 + 301;
  EXPECT_EQ(CheckCredentials(v, stale.Presented()), Verdict::kInvalid);
  FakeRequest future = r;
  future.now = 1614265330 - 301;
  EXPECT_EQ(CheckCredentials(v, future.Presented()), Verdict::kInvalid);
  FakeRequest changed = r;
  changed.body = R"({"test": 2432232315})";
  EXPECT_EQ(CheckCredentials(v, changed.Presented()), Verdict::kInvalid);
  FakeRequest missing = r;
  missing.headers.erase("webhook-id");
  EXPECT_EQ(CheckCredentials(v, missing.Presented()), Verdict::kMissing);
}

TEST(HmacTest, StripeSignsTimestampDotBodyWithTheSecretAsGiven) {
  auto v = Hmac("stripe", "whsec_test");
  std::string body = R"({"id":"evt_1"})";
  std::string sig = crypto::HexEncode(
      crypto::Hmac("sha256", "whsec_test", "1700000000." + body));
  FakeRequest r{
      {{"stripe-signature", "t=1700000000,v1=" + sig + ",v0=ignored"}},
      {},
      body,
      1700000100};
  EXPECT_EQ(CheckCredentials(v, r.Presented()), Verdict::kOk);
  r.headers["stripe-signature"] = "t=1700000000,v1=00ff,v1=" + sig;
  EXPECT_EQ(CheckCredentials(v, r.Presented()), Verdict::kOk);
  r.now = 1700000000 + 400;
  EXPECT_EQ(CheckCredentials(v, r.Presented()), Verdict::kInvalid);
  r.now = 1700000000;
  r.headers["stripe-signature"] = "v1=" + sig;  // no timestamp
  EXPECT_EQ(CheckCredentials(v, r.Presented()), Verdict::kInvalid);
}

TEST(HmacTest, ShopifyIsBase64) {
  auto v = Hmac("shopify", "shpss_secret");
  std::string body = R"({"order":1})";
  FakeRequest r{
      {{"x-shopify-hmac-sha256",
        crypto::Base64Encode(crypto::Hmac("sha256", "shpss_secret", body))}},
      {},
      body,
      0};
  EXPECT_EQ(CheckCredentials(v, r.Presented()), Verdict::kOk);
  r.body += " ";
  EXPECT_EQ(CheckCredentials(v, r.Presented()), Verdict::kInvalid);
}

TEST(HmacTest, GenericHeaderAlgorithmEncodingAndPrefix) {
  auto v = Hmac("generic", "k");
  v.mutable_config()->set_header("X-Signature");
  v.mutable_config()->set_algorithm("sha512");
  v.mutable_config()->set_encoding("base64");
  v.mutable_config()->set_prefix("sha512=");
  FakeRequest r{{{"x-signature", "sha512=" + crypto::Base64Encode(crypto::Hmac(
                                                 "sha512", "k", "b"))}},
                {},
                "b",
                0};
  EXPECT_EQ(CheckCredentials(v, r.Presented()), Verdict::kOk);
  r.headers["x-signature"] =
      crypto::Base64Encode(crypto::Hmac("sha512", "k", "b"));  // prefix missing
  EXPECT_EQ(CheckCredentials(v, r.Presented()), Verdict::kInvalid);
}

TEST(CredentialCheckTest, UserChosenPasswordNeedsTheKdf) {
  v1::Verifier v;
  v.mutable_config()->set_method(v1::AUTH_METHOD_BASIC);
  v.mutable_config()->set_username("uxi");
  v.set_password_kdf("scrypt$...");
  FakeRequest ok{
      {{"authorization", "Basic " + crypto::Base64Encode("uxi:whatever")}}, {}};
  EXPECT_EQ(CheckCredentials(v, ok.Presented()), Verdict::kNeedsPassword);
  // A wrong user name goes through the KDF too (the caller rejects it after
  // it), so it answers no sooner than a wrong password.
  FakeRequest wrong_user{
      {{"authorization", "Basic " + crypto::Base64Encode("bob:whatever")}}, {}};
  EXPECT_EQ(CheckCredentials(v, wrong_user.Presented()),
            Verdict::kNeedsPassword);
}

}  // namespace
}  // namespace sluice::edge

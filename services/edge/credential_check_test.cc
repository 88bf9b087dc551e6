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
        }};
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
  EXPECT_EQ(CheckCredentials(v, FakeRequest{{{"x-api-token", "s3cret"}}, {}}.Presented()), Verdict::kOk);
  EXPECT_EQ(CheckCredentials(v, FakeRequest{{{"x-api-token", "s3cres"}}, {}}.Presented()),
            Verdict::kInvalid);
  EXPECT_EQ(CheckCredentials(v, FakeRequest{}.Presented()), Verdict::kMissing);
}

TEST(CredentialCheckTest, TokenFromQuery) {
  auto v = TokenVerifier(v1::TOKEN_SOURCE_QUERY, "token");
  EXPECT_EQ(CheckCredentials(v, FakeRequest{{}, {{"token", "s3cret"}}}.Presented()), Verdict::kOk);
  EXPECT_EQ(CheckCredentials(v, FakeRequest{{}, {{"token", "x"}}}.Presented()), Verdict::kInvalid);
  EXPECT_EQ(CheckCredentials(v, FakeRequest{{}, {{"other", "s3cret"}}}.Presented()), Verdict::kMissing);
}

TEST(CredentialCheckTest, TokenFromAuthorizationWithPrefix) {
  auto v = TokenVerifier(v1::TOKEN_SOURCE_AUTHORIZATION, "", "Bearer");
  EXPECT_EQ(CheckCredentials(v, FakeRequest{{{"authorization", "Bearer s3cret"}}, {}}.Presented()),
            Verdict::kOk);
  EXPECT_EQ(CheckCredentials(v, FakeRequest{{{"authorization", "bearer s3cret"}}, {}}.Presented()),
            Verdict::kOk);
  EXPECT_EQ(CheckCredentials(v, FakeRequest{{{"authorization", "Token s3cret"}}, {}}.Presented()),
            Verdict::kInvalid);
  EXPECT_EQ(CheckCredentials(v, FakeRequest{}.Presented()), Verdict::kMissing);
}

TEST(CredentialCheckTest, Basic) {
  v1::Verifier v;
  v.mutable_config()->set_method(v1::AUTH_METHOD_BASIC);
  v.mutable_config()->set_username("uxi");
  v.set_secret_sha256(crypto::Sha256("pw"));
  auto basic = [](const std::string& userpass) {
    return FakeRequest{{{"authorization", "Basic " + crypto::Base64Encode(userpass)}}, {}};
  };
  EXPECT_EQ(CheckCredentials(v, basic("uxi:pw").Presented()), Verdict::kOk);
  EXPECT_EQ(CheckCredentials(v, basic("uxi:px").Presented()), Verdict::kInvalid);
  EXPECT_EQ(CheckCredentials(v, basic("uxj:pw").Presented()), Verdict::kInvalid);
  EXPECT_EQ(CheckCredentials(v, basic("nocolon").Presented()), Verdict::kInvalid);
  EXPECT_EQ(CheckCredentials(v, FakeRequest{{{"authorization", "Basic !!!"}}, {}}.Presented()),
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

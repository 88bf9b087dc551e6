#include "services/auth/credential_manager.h"

#include <gtest/gtest.h>

#include "common/crypto/crypto.h"

namespace sluice {
namespace {

v1::SetCredentialRequest TokenRequest() {
  v1::SetCredentialRequest request;
  request.set_listener_uuid("l1");
  request.mutable_config()->set_method(v1::AUTH_METHOD_TOKEN);
  request.mutable_config()->set_read_from(v1::TOKEN_SOURCE_HEADER);
  request.mutable_config()->set_name("X-Api-Token");
  return request;
}

TEST(CredentialManagerTest, TokenIsGeneratedAndStoredAsDigest) {
  InMemoryCredentialStore store;
  CredentialManager manager(&store, std::string(32, 'k'));
  auto response = manager.Set(TokenRequest());
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_GE(response->token().size(), 43u);
  auto stored = store.Get("l1");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->secret_sha256, crypto::Sha256(response->token()));
  auto verifier = manager.GetVerifier("l1");
  ASSERT_TRUE(verifier.ok());
  EXPECT_EQ(verifier->secret_sha256(), crypto::Sha256(response->token()));
  EXPECT_EQ(verifier->version(), 1);
}

TEST(CredentialManagerTest, RotationReplacesTheSecret) {
  InMemoryCredentialStore store;
  CredentialManager manager(&store, std::string(32, 'k'));
  auto first = manager.Set(TokenRequest());
  auto second = manager.Rotate("l1");
  ASSERT_TRUE(second.ok());
  EXPECT_NE(first->token(), second->token());
  auto verifier = manager.GetVerifier("l1");
  EXPECT_EQ(verifier->secret_sha256(), crypto::Sha256(second->token()));
  EXPECT_EQ(verifier->version(), 2);
}

TEST(CredentialManagerTest, RejectsIncompleteConfigs) {
  InMemoryCredentialStore store;
  CredentialManager manager(&store, std::string(32, 'k'));
  auto request = TokenRequest();
  request.mutable_config()->clear_name();
  EXPECT_EQ(manager.Set(request).status().code(),
            absl::StatusCode::kInvalidArgument);
  request.mutable_config()->set_read_from(v1::TOKEN_SOURCE_UNSPECIFIED);
  EXPECT_EQ(manager.Set(request).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(manager.Rotate("missing").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(CredentialManagerTest, NoneHasNothingToRotate) {
  InMemoryCredentialStore store;
  CredentialManager manager(&store, std::string(32, 'k'));
  v1::SetCredentialRequest request;
  request.set_listener_uuid("l2");
  request.mutable_config()->set_method(v1::AUTH_METHOD_NONE);
  ASSERT_TRUE(manager.Set(request).ok());
  EXPECT_EQ(manager.Rotate("l2").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace sluice

namespace sluice {
namespace {

TEST(CredentialManagerTest, HmacSecretIsSealedAndGivenToVerifiers) {
  InMemoryCredentialStore store;
  CredentialManager manager(&store, std::string(32, 'k'));
  v1::SetCredentialRequest request;
  request.set_listener_uuid("h");
  request.mutable_config()->set_method(v1::AUTH_METHOD_HMAC);
  request.mutable_config()->set_preset("standard-webhooks");
  request.set_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  auto response = manager.Set(request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_TRUE(response->secret().empty());  // user-given: not echoed
  auto stored = store.Get("h");
  EXPECT_EQ(stored->hmac_secret_sealed.find("MfKQ9r8"), std::string::npos);
  auto verifier = manager.GetVerifier("h");
  ASSERT_TRUE(verifier.ok());
  std::string expected;
  ASSERT_TRUE(
      crypto::Base64Decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", &expected));
  EXPECT_EQ(verifier->hmac_key(), expected);
  EXPECT_EQ(verifier->config().tolerance_seconds(), 300);
  // A key other than the sealing one cannot read it.
  CredentialManager other(&store, std::string(32, 'x'));
  EXPECT_FALSE(other.GetVerifier("h").ok());
}

TEST(CredentialManagerTest, ARotatedSealingKeyStillOpensAndResealsSecrets) {
  InMemoryCredentialStore store;
  const std::string old_key(32, 'o'), new_key(32, 'n');
  CredentialManager before(&store, old_key);
  for (const char* uuid : {"a", "b"}) {
    v1::SetCredentialRequest request;
    request.set_listener_uuid(uuid);
    request.mutable_config()->set_method(v1::AUTH_METHOD_HMAC);
    request.mutable_config()->set_preset("github");
    ASSERT_TRUE(before.Set(request).ok());
  }
  std::string expected_key = before.GetVerifier("a")->hmac_key();
  // The new key first, the old one after it: both open.
  CredentialManager rotating(&store, std::vector<std::string>{new_key, old_key});
  ASSERT_TRUE(rotating.GetVerifier("a").ok());
  EXPECT_EQ(rotating.GetVerifier("a")->hmac_key(), expected_key);
  auto count = rotating.ResealUnderCurrentKey();
  ASSERT_TRUE(count.ok()) << count.status();
  EXPECT_EQ(count->resealed, 2);
  EXPECT_EQ(count->current, 0);
  EXPECT_EQ(count->unopenable, 0);
  EXPECT_EQ(rotating.ResealUnderCurrentKey()->current, 2);
  // Then the old key can go.
  CredentialManager after(&store, new_key);
  auto verifier = after.GetVerifier("a");
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  EXPECT_EQ(verifier->hmac_key(), expected_key);
  EXPECT_FALSE(before.GetVerifier("b").ok());
  // A secret under no key given is counted, not touched.
  CredentialManager stranger(&store, std::vector<std::string>{old_key});
  EXPECT_EQ(stranger.ResealUnderCurrentKey()->unopenable, 2);
}

TEST(CredentialManagerTest, HmacSecretsAreGeneratedInThePresetsFormat) {
  InMemoryCredentialStore store;
  CredentialManager manager(&store, std::string(32, 'k'));
  v1::SetCredentialRequest request;
  request.set_listener_uuid("g");
  request.mutable_config()->set_method(v1::AUTH_METHOD_HMAC);
  request.mutable_config()->set_preset("standard-webhooks");
  auto response = manager.Set(request);
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->secret().rfind("whsec_", 0), 0u);
  request.mutable_config()->set_preset("nope");
  EXPECT_EQ(manager.Set(request).status().code(),
            absl::StatusCode::kInvalidArgument);
  request.mutable_config()->set_preset("standard-webhooks");
  request.set_secret("not-whsec");
  EXPECT_EQ(manager.Set(request).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(CredentialManagerTest, UserChosenBasicPasswordIsHashedSlowly) {
  InMemoryCredentialStore store;
  CredentialManager manager(&store, std::string(32, 'k'));
  v1::SetCredentialRequest request;
  request.set_listener_uuid("b");
  request.mutable_config()->set_method(v1::AUTH_METHOD_BASIC);
  request.mutable_config()->set_username("uxi");
  request.set_secret("a long enough password");
  auto response = manager.Set(request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_TRUE(response->password().empty());
  auto verifier = manager.GetVerifier("b");
  EXPECT_TRUE(crypto::VerifyPassword("a long enough password",
                                     verifier->password_kdf()));
  request.set_secret("short");
  EXPECT_EQ(manager.Set(request).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sluice

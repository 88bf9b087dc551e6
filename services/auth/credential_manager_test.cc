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
  CredentialManager manager(&store);
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
  CredentialManager manager(&store);
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
  CredentialManager manager(&store);
  auto request = TokenRequest();
  request.mutable_config()->clear_name();
  EXPECT_EQ(manager.Set(request).status().code(), absl::StatusCode::kInvalidArgument);
  request.mutable_config()->set_read_from(v1::TOKEN_SOURCE_UNSPECIFIED);
  EXPECT_EQ(manager.Set(request).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(manager.Rotate("missing").status().code(), absl::StatusCode::kNotFound);
}

TEST(CredentialManagerTest, NoneHasNothingToRotate) {
  InMemoryCredentialStore store;
  CredentialManager manager(&store);
  v1::SetCredentialRequest request;
  request.set_listener_uuid("l2");
  request.mutable_config()->set_method(v1::AUTH_METHOD_NONE);
  ASSERT_TRUE(manager.Set(request).ok());
  EXPECT_EQ(manager.Rotate("l2").status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace sluice

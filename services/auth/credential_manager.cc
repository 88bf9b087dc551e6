#include "services/auth/credential_manager.h"

#include "common/crypto/crypto.h"
#include "common/status/error_code.h"

namespace sluice {
namespace {

absl::Status ValidateConfig(const v1::AuthConfig& config) {
  switch (config.method()) {
    case v1::AUTH_METHOD_NONE:
      return absl::OkStatus();
    case v1::AUTH_METHOD_TOKEN:
      if (config.read_from() == v1::TOKEN_SOURCE_UNSPECIFIED) {
        return InvalidArgumentError("invalid_auth",
                                    "auth.readFrom must be header, query or authorization");
      }
      if (config.read_from() != v1::TOKEN_SOURCE_AUTHORIZATION && config.name().empty()) {
        return InvalidArgumentError("invalid_auth",
                                    "auth.name is required when the token is read from a header "
                                    "or query parameter");
      }
      return absl::OkStatus();
    case v1::AUTH_METHOD_BASIC:
      if (config.username().empty() || config.username().find(':') != std::string::npos) {
        return InvalidArgumentError("invalid_auth",
                                    "auth.username is required and must not contain ':'");
      }
      return absl::OkStatus();
    case v1::AUTH_METHOD_HMAC:
      return WithErrorCode(absl::UnimplementedError("auth.method \"hmac\" is not available yet"),
                           "not_implemented");
    default:
      return InvalidArgumentError("invalid_auth",
                                  "auth.method must be one of none, token, basic, hmac");
  }
}

}  // namespace

absl::StatusOr<v1::SetCredentialResponse> CredentialManager::Set(
    const v1::SetCredentialRequest& request) {
  if (absl::Status s = ValidateConfig(request.config()); !s.ok()) return s;
  if (request.config().method() == v1::AUTH_METHOD_BASIC && !request.secret().empty()) {
    return WithErrorCode(
        absl::UnimplementedError("a user-chosen basic password is not available yet; omit "
                                 "auth.password to have one generated"),
        "not_implemented");
  }
  StoredCredential credential;
  credential.listener_uuid = request.listener_uuid();
  credential.config = request.config();
  v1::SetCredentialResponse response;
  auto previous = store_->Get(request.listener_uuid());
  credential.version = previous.ok() ? previous->version + 1 : 1;
  if (request.config().method() == v1::AUTH_METHOD_TOKEN ||
      request.config().method() == v1::AUTH_METHOD_BASIC) {
    std::string secret = crypto::NewToken();
    credential.secret_sha256 = crypto::Sha256(secret);
    if (request.config().method() == v1::AUTH_METHOD_TOKEN) {
      response.set_token(secret);
    } else {
      response.set_password(secret);
    }
  }
  if (absl::Status s = store_->Put(credential); !s.ok()) return s;
  return response;
}

absl::StatusOr<v1::SetCredentialResponse> CredentialManager::Rotate(
    const std::string& listener_uuid) {
  auto current = store_->Get(listener_uuid);
  if (!current.ok()) return current.status();
  if (current->config.method() == v1::AUTH_METHOD_NONE) {
    return absl::FailedPreconditionError("the listener has no secret to regenerate (auth none)");
  }
  v1::SetCredentialRequest request;
  request.set_listener_uuid(listener_uuid);
  *request.mutable_config() = current->config;
  return Set(request);
}

absl::Status CredentialManager::Delete(const std::string& listener_uuid) {
  return store_->Delete(listener_uuid);
}

absl::StatusOr<v1::Verifier> CredentialManager::GetVerifier(const std::string& listener_uuid) {
  auto credential = store_->Get(listener_uuid);
  if (!credential.ok()) return credential.status();
  v1::Verifier verifier;
  verifier.set_listener_uuid(listener_uuid);
  *verifier.mutable_config() = credential->config;
  verifier.set_secret_sha256(credential->secret_sha256);
  verifier.set_version(credential->version);
  return verifier;
}

}  // namespace sluice

#include "services/auth/credential_manager.h"

#include "common/crypto/crypto.h"
#include "common/signatures/hmac_presets.h"
#include "common/status/error_code.h"

namespace sluice {
namespace {

absl::Status ValidateConfig(const v1::AuthConfig& config) {
  switch (config.method()) {
    case v1::AUTH_METHOD_NONE:
      return absl::OkStatus();
    case v1::AUTH_METHOD_TOKEN:
      if (config.read_from() == v1::TOKEN_SOURCE_UNSPECIFIED) {
        return InvalidArgumentError(
            "invalid_auth",
            "auth.readFrom must be header, query or authorization");
      }
      if (config.read_from() != v1::TOKEN_SOURCE_AUTHORIZATION &&
          config.name().empty()) {
        return InvalidArgumentError(
            "invalid_auth",
            "auth.name is required when the token is read from a header "
            "or query parameter");
      }
      return absl::OkStatus();
    case v1::AUTH_METHOD_BASIC:
      if (config.username().empty() ||
          config.username().find(':') != std::string::npos) {
        return InvalidArgumentError(
            "invalid_auth",
            "auth.username is required and must not contain ':'");
      }
      return absl::OkStatus();
    case v1::AUTH_METHOD_HMAC:
      return absl::OkStatus();
    default:
      return InvalidArgumentError(
          "invalid_auth",
          "auth.method must be one of none, token, basic, hmac");
  }
}

}  // namespace

absl::Status NormalizeHmacConfig(v1::AuthConfig* config) {
  const signatures::HmacPreset* preset =
      signatures::FindHmacPreset(config->preset());
  if (preset == nullptr) {
    return InvalidArgumentError(
        "invalid_auth",
        "auth.preset must be one of " + signatures::HmacPresetNames());
  }
  return preset->normalize(config);
}

absl::StatusOr<v1::SetCredentialResponse> CredentialManager::Set(
    const v1::SetCredentialRequest& request) {
  if (absl::Status s = ValidateConfig(request.config()); !s.ok()) return s;
  StoredCredential credential;
  credential.listener_uuid = request.listener_uuid();
  credential.config = request.config();
  v1::SetCredentialResponse response;
  auto previous = store_->Get(request.listener_uuid());
  credential.version = previous.ok() ? previous->version + 1 : 1;
  switch (request.config().method()) {
    case v1::AUTH_METHOD_TOKEN: {
      std::string token = crypto::NewToken();
      credential.secret_sha256 = crypto::Sha256(token);
      response.set_token(token);
      break;
    }
    case v1::AUTH_METHOD_BASIC:
      if (request.secret().empty()) {
        std::string password = crypto::NewToken();
        credential.secret_sha256 = crypto::Sha256(password);
        response.set_password(password);
      } else {
        if (request.secret().size() < 12 || request.secret().size() > 1024) {
          return InvalidArgumentError(
              "invalid_auth",
              "auth.password must be 12 to 1024 characters; omit it to "
              "have one generated");
        }
        if (!request.validate_only()) {
          credential.password_kdf = crypto::HashPassword(request.secret());
        }
      }
      break;
    case v1::AUTH_METHOD_HMAC: {
      if (absl::Status s = NormalizeHmacConfig(&credential.config); !s.ok())
        return s;
      const signatures::HmacPreset* preset =
          signatures::FindHmacPreset(credential.config.preset());
      std::string secret = request.secret();
      if (secret.empty()) {
        secret = preset->new_secret();
        response.set_secret(secret);
      }
      std::string key;
      if (secret.size() > 512 || !preset->key_of(secret, &key)) {
        return InvalidArgumentError(
            "invalid_auth",
            "auth.secret must be " + std::string(preset->secret_format));
      }
      credential.hmac_secret_sealed =
          crypto::AesGcmEncrypt(sealing_keys_[0], secret);
      break;
    }
    default:
      break;
  }
  if (request.validate_only()) return v1::SetCredentialResponse();
  if (absl::Status s = store_->Put(credential); !s.ok()) return s;
  return response;
}

absl::StatusOr<v1::SetCredentialResponse> CredentialManager::Rotate(
    const std::string& listener_uuid) {
  auto current = store_->Get(listener_uuid);
  if (!current.ok()) return current.status();
  if (current->config.method() == v1::AUTH_METHOD_NONE) {
    return absl::FailedPreconditionError(
        "the listener has no secret to regenerate (auth none)");
  }
  v1::SetCredentialRequest request;
  request.set_listener_uuid(listener_uuid);
  *request.mutable_config() = current->config;
  return Set(request);
}

absl::Status CredentialManager::Delete(const std::string& listener_uuid) {
  return store_->Delete(listener_uuid);
}

absl::StatusOr<v1::Verifier> CredentialManager::GetVerifier(
    const std::string& listener_uuid) {
  auto credential = store_->Get(listener_uuid);
  if (!credential.ok()) return credential.status();
  v1::Verifier verifier;
  verifier.set_listener_uuid(listener_uuid);
  *verifier.mutable_config() = credential->config;
  verifier.set_secret_sha256(credential->secret_sha256);
  verifier.set_password_kdf(credential->password_kdf);
  verifier.set_version(credential->version);
  if (!credential->hmac_secret_sealed.empty()) {
    std::string secret, key;
    const signatures::HmacPreset* preset =
        signatures::FindHmacPreset(credential->config.preset());
    if (Open(credential->hmac_secret_sealed, &secret) < 0 ||
        preset == nullptr || !preset->key_of(secret, &key)) {
      return absl::InternalError(
          "an HMAC secret does not decrypt with this service's key");
    }
    verifier.set_hmac_key(key);
  }
  return verifier;
}

int CredentialManager::Open(const std::string& sealed,
                            std::string* secret) const {
  for (size_t i = 0; i < sealing_keys_.size(); ++i) {
    // AES-GCM's tag fails under any other key.
    if (crypto::AesGcmDecrypt(sealing_keys_[i], sealed, secret)) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

absl::StatusOr<CredentialManager::ResealCount>
CredentialManager::ResealUnderCurrentKey() {
  auto sealed = store_->ListSealed();
  if (!sealed.ok()) return sealed.status();
  ResealCount count;
  for (const auto& [listener_uuid, blob] : *sealed) {
    std::string secret;
    int key = Open(blob, &secret);
    if (key < 0) {
      ++count.unopenable;
    } else if (key == 0) {
      ++count.current;
    } else {
      auto replaced = store_->ReplaceSealed(
          listener_uuid, blob, crypto::AesGcmEncrypt(sealing_keys_[0], secret));
      if (!replaced.ok()) return replaced.status();
      count.resealed += *replaced;
    }
  }
  return count;
}

}  // namespace sluice

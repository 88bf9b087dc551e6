#include "services/edge/credential_check.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "common/crypto/crypto.h"

namespace sluice::edge {
namespace {

Verdict CompareDigest(const std::string& presented, const std::string& digest) {
  if (presented.empty()) return Verdict::kMissing;
  return crypto::ConstantTimeEquals(crypto::Sha256(presented), digest)
             ? Verdict::kOk
             : Verdict::kInvalid;
}

// The value after `scheme` in an Authorization header ("Bearer abc" → "abc").
std::optional<std::string> AfterScheme(const std::optional<std::string>& header,
                                       const std::string& scheme) {
  if (!header) return std::nullopt;
  std::string value(absl::StripAsciiWhitespace(*header));
  if (scheme.empty()) return value;
  if (value.size() <= scheme.size() ||
      !absl::StartsWithIgnoreCase(value, scheme) ||
      value[scheme.size()] != ' ') {
    return std::nullopt;
  }
  return std::string(
      absl::StripAsciiWhitespace(value.substr(scheme.size() + 1)));
}

Verdict CheckHmac(const v1::Verifier& verifier, const PresentedCredentials& p) {
  const signatures::HmacPreset* preset =
      signatures::FindHmacPreset(verifier.config().preset());
  if (preset == nullptr || verifier.hmac_key().empty())
    return Verdict::kInvalid;
  return preset->verify(verifier.config(), verifier.hmac_key(), p);
}

}  // namespace

std::optional<std::pair<std::string, std::string>> ParseBasic(
    const std::optional<std::string>& header) {
  auto encoded = AfterScheme(header, "Basic");
  if (!encoded) return std::nullopt;
  std::string decoded;
  if (!crypto::Base64Decode(*encoded, &decoded)) return std::nullopt;
  size_t colon = decoded.find(':');
  if (colon == std::string::npos) return std::nullopt;
  return std::make_pair(decoded.substr(0, colon), decoded.substr(colon + 1));
}

Verdict CheckCredentials(const v1::Verifier& verifier,
                         const PresentedCredentials& presented) {
  const v1::AuthConfig& config = verifier.config();
  switch (config.method()) {
    case v1::AUTH_METHOD_NONE:
      return Verdict::kOk;
    case v1::AUTH_METHOD_TOKEN: {
      std::optional<std::string> token;
      switch (config.read_from()) {
        case v1::TOKEN_SOURCE_HEADER:
          token = presented.header(config.name());
          break;
        case v1::TOKEN_SOURCE_QUERY:
          token = presented.query(config.name());
          break;
        case v1::TOKEN_SOURCE_AUTHORIZATION:
          token =
              AfterScheme(presented.header("Authorization"), config.prefix());
          if (!token && presented.header("Authorization"))
            return Verdict::kInvalid;
          break;
        default:
          return Verdict::kInvalid;
      }
      if (!token) return Verdict::kMissing;
      return CompareDigest(*token, verifier.secret_sha256());
    }
    case v1::AUTH_METHOD_BASIC: {
      auto header = presented.header("Authorization");
      if (!header) return Verdict::kMissing;
      auto basic = ParseBasic(header);
      if (!basic) return Verdict::kInvalid;
      // A user-chosen password is decided after the KDF, together with the
      // user name (the caller compares it), so that a wrong name answers no
      // sooner than a wrong password.
      if (!verifier.password_kdf().empty()) return Verdict::kNeedsPassword;
      // Evaluate both parts so timing does not reveal which one was wrong.
      bool user_ok =
          crypto::ConstantTimeEquals(basic->first, config.username());
      Verdict password = CompareDigest(basic->second, verifier.secret_sha256());
      return user_ok && password == Verdict::kOk ? Verdict::kOk
                                                 : Verdict::kInvalid;
    }
    case v1::AUTH_METHOD_HMAC:
      return CheckHmac(verifier, presented);
    default:
      return Verdict::kInvalid;
  }
}

}  // namespace sluice::edge

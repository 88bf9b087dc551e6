#include "services/edge/credential_check.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "common/crypto/crypto.h"

namespace sluice::edge {
namespace {

Verdict CompareDigest(const std::string& presented, const std::string& digest) {
  if (presented.empty()) return Verdict::kMissing;
  return crypto::ConstantTimeEquals(crypto::Sha256(presented), digest) ? Verdict::kOk
                                                                       : Verdict::kInvalid;
}

// The value after `scheme` in an Authorization header ("Bearer abc" → "abc").
std::optional<std::string> AfterScheme(const std::optional<std::string>& header,
                                       const std::string& scheme) {
  if (!header) return std::nullopt;
  std::string value(absl::StripAsciiWhitespace(*header));
  if (scheme.empty()) return value;
  if (value.size() <= scheme.size() || !absl::StartsWithIgnoreCase(value, scheme) ||
      value[scheme.size()] != ' ') {
    return std::nullopt;
  }
  return std::string(absl::StripAsciiWhitespace(value.substr(scheme.size() + 1)));
}

}  // namespace

Verdict CheckCredentials(const v1::Verifier& verifier, const PresentedCredentials& presented) {
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
          token = AfterScheme(presented.header("Authorization"), config.prefix());
          if (!token && presented.header("Authorization")) return Verdict::kInvalid;
          break;
        default:
          return Verdict::kInvalid;
      }
      if (!token) return Verdict::kMissing;
      return CompareDigest(*token, verifier.secret_sha256());
    }
    case v1::AUTH_METHOD_BASIC: {
      auto encoded = AfterScheme(presented.header("Authorization"), "Basic");
      if (!encoded) {
        return presented.header("Authorization") ? Verdict::kInvalid : Verdict::kMissing;
      }
      std::string decoded;
      if (!crypto::Base64Decode(*encoded, &decoded)) return Verdict::kInvalid;
      size_t colon = decoded.find(':');
      if (colon == std::string::npos) return Verdict::kInvalid;
      // Evaluate both parts so timing does not reveal which one was wrong.
      bool user_ok = crypto::ConstantTimeEquals(decoded.substr(0, colon), config.username());
      Verdict password = CompareDigest(decoded.substr(colon + 1), verifier.secret_sha256());
      return user_ok && password == Verdict::kOk ? Verdict::kOk : Verdict::kInvalid;
    }
    default:
      return Verdict::kInvalid;
  }
}

}  // namespace sluice::edge

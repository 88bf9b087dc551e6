#include "services/edge/credential_check.h"

#include <cctype>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
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

// The non-blank items of a separated header value, trimmed.
std::vector<std::string> Items(const std::string& value, char separator) {
  std::vector<std::string> out;
  for (absl::string_view item :
       absl::StrSplit(value, separator, absl::SkipWhitespace())) {
    out.emplace_back(absl::StripAsciiWhitespace(item));
  }
  return out;
}

bool WithinTolerance(const std::string& timestamp, int64_t now, int tolerance) {
  int64_t t;
  if (!absl::SimpleAtoi(timestamp, &t)) return false;
  int64_t skew = now > t ? now - t : t - now;
  return skew <= (tolerance > 0 ? tolerance : 300);
}

Verdict CheckHmac(const v1::Verifier& verifier, const PresentedCredentials& p) {
  const v1::AuthConfig& c = verifier.config();
  const std::string& key = verifier.hmac_key();
  if (key.empty()) return Verdict::kInvalid;
  const std::string& preset = c.preset();
  if (preset == "github") {
    auto sig = p.header("X-Hub-Signature-256");
    if (!sig) return Verdict::kMissing;
    std::string expected =
        "sha256=" + crypto::HexEncode(crypto::Hmac("sha256", key, p.body));
    return crypto::ConstantTimeEquals(absl::AsciiStrToLower(*sig), expected)
               ? Verdict::kOk
               : Verdict::kInvalid;
  }
  if (preset == "shopify") {
    auto sig = p.header("X-Shopify-Hmac-Sha256");
    if (!sig) return Verdict::kMissing;
    std::string expected =
        crypto::Base64Encode(crypto::Hmac("sha256", key, p.body));
    return crypto::ConstantTimeEquals(
               std::string(absl::StripAsciiWhitespace(*sig)), expected)
               ? Verdict::kOk
               : Verdict::kInvalid;
  }
  if (preset == "stripe") {
    auto header = p.header("Stripe-Signature");
    if (!header) return Verdict::kMissing;
    std::string timestamp;
    std::vector<std::string> signatures;
    for (const std::string& item : Items(*header, ',')) {
      size_t eq = item.find('=');
      if (eq == std::string::npos) continue;
      std::string name = item.substr(0, eq);
      if (name == "t") timestamp = item.substr(eq + 1);
      if (name == "v1")
        signatures.push_back(absl::AsciiStrToLower(item.substr(eq + 1)));
    }
    if (timestamp.empty() || signatures.empty() ||
        !WithinTolerance(timestamp, p.now_seconds, c.tolerance_seconds())) {
      return Verdict::kInvalid;
    }
    std::string signed_payload = timestamp + "." + std::string(p.body);
    std::string expected =
        crypto::HexEncode(crypto::Hmac("sha256", key, signed_payload));
    bool ok = false;
    for (const std::string& s : signatures)
      ok |= crypto::ConstantTimeEquals(s, expected);
    return ok ? Verdict::kOk : Verdict::kInvalid;
  }
  if (preset == "standard-webhooks") {
    auto id = p.header("webhook-id");
    auto timestamp = p.header("webhook-timestamp");
    auto header = p.header("webhook-signature");
    if (!id || !timestamp || !header) return Verdict::kMissing;
    if (!WithinTolerance(*timestamp, p.now_seconds, c.tolerance_seconds()))
      return Verdict::kInvalid;
    std::string signed_payload =
        *id + "." + *timestamp + "." + std::string(p.body);
    std::string expected =
        crypto::Base64Encode(crypto::Hmac("sha256", key, signed_payload));
    bool ok = false;
    for (const std::string& s : Items(*header, ' ')) {
      if (s.rfind("v1,", 0) == 0)
        ok |= crypto::ConstantTimeEquals(s.substr(3), expected);
    }
    return ok ? Verdict::kOk : Verdict::kInvalid;
  }
  if (preset == "generic") {
    auto sig = p.header(c.header());
    if (!sig) return Verdict::kMissing;
    std::string value(absl::StripAsciiWhitespace(*sig));
    if (!c.prefix().empty()) {
      if (value.rfind(c.prefix(), 0) != 0) return Verdict::kInvalid;
      value = value.substr(c.prefix().size());
    }
    std::string mac = crypto::Hmac(
        c.algorithm().empty() ? "sha256" : c.algorithm(), key, p.body);
    if (c.encoding() == "base64") {
      return crypto::ConstantTimeEquals(value, crypto::Base64Encode(mac))
                 ? Verdict::kOk
                 : Verdict::kInvalid;
    }
    return crypto::ConstantTimeEquals(absl::AsciiStrToLower(value),
                                      crypto::HexEncode(mac))
               ? Verdict::kOk
               : Verdict::kInvalid;
  }
  return Verdict::kInvalid;
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
      // Evaluate both parts so timing does not reveal which one was wrong.
      bool user_ok =
          crypto::ConstantTimeEquals(basic->first, config.username());
      if (!verifier.password_kdf().empty()) {
        return user_ok ? Verdict::kNeedsPassword : Verdict::kInvalid;
      }
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

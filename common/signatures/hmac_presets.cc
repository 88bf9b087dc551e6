#include "common/signatures/hmac_presets.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/crypto/crypto.h"
#include "common/status/error_code.h"

namespace sluice::signatures {
namespace {

constexpr std::string_view kWhsecPrefix = "whsec_";

Verdict Matches(bool equal) { return equal ? Verdict::kOk : Verdict::kInvalid; }

// The non-blank items of a separated header value, trimmed.
std::vector<std::string> Items(const std::string& value, char separator) {
  std::vector<std::string> out;
  for (absl::string_view item :
       absl::StrSplit(value, separator, absl::SkipWhitespace())) {
    out.emplace_back(absl::StripAsciiWhitespace(item));
  }
  return out;
}

std::string Trimmed(const std::string& s) {
  return std::string(absl::StripAsciiWhitespace(s));
}

absl::Status NoSettings(v1::AuthConfig*) { return absl::OkStatus(); }

absl::Status TimestampSettings(v1::AuthConfig* config) {
  if (config->tolerance_seconds() <= 0) {
    config->set_tolerance_seconds(kDefaultToleranceSeconds);
  }
  return absl::OkStatus();
}

absl::Status GenericSettings(v1::AuthConfig* config) {
  if (config->header().empty()) {
    return InvalidArgumentError(
        "invalid_auth", "auth.header is required for the generic preset");
  }
  if (config->algorithm().empty()) config->set_algorithm("sha256");
  if (config->encoding().empty()) config->set_encoding("hex");
  if (config->algorithm() != "sha1" && config->algorithm() != "sha256" &&
      config->algorithm() != "sha512") {
    return InvalidArgumentError("invalid_auth",
                                "auth.algorithm must be sha1, sha256 or sha512");
  }
  if (config->encoding() != "hex" && config->encoding() != "base64") {
    return InvalidArgumentError("invalid_auth",
                                "auth.encoding must be hex or base64");
  }
  return absl::OkStatus();
}

bool RawKey(std::string_view secret, std::string* key) {
  key->assign(secret);
  return !key->empty();
}

bool WhsecKey(std::string_view secret, std::string* key) {
  if (secret.substr(0, kWhsecPrefix.size()) != kWhsecPrefix) return false;
  return crypto::Base64Decode(std::string(secret.substr(kWhsecPrefix.size())),
                              key) &&
         !key->empty();
}

std::string NewToken() { return crypto::NewToken(); }

std::string NewWhsec() {
  return std::string(kWhsecPrefix) +
         crypto::Base64Encode(crypto::RandomBytes(32));
}

std::string NewStripeSecret() {
  return std::string(kWhsecPrefix) +
         crypto::Base64UrlEncode(crypto::RandomBytes(32));
}

// GitHub: X-Hub-Signature-256: sha256=<hex of HMAC-SHA256(body)>.
Verdict VerifyGithub(const v1::AuthConfig&, const std::string& key,
                     const PresentedCredentials& p) {
  auto sig = p.header("X-Hub-Signature-256");
  if (!sig) return Verdict::kMissing;
  std::string expected =
      "sha256=" + crypto::HexEncode(crypto::Hmac("sha256", key, p.body));
  return Matches(
      crypto::ConstantTimeEquals(absl::AsciiStrToLower(Trimmed(*sig)), expected));
}

// Shopify: X-Shopify-Hmac-Sha256: <base64 of HMAC-SHA256(body)>.
Verdict VerifyShopify(const v1::AuthConfig&, const std::string& key,
                      const PresentedCredentials& p) {
  auto sig = p.header("X-Shopify-Hmac-Sha256");
  if (!sig) return Verdict::kMissing;
  return Matches(crypto::ConstantTimeEquals(
      Trimmed(*sig), crypto::Base64Encode(crypto::Hmac("sha256", key, p.body))));
}

// Stripe: Stripe-Signature: t=<unix>,v1=<hex of HMAC-SHA256("t.body")>[,v1=…].
Verdict VerifyStripe(const v1::AuthConfig& c, const std::string& key,
                     const PresentedCredentials& p) {
  auto header = p.header("Stripe-Signature");
  if (!header) return Verdict::kMissing;
  std::string timestamp;
  std::vector<std::string> signatures;
  for (const std::string& item : Items(*header, ',')) {
    size_t eq = item.find('=');
    if (eq == std::string::npos) continue;
    std::string name = item.substr(0, eq);
    if (name == "t") timestamp = item.substr(eq + 1);
    if (name == "v1") {
      signatures.push_back(absl::AsciiStrToLower(item.substr(eq + 1)));
    }
  }
  if (timestamp.empty() || signatures.empty() ||
      !WithinTolerance(timestamp, p.now_seconds, c.tolerance_seconds())) {
    return Verdict::kInvalid;
  }
  std::string expected = crypto::HexEncode(
      crypto::Hmac("sha256", key, timestamp + "." + std::string(p.body)));
  bool ok = false;
  for (const std::string& s : signatures) {
    ok |= crypto::ConstantTimeEquals(s, expected);
  }
  return Matches(ok);
}

// Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature:
// v1,<base64 of HMAC-SHA256("id.timestamp.body")> [v1,…].
Verdict VerifyStandardWebhooks(const v1::AuthConfig& c, const std::string& key,
                               const PresentedCredentials& p) {
  auto id = p.header("webhook-id");
  auto timestamp = p.header("webhook-timestamp");
  auto header = p.header("webhook-signature");
  if (!id || !timestamp || !header) return Verdict::kMissing;
  if (!WithinTolerance(*timestamp, p.now_seconds, c.tolerance_seconds())) {
    return Verdict::kInvalid;
  }
  std::string expected = crypto::Base64Encode(crypto::Hmac(
      "sha256", key, *id + "." + *timestamp + "." + std::string(p.body)));
  bool ok = false;
  for (const std::string& s : Items(*header, ' ')) {
    if (s.rfind("v1,", 0) == 0) {
      ok |= crypto::ConstantTimeEquals(s.substr(3), expected);
    }
  }
  return Matches(ok);
}

// Generic: <header>: [prefix]<hex|base64 of HMAC-<algorithm>(body)>.
Verdict VerifyGeneric(const v1::AuthConfig& c, const std::string& key,
                      const PresentedCredentials& p) {
  auto sig = p.header(c.header());
  if (!sig) return Verdict::kMissing;
  std::string value = Trimmed(*sig);
  if (!c.prefix().empty()) {
    if (value.rfind(c.prefix(), 0) != 0) return Verdict::kInvalid;
    value = value.substr(c.prefix().size());
  }
  std::string mac = crypto::Hmac(
      c.algorithm().empty() ? "sha256" : c.algorithm(), key, p.body);
  if (c.encoding() == "base64") {
    return Matches(crypto::ConstantTimeEquals(value, crypto::Base64Encode(mac)));
  }
  return Matches(crypto::ConstantTimeEquals(absl::AsciiStrToLower(value),
                                            crypto::HexEncode(mac)));
}

constexpr HmacPreset kPresets[] = {
    {"github", NoSettings, RawKey, NewToken, "1 to 512 characters",
     VerifyGithub, ""},
    {"stripe", TimestampSettings, RawKey, NewStripeSecret,
     "1 to 512 characters", VerifyStripe, ""},
    {"shopify", NoSettings, RawKey, NewToken, "1 to 512 characters",
     VerifyShopify, ""},
    {"standard-webhooks", TimestampSettings, WhsecKey, NewWhsec,
     "whsec_ followed by base64", VerifyStandardWebhooks, "webhook-id"},
    {"generic", GenericSettings, RawKey, NewToken, "1 to 512 characters",
     VerifyGeneric, ""},
};

}  // namespace

const HmacPreset* FindHmacPreset(std::string_view name) {
  for (const HmacPreset& preset : kPresets) {
    if (preset.name == name) return &preset;
  }
  return nullptr;
}

std::string HmacPresetNames() {
  std::vector<std::string> names;
  for (const HmacPreset& preset : kPresets) names.emplace_back(preset.name);
  return absl::StrJoin(names, ", ");
}

bool WithinTolerance(std::string_view timestamp, int64_t now, int tolerance) {
  int64_t t;
  if (!absl::SimpleAtoi(absl::string_view(timestamp.data(), timestamp.size()),
                        &t)) {
    return false;
  }
  const uint64_t window = tolerance > 0 ? tolerance : kDefaultToleranceSeconds;
  // |now - t|, computed in unsigned arithmetic: the true distance of any two
  // int64 values fits in a uint64, so nothing overflows.
  uint64_t distance = t < now ? static_cast<uint64_t>(now) - static_cast<uint64_t>(t)
                              : static_cast<uint64_t>(t) - static_cast<uint64_t>(now);
  return distance <= window;
}

}  // namespace sluice::signatures

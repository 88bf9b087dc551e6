#ifndef SLUICE_COMMON_SIGNATURES_HMAC_PRESETS_H_
#define SLUICE_COMMON_SIGNATURES_HMAC_PRESETS_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "sluice/v1/common.pb.h"

namespace sluice::signatures {

// What a request presents to be checked; lookups are case-insensitive for
// headers.
struct PresentedCredentials {
  std::function<std::optional<std::string>(const std::string&)> header;
  std::function<std::optional<std::string>(const std::string&)> query;
  // The raw body bytes as received (HMAC presets sign them).
  std::string_view body;
  // Unix seconds now, for signed timestamps.
  int64_t now_seconds = 0;
};

// kNeedsPassword: a basic listener with a user-chosen password; the
// password must go through the slow KDF.
enum class Verdict { kOk, kMissing, kInvalid, kNeedsPassword };

// Everything that differs between the senders whose webhook signatures a
// listener can check, one row per preset (the table is in hmac_presets.cc).
// Adding a preset means adding a row there and its test vectors to
// hmac_presets_test.cc; auth, the edge and the admin API look it up here.
struct HmacPreset {
  std::string_view name;
  // Checks the preset's settings in `config` and fills in its defaults
  // (tolerance, algorithm, encoding). INVALID_ARGUMENT `invalid_auth` naming
  // the setting.
  absl::Status (*normalize)(v1::AuthConfig* config);
  // The HMAC key bytes from the secret as the sender gives it (Standard
  // Webhooks: the base64 after "whsec_"); false when it is malformed.
  bool (*key_of)(std::string_view secret, std::string* key);
  // A new random secret in the sender's format.
  std::string (*new_secret)();
  // What a valid secret looks like, for error messages.
  std::string_view secret_format;
  // Checks the request's signature headers against `key` in constant time.
  // kMissing without them; kInvalid when wrong or when a signed timestamp is
  // outside the tolerance.
  Verdict (*verify)(const v1::AuthConfig& config, const std::string& key,
                    const PresentedCredentials& presented);
  // A header carrying the sender's delivery id, which then serves as the
  // idempotency key; empty when the preset has none.
  std::string_view delivery_id_header;
};

// The preset named `name` (lowercase), or nullptr.
const HmacPreset* FindHmacPreset(std::string_view name);

// "github, stripe, shopify, standard-webhooks, generic".
std::string HmacPresetNames();

// Signed timestamps are accepted this many seconds either way by default.
inline constexpr int kDefaultToleranceSeconds = 300;

// True when the Unix-seconds `timestamp` text is within `tolerance` seconds
// of `now`, in either direction. Overflow-safe for any input.
bool WithinTolerance(std::string_view timestamp, int64_t now, int tolerance);

}  // namespace sluice::signatures

#endif  // SLUICE_COMMON_SIGNATURES_HMAC_PRESETS_H_

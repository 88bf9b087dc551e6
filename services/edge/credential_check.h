#ifndef SLUICE_SERVICES_EDGE_CREDENTIAL_CHECK_H_
#define SLUICE_SERVICES_EDGE_CREDENTIAL_CHECK_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "sluice/v1/auth.pb.h"

namespace sluice::edge {

// kNeedsPassword: a basic listener with a user-chosen password; the
// password must go through the slow KDF (see PasswordChecker).
enum class Verdict { kOk, kMissing, kInvalid, kNeedsPassword };

// What a request presents; lookups are case-insensitive for headers.
struct PresentedCredentials {
  std::function<std::optional<std::string>(const std::string&)> header;
  std::function<std::optional<std::string>(const std::string&)> query;
  // The raw body bytes as received (HMAC presets sign them).
  std::string_view body;
  // Unix seconds now, for signed timestamps.
  int64_t now_seconds = 0;
};

// Checks a request against a listener's verifier, with no backend call:
// tokens and generated passwords are compared by SHA-256 digest, HMAC
// signatures recomputed over the raw body; all comparisons constant time.
// kMissing when the credential is absent, kInvalid when it is wrong
// (including a signed timestamp outside the tolerance).
Verdict CheckCredentials(const v1::Verifier& verifier,
                         const PresentedCredentials& presented);

// The user name and password of a Basic Authorization header.
std::optional<std::pair<std::string, std::string>> ParseBasic(
    const std::optional<std::string>& header);

}  // namespace sluice::edge

#endif  // SLUICE_SERVICES_EDGE_CREDENTIAL_CHECK_H_

#ifndef SLUICE_SERVICES_EDGE_CREDENTIAL_CHECK_H_
#define SLUICE_SERVICES_EDGE_CREDENTIAL_CHECK_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/signatures/hmac_presets.h"
#include "sluice/v1/auth.pb.h"

namespace sluice::edge {

using signatures::PresentedCredentials;
using signatures::Verdict;

// Checks a request against a listener's verifier, with no backend call:
// tokens and generated passwords are compared by SHA-256 digest, HMAC
// signatures recomputed over the raw body by their preset; all comparisons
// constant time.
// kMissing when the credential is absent, kInvalid when it is wrong
// (including a signed timestamp outside the tolerance).
Verdict CheckCredentials(const v1::Verifier& verifier,
                         const PresentedCredentials& presented);

// The user name and password of a Basic Authorization header.
std::optional<std::pair<std::string, std::string>> ParseBasic(
    const std::optional<std::string>& header);

}  // namespace sluice::edge

#endif  // SLUICE_SERVICES_EDGE_CREDENTIAL_CHECK_H_

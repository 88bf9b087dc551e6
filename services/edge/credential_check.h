#ifndef SLUICE_SERVICES_EDGE_CREDENTIAL_CHECK_H_
#define SLUICE_SERVICES_EDGE_CREDENTIAL_CHECK_H_

#include <functional>
#include <optional>
#include <string>

#include "sluice/v1/auth.pb.h"

namespace sluice::edge {

enum class Verdict { kOk, kMissing, kInvalid };

// What a request presents; lookups are case-insensitive for headers.
struct PresentedCredentials {
  std::function<std::optional<std::string>(const std::string&)> header;
  std::function<std::optional<std::string>(const std::string&)> query;
};

// Checks a request against a listener's verifier, with no backend call:
// tokens and generated passwords are compared by SHA-256 digest in constant
// time. kMissing when the credential is absent, kInvalid when it is wrong.
Verdict CheckCredentials(const v1::Verifier& verifier, const PresentedCredentials& presented);

}  // namespace sluice::edge

#endif  // SLUICE_SERVICES_EDGE_CREDENTIAL_CHECK_H_

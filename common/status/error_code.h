#ifndef SLUICE_COMMON_STATUS_ERROR_CODE_H_
#define SLUICE_COMMON_STATUS_ERROR_CODE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace sluice {

// A Status may carry the API error code (the "code" of the JSON error body)
// as a payload, so it survives being passed between layers and services.
inline constexpr absl::string_view kErrorCodePayload = "sluice.v1/error_code";

// Returns `status` with `code` attached as its API error code.
absl::Status WithErrorCode(absl::Status status, absl::string_view code);

// The API error code attached to `status`, or "" when none is.
std::string ErrorCodeOf(const absl::Status& status);

// Shorthands for the common error shapes.
absl::Status InvalidArgumentError(absl::string_view code,
                                  absl::string_view message);

}  // namespace sluice

#endif  // SLUICE_COMMON_STATUS_ERROR_CODE_H_

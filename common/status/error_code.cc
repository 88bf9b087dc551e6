#include "common/status/error_code.h"

#include "absl/strings/cord.h"

namespace sluice {

absl::Status WithErrorCode(absl::Status status, absl::string_view code) {
  status.SetPayload(kErrorCodePayload, absl::Cord(std::string(code)));
  return status;
}

std::string ErrorCodeOf(const absl::Status& status) {
  auto payload = status.GetPayload(kErrorCodePayload);
  return payload ? std::string(*payload) : std::string();
}

absl::Status InvalidArgumentError(absl::string_view code,
                                  absl::string_view message) {
  return WithErrorCode(absl::InvalidArgumentError(message), code);
}

}  // namespace sluice

#include "common/status/grpc_status.h"

#include "common/status/error_code.h"

namespace sluice {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()), ErrorCodeOf(status));
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  absl::Status result(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
  // Transport failures have no API code and are reported as unavailable.
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
      status.error_code() == grpc::StatusCode::CANCELLED) {
    result = absl::UnavailableError("backend did not answer in time");
  }
  if (!status.error_details().empty()) {
    result = WithErrorCode(result, status.error_details());
  } else if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED &&
             status.error_message().find("larger than max") !=
                 std::string::npos) {
    // gRPC refused a message over its size limit: the request is too large,
    // and sending it again will not help.
    result = WithErrorCode(
        absl::ResourceExhaustedError("the request is too large to process"),
        "request_too_large");
  }
  return result;
}

}  // namespace sluice

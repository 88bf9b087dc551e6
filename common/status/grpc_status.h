#ifndef SLUICE_COMMON_STATUS_GRPC_STATUS_H_
#define SLUICE_COMMON_STATUS_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace sluice {

// The one place where absl::Status and grpc::Status are converted. The API
// error code payload travels in the gRPC error details string.
grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

// Moves an OK value into `response`, or returns the error: the tail of
// every gRPC adapter method.
template <typename T>
grpc::Status ReplyWith(absl::StatusOr<T> result, T* response) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = std::move(result).value();
  return grpc::Status::OK;
}

}  // namespace sluice

#endif  // SLUICE_COMMON_STATUS_GRPC_STATUS_H_

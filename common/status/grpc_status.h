#ifndef SLUICE_COMMON_STATUS_GRPC_STATUS_H_
#define SLUICE_COMMON_STATUS_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace sluice {

// The one place where absl::Status and grpc::Status are converted. The API
// error code payload travels in the gRPC error details string.
grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace sluice

#endif  // SLUICE_COMMON_STATUS_GRPC_STATUS_H_

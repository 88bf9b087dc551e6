#include "services/auth/auth_service.h"

#include "common/status/grpc_status.h"

namespace sluice {
namespace {

// Copies an OK value into the response, or returns the error.
template <typename T>
grpc::Status Reply(absl::StatusOr<T> result, T* response) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = std::move(result).value();
  return grpc::Status::OK;
}

}  // namespace

grpc::ServerUnaryReactor* AuthServiceImpl::SetCredential(grpc::CallbackServerContext* context,
                                                         const v1::SetCredentialRequest* request,
                                                         v1::SetCredentialResponse* response) {
  return executor_->Offload(context, [=] { return Reply(manager_->Set(*request), response); });
}

grpc::ServerUnaryReactor* AuthServiceImpl::RotateCredential(
    grpc::CallbackServerContext* context, const v1::RotateCredentialRequest* request,
    v1::SetCredentialResponse* response) {
  return executor_->Offload(
      context, [=] { return Reply(manager_->Rotate(request->listener_uuid()), response); });
}

grpc::ServerUnaryReactor* AuthServiceImpl::DeleteCredential(
    grpc::CallbackServerContext* context, const v1::DeleteCredentialRequest* request,
    v1::DeleteCredentialResponse*) {
  return executor_->Offload(
      context, [=] { return ToGrpcStatus(manager_->Delete(request->listener_uuid())); });
}

grpc::ServerUnaryReactor* AuthServiceImpl::GetVerifier(grpc::CallbackServerContext* context,
                                                       const v1::GetVerifierRequest* request,
                                                       v1::Verifier* response) {
  return executor_->Offload(
      context, [=] { return Reply(manager_->GetVerifier(request->listener_uuid()), response); });
}

}  // namespace sluice

#include "services/auth/auth_service.h"

#include "common/status/grpc_status.h"

namespace sluice {
grpc::ServerUnaryReactor* AuthServiceImpl::SetCredential(
    grpc::CallbackServerContext* context,
    const v1::SetCredentialRequest* request,
    v1::SetCredentialResponse* response) {
  return executor_->Offload(
      context, [=] { return ReplyWith(manager_->Set(*request), response); });
}

grpc::ServerUnaryReactor* AuthServiceImpl::RotateCredential(
    grpc::CallbackServerContext* context,
    const v1::RotateCredentialRequest* request,
    v1::SetCredentialResponse* response) {
  return executor_->Offload(context, [=] {
    return ReplyWith(manager_->Rotate(request->listener_uuid()), response);
  });
}

grpc::ServerUnaryReactor* AuthServiceImpl::DeleteCredential(
    grpc::CallbackServerContext* context,
    const v1::DeleteCredentialRequest* request, v1::DeleteCredentialResponse*) {
  return executor_->Offload(context, [=] {
    return ToGrpcStatus(manager_->Delete(request->listener_uuid()));
  });
}

grpc::ServerUnaryReactor* AuthServiceImpl::GetVerifier(
    grpc::CallbackServerContext* context, const v1::GetVerifierRequest* request,
    v1::Verifier* response) {
  return executor_->Offload(context, [=] {
    return ReplyWith(manager_->GetVerifier(request->listener_uuid()), response);
  });
}

}  // namespace sluice

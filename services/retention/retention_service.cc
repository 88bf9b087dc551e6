#include "services/retention/retention_service.h"

#include "common/status/grpc_status.h"

namespace sluice {

grpc::ServerUnaryReactor* RetentionServiceImpl::SetPolicy(
    grpc::CallbackServerContext* context, const v1::SetPolicyRequest* request,
    v1::SetPolicyResponse*) {
  return executor_->Offload(context, [=] {
    return ToGrpcStatus(manager_->SetPolicy(request->listener_uuid(),
                                            request->retention_seconds()));
  });
}

grpc::ServerUnaryReactor* RetentionServiceImpl::DeletePolicy(
    grpc::CallbackServerContext* context,
    const v1::DeletePolicyRequest* request, v1::DeletePolicyResponse*) {
  return executor_->Offload(context, [=] {
    return ToGrpcStatus(manager_->DeletePolicy(request->listener_uuid()));
  });
}

grpc::ServerUnaryReactor* RetentionServiceImpl::RunNow(
    grpc::CallbackServerContext* context, const v1::RunNowRequest* request,
    v1::RunNowResponse* response) {
  return executor_->Offload(context, [=] {
    auto deleted = manager_->RunNow(request->listener_uuid());
    if (!deleted.ok()) return ToGrpcStatus(deleted.status());
    response->set_deleted(*deleted);
    return grpc::Status::OK;
  });
}

}  // namespace sluice

#ifndef SLUICE_SERVICES_RETENTION_RETENTION_SERVICE_H_
#define SLUICE_SERVICES_RETENTION_RETENTION_SERVICE_H_

#include "common/rpc/rpc.h"
#include "services/retention/retention_manager.h"
#include "sluice/v1/retention.grpc.pb.h"

namespace sluice {

// gRPC adapter of RetentionManager; blocking work runs on `executor`.
class RetentionServiceImpl final
    : public v1::RetentionService::CallbackService {
 public:
  RetentionServiceImpl(RetentionManager* manager, BlockingExecutor* executor)
      : manager_(manager), executor_(executor) {}

  grpc::ServerUnaryReactor* SetPolicy(grpc::CallbackServerContext* context,
                                      const v1::SetPolicyRequest* request,
                                      v1::SetPolicyResponse* response) override;
  grpc::ServerUnaryReactor* DeletePolicy(
      grpc::CallbackServerContext* context,
      const v1::DeletePolicyRequest* request,
      v1::DeletePolicyResponse* response) override;
  grpc::ServerUnaryReactor* RunNow(grpc::CallbackServerContext* context,
                                   const v1::RunNowRequest* request,
                                   v1::RunNowResponse* response) override;

 private:
  RetentionManager* manager_;
  BlockingExecutor* executor_;
};

}  // namespace sluice

#endif  // SLUICE_SERVICES_RETENTION_RETENTION_SERVICE_H_

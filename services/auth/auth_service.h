#ifndef SLUICE_SERVICES_AUTH_AUTH_SERVICE_H_
#define SLUICE_SERVICES_AUTH_AUTH_SERVICE_H_

#include "common/rpc/rpc.h"
#include "services/auth/credential_manager.h"
#include "sluice/v1/auth.grpc.pb.h"

namespace sluice {

// gRPC adapter of CredentialManager; blocking work runs on `executor`.
class AuthServiceImpl final : public v1::AuthService::CallbackService {
 public:
  AuthServiceImpl(CredentialManager* manager, BlockingExecutor* executor)
      : manager_(manager), executor_(executor) {}

  grpc::ServerUnaryReactor* SetCredential(
      grpc::CallbackServerContext* context,
      const v1::SetCredentialRequest* request,
      v1::SetCredentialResponse* response) override;
  grpc::ServerUnaryReactor* RotateCredential(
      grpc::CallbackServerContext* context,
      const v1::RotateCredentialRequest* request,
      v1::SetCredentialResponse* response) override;
  grpc::ServerUnaryReactor* DeleteCredential(
      grpc::CallbackServerContext* context,
      const v1::DeleteCredentialRequest* request,
      v1::DeleteCredentialResponse* response) override;
  grpc::ServerUnaryReactor* GetVerifier(grpc::CallbackServerContext* context,
                                        const v1::GetVerifierRequest* request,
                                        v1::Verifier* response) override;

 private:
  CredentialManager* manager_;
  BlockingExecutor* executor_;
};

}  // namespace sluice

#endif  // SLUICE_SERVICES_AUTH_AUTH_SERVICE_H_

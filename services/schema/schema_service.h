#ifndef SLUICE_SERVICES_SCHEMA_SCHEMA_SERVICE_H_
#define SLUICE_SERVICES_SCHEMA_SCHEMA_SERVICE_H_

#include "common/rpc/rpc.h"
#include "services/schema/schema_manager.h"
#include "sluice/v1/schema.grpc.pb.h"

namespace sluice {

// gRPC adapter of SchemaManager; blocking work runs on `executor`.
class SchemaServiceImpl final : public v1::SchemaService::CallbackService {
 public:
  SchemaServiceImpl(SchemaManager* manager, BlockingExecutor* executor)
      : manager_(manager), executor_(executor) {}

  grpc::ServerUnaryReactor* CreateIntegration(
      grpc::CallbackServerContext* context,
      const v1::CreateIntegrationRequest* request,
      v1::Integration* response) override;
  grpc::ServerUnaryReactor* ListIntegrations(
      grpc::CallbackServerContext* context,
      const v1::ListIntegrationsRequest* request,
      v1::ListIntegrationsResponse* response) override;
  grpc::ServerUnaryReactor* GetIntegration(
      grpc::CallbackServerContext* context,
      const v1::GetIntegrationRequest* request,
      v1::Integration* response) override;
  grpc::ServerUnaryReactor* DeleteIntegration(
      grpc::CallbackServerContext* context,
      const v1::DeleteIntegrationRequest* request,
      v1::DeleteIntegrationResponse* response) override;
  grpc::ServerUnaryReactor* CreateListener(
      grpc::CallbackServerContext* context,
      const v1::CreateListenerRequest* request,
      v1::CreateListenerResponse* response) override;
  grpc::ServerUnaryReactor* GetListener(grpc::CallbackServerContext* context,
                                        const v1::GetListenerRequest* request,
                                        v1::Listener* response) override;
  grpc::ServerUnaryReactor* ListListeners(
      grpc::CallbackServerContext* context,
      const v1::ListListenersRequest* request,
      v1::ListListenersResponse* response) override;
  grpc::ServerUnaryReactor* DeleteListener(
      grpc::CallbackServerContext* context,
      const v1::DeleteListenerRequest* request,
      v1::DeleteListenerResponse* response) override;
  grpc::ServerUnaryReactor* UpdateListener(
      grpc::CallbackServerContext* context,
      const v1::UpdateListenerRequest* request,
      v1::CreateListenerResponse* response) override;
  grpc::ServerUnaryReactor* RotateSecret(
      grpc::CallbackServerContext* context,
      const v1::RotateSecretRequest* request,
      v1::RotateSecretResponse* response) override;
  grpc::ServerUnaryReactor* GetListenerIndex(
      grpc::CallbackServerContext* context,
      const v1::GetListenerIndexRequest* request,
      v1::ListenerIndex* response) override;
  grpc::ServerUnaryReactor* GenerateTables(
      grpc::CallbackServerContext* context,
      const v1::GenerateTablesRequest* request,
      v1::GenerateTablesResponse* response) override;

 private:
  SchemaManager* manager_;
  BlockingExecutor* executor_;
};

}  // namespace sluice

#endif  // SLUICE_SERVICES_SCHEMA_SCHEMA_SERVICE_H_

#include "services/schema/schema_service.h"

#include "common/status/grpc_status.h"

namespace sluice {
grpc::ServerUnaryReactor* SchemaServiceImpl::CreateIntegration(
    grpc::CallbackServerContext* context,
    const v1::CreateIntegrationRequest* request, v1::Integration* response) {
  return executor_->Offload(context, [=] {
    return ReplyWith(manager_->CreateIntegration(request->name()), response);
  });
}

grpc::ServerUnaryReactor* SchemaServiceImpl::ListIntegrations(
    grpc::CallbackServerContext* context, const v1::ListIntegrationsRequest*,
    v1::ListIntegrationsResponse* response) {
  return executor_->Offload(context, [=] {
    auto list = manager_->ListIntegrations();
    if (!list.ok()) return ToGrpcStatus(list.status());
    for (auto& i : *list) *response->add_integrations() = std::move(i);
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* SchemaServiceImpl::GetIntegration(
    grpc::CallbackServerContext* context,
    const v1::GetIntegrationRequest* request, v1::Integration* response) {
  return executor_->Offload(context, [=] {
    return ReplyWith(manager_->GetIntegration(request->uuid()), response);
  });
}

grpc::ServerUnaryReactor* SchemaServiceImpl::DeleteIntegration(
    grpc::CallbackServerContext* context,
    const v1::DeleteIntegrationRequest* request,
    v1::DeleteIntegrationResponse*) {
  return executor_->Offload(context, [=] {
    return ToGrpcStatus(manager_->DeleteIntegration(request->uuid()));
  });
}

grpc::ServerUnaryReactor* SchemaServiceImpl::CreateListener(
    grpc::CallbackServerContext* context,
    const v1::CreateListenerRequest* request,
    v1::CreateListenerResponse* response) {
  return executor_->Offload(context, [=] {
    return ReplyWith(manager_->CreateListener(*request), response);
  });
}

grpc::ServerUnaryReactor* SchemaServiceImpl::GetListener(
    grpc::CallbackServerContext* context, const v1::GetListenerRequest* request,
    v1::Listener* response) {
  return executor_->Offload(context, [=] {
    return ReplyWith(manager_->GetListener(request->integration_uuid(),
                                           request->listener_uuid()),
                     response);
  });
}

grpc::ServerUnaryReactor* SchemaServiceImpl::ListListeners(
    grpc::CallbackServerContext* context,
    const v1::ListListenersRequest* request,
    v1::ListListenersResponse* response) {
  return executor_->Offload(context, [=] {
    auto list = manager_->ListListeners(request->integration_uuid());
    if (!list.ok()) return ToGrpcStatus(list.status());
    for (auto& l : *list) *response->add_listeners() = std::move(l);
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* SchemaServiceImpl::DeleteListener(
    grpc::CallbackServerContext* context,
    const v1::DeleteListenerRequest* request, v1::DeleteListenerResponse*) {
  return executor_->Offload(context, [=] {
    return ToGrpcStatus(manager_->DeleteListener(request->integration_uuid(),
                                                 request->listener_uuid()));
  });
}

grpc::ServerUnaryReactor* SchemaServiceImpl::UpdateListener(
    grpc::CallbackServerContext* context,
    const v1::UpdateListenerRequest* request,
    v1::CreateListenerResponse* response) {
  return executor_->Offload(context, [=] {
    return ReplyWith(manager_->UpdateListener(*request), response);
  });
}

grpc::ServerUnaryReactor* SchemaServiceImpl::RotateSecret(
    grpc::CallbackServerContext* context,
    const v1::RotateSecretRequest* request,
    v1::RotateSecretResponse* response) {
  return executor_->Offload(context, [=] {
    return ReplyWith(manager_->RotateSecret(request->integration_uuid(),
                                            request->listener_uuid()),
                     response);
  });
}

grpc::ServerUnaryReactor* SchemaServiceImpl::GetListenerIndex(
    grpc::CallbackServerContext* context,
    const v1::GetListenerIndexRequest* request, v1::ListenerIndex* response) {
  return executor_->Offload(context, [=] {
    return ReplyWith(manager_->ListenerIndex(request->known_digest()),
                     response);
  });
}

grpc::ServerUnaryReactor* SchemaServiceImpl::GenerateTables(
    grpc::CallbackServerContext* context,
    const v1::GenerateTablesRequest* request,
    v1::GenerateTablesResponse* response) {
  return executor_->Offload(context, [=] {
    return ReplyWith(manager_->GenerateTables(request->structure()), response);
  });
}

}  // namespace sluice

#include "services/storage/storage_service.h"

#include "common/status/grpc_status.h"

namespace sluice {
namespace {

std::vector<v1::Value> KeyOf(
    const google::protobuf::RepeatedPtrField<v1::Value>& key) {
  return std::vector<v1::Value>(key.begin(), key.end());
}

}  // namespace

grpc::ServerUnaryReactor* StorageServiceImpl::CreateTables(
    grpc::CallbackServerContext* context,
    const v1::CreateTablesRequest* request,
    v1::CreateTablesResponse* response) {
  return executor_->Offload(context, [=] {
    std::vector<v1::Table> tables(request->tables().begin(),
                                  request->tables().end());
    auto ddl = store_->CreateTables(request->listener_uuid(), tables);
    if (!ddl.ok()) return ToGrpcStatus(ddl.status());
    for (auto& statement : *ddl) response->add_ddl(std::move(statement));
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* StorageServiceImpl::DropTables(
    grpc::CallbackServerContext* context, const v1::DropTablesRequest* request,
    v1::DropTablesResponse*) {
  return executor_->Offload(context, [=] {
    return ToGrpcStatus(store_->DropTables(request->listener_uuid()));
  });
}

grpc::ServerUnaryReactor* StorageServiceImpl::Write(
    grpc::CallbackServerContext* context, const v1::WriteRequest* request,
    v1::WriteResponse* response) {
  return executor_->OffloadOrShed(context, [=] {
    auto written = store_->Write(*request, context->deadline());
    if (!written.ok()) return ToGrpcStatus(written.status());
    *response = std::move(*written);
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* StorageServiceImpl::Delete(
    grpc::CallbackServerContext* context, const v1::DeleteRequest* request,
    v1::DeleteResponse* response) {
  return executor_->OffloadOrShed(context, [=] {
    auto deleted = store_->Delete(request->listener_uuid(),
                                  KeyOf(request->key()), context->deadline());
    if (!deleted.ok()) return ToGrpcStatus(deleted.status());
    response->set_deleted(*deleted);
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* StorageServiceImpl::GetRecord(
    grpc::CallbackServerContext* context, const v1::GetRecordRequest* request,
    v1::RecordJson* response) {
  return executor_->Offload(context, [=] {
    auto json =
        store_->GetRecord(request->listener_uuid(), KeyOf(request->key()));
    if (!json.ok()) return ToGrpcStatus(json.status());
    response->set_json(std::move(*json));
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* StorageServiceImpl::ListRecords(
    grpc::CallbackServerContext* context, const v1::ListRecordsRequest* request,
    v1::ListRecordsResponse* response) {
  return executor_->Offload(context, [=] {
    auto page = store_->ListRecords(*request);
    if (!page.ok()) return ToGrpcStatus(page.status());
    *response = std::move(*page);
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* StorageServiceImpl::Purge(
    grpc::CallbackServerContext* context, const v1::PurgeRequest* request,
    v1::PurgeResponse* response) {
  return executor_->Offload(context, [=] {
    int64_t cutoff = request->cutoff().seconds() * 1000000 +
                     request->cutoff().nanos() / 1000;
    auto deleted =
        store_->Purge(request->listener_uuid(), cutoff, request->batch_size());
    if (!deleted.ok()) return ToGrpcStatus(deleted.status());
    response->set_deleted(*deleted);
    return grpc::Status::OK;
  });
}

}  // namespace sluice

#ifndef SLUICE_SERVICES_STORAGE_STORAGE_SERVICE_H_
#define SLUICE_SERVICES_STORAGE_STORAGE_SERVICE_H_

#include "common/rpc/rpc.h"
#include "services/storage/data_store.h"
#include "sluice/v1/storage.grpc.pb.h"

namespace sluice {

// gRPC adapter of DataStore; blocking work runs on `executor`.
class StorageServiceImpl final : public v1::StorageService::CallbackService {
 public:
  StorageServiceImpl(DataStore* store, BlockingExecutor* executor)
      : store_(store), executor_(executor) {}

  grpc::ServerUnaryReactor* CreateTables(
      grpc::CallbackServerContext* context,
      const v1::CreateTablesRequest* request,
      v1::CreateTablesResponse* response) override;
  grpc::ServerUnaryReactor* DropTables(
      grpc::CallbackServerContext* context,
      const v1::DropTablesRequest* request,
      v1::DropTablesResponse* response) override;
  grpc::ServerUnaryReactor* Write(grpc::CallbackServerContext* context,
                                  const v1::WriteRequest* request,
                                  v1::WriteResponse* response) override;
  grpc::ServerUnaryReactor* Delete(grpc::CallbackServerContext* context,
                                   const v1::DeleteRequest* request,
                                   v1::DeleteResponse* response) override;
  grpc::ServerUnaryReactor* GetRecord(grpc::CallbackServerContext* context,
                                      const v1::GetRecordRequest* request,
                                      v1::RecordJson* response) override;
  grpc::ServerUnaryReactor* ListRecords(
      grpc::CallbackServerContext* context,
      const v1::ListRecordsRequest* request,
      v1::ListRecordsResponse* response) override;
  grpc::ServerUnaryReactor* Purge(grpc::CallbackServerContext* context,
                                  const v1::PurgeRequest* request,
                                  v1::PurgeResponse* response) override;

 private:
  DataStore* store_;
  BlockingExecutor* executor_;
};

}  // namespace sluice

#endif  // SLUICE_SERVICES_STORAGE_STORAGE_SERVICE_H_

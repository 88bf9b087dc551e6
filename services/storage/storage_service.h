#ifndef SLUICE_SERVICES_STORAGE_STORAGE_SERVICE_H_
#define SLUICE_SERVICES_STORAGE_STORAGE_SERVICE_H_

#include "common/rpc/rpc.h"
#include "common/ops/listener_metrics.h"
#include "services/storage/data_store.h"
#include "services/storage/log_store.h"
#include "sluice/v1/storage.grpc.pb.h"

namespace sluice {

// gRPC adapter of DataStore; blocking work runs on `executor`.
class StorageServiceImpl final : public v1::StorageService::CallbackService {
 public:
  // `listener_metrics` may be null.
  StorageServiceImpl(DataStore* store, LogStore* logs,
                     BlockingExecutor* executor,
                     ListenerMetrics* listener_metrics = nullptr)
      : store_(store),
        logs_(logs),
        executor_(executor),
        listener_metrics_(listener_metrics) {}

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
  grpc::ServerUnaryReactor* WriteMany(grpc::CallbackServerContext* context,
                                      const v1::WriteManyRequest* request,
                                      v1::WriteManyResponse* response) override;
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
  grpc::ServerUnaryReactor* AppendLogs(grpc::CallbackServerContext* context,
                                       const v1::AppendLogsRequest* request,
                                       v1::AppendLogsResponse* response) override;
  grpc::ServerUnaryReactor* ListLogs(grpc::CallbackServerContext* context,
                                     const v1::ListLogsRequest* request,
                                     v1::ListLogsResponse* response) override;
  grpc::ServerUnaryReactor* GetLog(grpc::CallbackServerContext* context,
                                   const v1::GetLogRequest* request,
                                   v1::LogEntry* response) override;

 private:
  // A write's status as one outcome of a WriteMany.
  static void SetOutcome(v1::WriteOutcome* outcome, const grpc::Status& status);
  // Counts a Write's outcome and fills `response`; the call's status.
  grpc::Status Written(const v1::WriteRequest& request,
                       absl::StatusOr<v1::WriteResponse> written,
                       v1::WriteResponse* response,
                       std::chrono::steady_clock::time_point start);
  // Counts one Write or Delete of a listener.
  void Count(const std::string& listener, const grpc::Status& status,
             int64_t records, int64_t bytes,
             std::chrono::steady_clock::time_point start);

  DataStore* store_;
  LogStore* logs_;
  BlockingExecutor* executor_;
  ListenerMetrics* listener_metrics_;
};

}  // namespace sluice

#endif  // SLUICE_SERVICES_STORAGE_STORAGE_SERVICE_H_

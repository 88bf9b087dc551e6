#include "services/storage/storage_service.h"

#include <atomic>
#include <memory>
#include <vector>

#include "common/status/grpc_status.h"

namespace sluice {
namespace {

std::vector<v1::Value> KeyOf(
    const google::protobuf::RepeatedPtrField<v1::Value>& key) {
  return std::vector<v1::Value>(key.begin(), key.end());
}

}  // namespace

void StorageServiceImpl::Count(const std::string& listener,
                               const grpc::Status& status, int64_t records,
                               int64_t bytes,
                               std::chrono::steady_clock::time_point start) {
  if (listener_metrics_ == nullptr) return;
  ListenerMetrics::Sample sample;
  sample.code = std::to_string(static_cast<int>(status.error_code()));
  sample.records = records;
  sample.bytes = bytes;
  sample.seconds = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - start)
                       .count();
  listener_metrics_->Record(listener, sample);
}

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
    absl::Status dropped = store_->DropTables(request->listener_uuid());
    if (!dropped.ok()) return ToGrpcStatus(dropped);
    return ToGrpcStatus(logs_->DeleteListener(request->listener_uuid()));
  });
}

grpc::ServerUnaryReactor* StorageServiceImpl::Write(
    grpc::CallbackServerContext* context, const v1::WriteRequest* request,
    v1::WriteResponse* response) {
  const auto start = std::chrono::steady_clock::now();
  auto tables = store_->CachedTables(request->listener_uuid());
  if (tables == nullptr) {
    // The first write of a listener reads its tables from the catalog:
    // blocking work, off the gRPC thread.
    return executor_->OffloadOrShed(context, [=] {
      return Written(*request, store_->Write(*request, context->deadline()),
                     response, start);
    });
  }
  // The common case never blocks this thread: the write joins the next
  // group and the committer finishes the call after its commit.
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  store_->writer().WriteAsync(
      *request, std::move(tables), context->deadline(),
      [this, reactor, request, response,
       start](absl::StatusOr<v1::WriteResponse> outcome) {
        reactor->Finish(Written(*request, std::move(outcome), response, start));
      });
  return reactor;
}

grpc::ServerUnaryReactor* StorageServiceImpl::WriteMany(
    grpc::CallbackServerContext* context, const v1::WriteManyRequest* request,
    v1::WriteManyResponse* response) {
  const auto start = std::chrono::steady_clock::now();
  const int n = request->writes_size();
  std::vector<std::shared_ptr<const ListenerTables>> tables(n);
  bool all_cached = true;
  for (int i = 0; i < n; ++i) {
    response->add_outcomes();
    tables[i] = store_->CachedTables(request->writes(i).listener_uuid());
    all_cached = all_cached && tables[i] != nullptr;
  }
  if (!all_cached) {
    // Some listener's tables are read from the catalog first: blocking
    // work, off the gRPC thread, one write after another.
    return executor_->OffloadOrShed(context, [=] {
      for (int i = 0; i < n; ++i) {
        const v1::WriteRequest& write = request->writes(i);
        v1::WriteOutcome* outcome = response->mutable_outcomes(i);
        SetOutcome(outcome,
                   Written(write, store_->Write(write, context->deadline()),
                           outcome->mutable_response(), start));
      }
      return grpc::Status::OK;
    });
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  // The call finishes when the last of its writes has its outcome (the
  // extra count is this loop's, so that it cannot finish before it ends).
  auto remaining = std::make_shared<std::atomic<int>>(n + 1);
  auto one_done = [reactor, remaining] {
    if (remaining->fetch_sub(1, std::memory_order_acq_rel) == 1)
      reactor->Finish(grpc::Status::OK);
  };
  for (int i = 0; i < n; ++i) {
    const v1::WriteRequest* write = &request->writes(i);
    v1::WriteOutcome* outcome = response->mutable_outcomes(i);
    store_->writer().WriteAsync(
        *write, std::move(tables[i]), context->deadline(),
        [this, write, outcome, start,
         one_done](absl::StatusOr<v1::WriteResponse> result) {
          SetOutcome(outcome, Written(*write, std::move(result),
                                      outcome->mutable_response(), start));
          one_done();
        });
  }
  one_done();
  return reactor;
}

void StorageServiceImpl::SetOutcome(v1::WriteOutcome* outcome,
                                    const grpc::Status& status) {
  outcome->set_code(static_cast<int32_t>(status.error_code()));
  if (!status.ok()) {
    outcome->set_message(status.error_message());
    outcome->set_error_code(status.error_details());
    outcome->clear_response();
  }
}

grpc::Status StorageServiceImpl::Written(
    const v1::WriteRequest& request,
    absl::StatusOr<v1::WriteResponse> written, v1::WriteResponse* response,
    std::chrono::steady_clock::time_point start) {
  int64_t bytes = static_cast<int64_t>(request.ByteSizeLong());
  if (!written.ok()) {
    grpc::Status status = ToGrpcStatus(written.status());
    Count(request.listener_uuid(), status, 0, bytes, start);
    return status;
  }
  *response = *std::move(written);
  int64_t records = response->replayed() ? 0 : response->records();
  Count(request.listener_uuid(), grpc::Status::OK, records, bytes, start);
  return grpc::Status::OK;
}

grpc::ServerUnaryReactor* StorageServiceImpl::Delete(
    grpc::CallbackServerContext* context, const v1::DeleteRequest* request,
    v1::DeleteResponse* response) {
  auto start = std::chrono::steady_clock::now();
  return executor_->OffloadOrShed(context, [=] {
    auto deleted = store_->Delete(request->listener_uuid(),
                                  KeyOf(request->key()), context->deadline());
    grpc::Status status =
        deleted.ok() ? grpc::Status::OK : ToGrpcStatus(deleted.status());
    Count(request->listener_uuid(), status, 0,
          static_cast<int64_t>(request->ByteSizeLong()), start);
    if (!deleted.ok()) return status;
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
    bool done = false;
    auto deleted =
        store_->Purge(request->listener_uuid(), cutoff, request->batch_size(),
                      request->max_records(), &done,
                      context->deadline() - std::chrono::seconds(1));
    if (!deleted.ok()) return ToGrpcStatus(deleted.status());
    response->set_deleted(*deleted);
    response->set_done(done);
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* StorageServiceImpl::AppendLogs(
    grpc::CallbackServerContext* context, const v1::AppendLogsRequest* request,
    v1::AppendLogsResponse* response) {
  return executor_->OffloadOrShed(context, [=] {
    auto stored = logs_->Append(*request, [this](const std::string& uuid) {
      return store_->Tables(uuid).ok();
    });
    if (!stored.ok()) return ToGrpcStatus(stored.status());
    response->set_stored(*stored);
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* StorageServiceImpl::ListLogs(
    grpc::CallbackServerContext* context, const v1::ListLogsRequest* request,
    v1::ListLogsResponse* response) {
  return executor_->Offload(context, [=] {
    auto listed = logs_->List(*request);
    if (!listed.ok()) return ToGrpcStatus(listed.status());
    *response = std::move(*listed);
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* StorageServiceImpl::GetLog(
    grpc::CallbackServerContext* context, const v1::GetLogRequest* request,
    v1::LogEntry* response) {
  return executor_->Offload(context, [=] {
    auto entry = logs_->Get(request->id());
    if (!entry.ok()) return ToGrpcStatus(entry.status());
    *response = std::move(*entry);
    return grpc::Status::OK;
  });
}

}  // namespace sluice

#ifndef SLUICE_SERVICES_EDGE_BACKENDS_H_
#define SLUICE_SERVICES_EDGE_BACKENDS_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "common/status/grpc_status.h"
#include "sluice/v1/auth.grpc.pb.h"
#include "sluice/v1/retention.grpc.pb.h"
#include "sluice/v1/schema.grpc.pb.h"
#include "sluice/v1/storage.grpc.pb.h"

namespace sluice::edge {

class WriteBatcher;

// Channels and stubs of the services the edge calls. Stubs are thread-safe.
struct Backends {
  std::shared_ptr<grpc::Channel> schema_channel, auth_channel, storage_channel,
      retention_channel;
  std::unique_ptr<v1::SchemaService::Stub> schema;
  std::unique_ptr<v1::AuthService::Stub> auth;
  std::unique_ptr<v1::StorageService::Stub> storage;
  std::unique_ptr<v1::RetentionService::Stub> retention;
  // Ingest writes to storage, batched (owned by the caller).
  WriteBatcher* storage_writes = nullptr;
};

// Starts an asynchronous unary call without blocking the caller; `done`
// runs on a gRPC thread with the call's status and response. `start` is
// e.g. [&](auto* c, auto* q, auto* r, auto cb) { stub->async()->Write(c, q, r,
// cb); }.
template <typename Request, typename Response, typename Start>
void AsyncCall(Start start, Request request, std::chrono::milliseconds timeout,
               std::function<void(absl::Status, Response&)> done) {
  struct Call {
    grpc::ClientContext context;
    Request request;
    Response response;
    std::function<void(absl::Status, Response&)> done;
  };
  auto* call = new Call;
  call->request = std::move(request);
  call->done = std::move(done);
  call->context.set_deadline(std::chrono::system_clock::now() + timeout);
  start(&call->context, &call->request, &call->response,
        [call](grpc::Status status) {
          call->done(FromGrpcStatus(status), call->response);
          delete call;
        });
}

}  // namespace sluice::edge

#endif  // SLUICE_SERVICES_EDGE_BACKENDS_H_

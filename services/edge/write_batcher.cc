#include "services/edge/write_batcher.h"

#include <memory>
#include <utility>

#include "common/status/error_code.h"

namespace sluice::edge {

void WriteBatcher::Write(v1::WriteRequest request, Done done) {
  // The size is computed once here; protobuf caches it for serialization.
  Waiting w{std::move(request), 0, std::move(done)};
  w.bytes = w.request.ByteSizeLong();
  std::vector<Waiting> batch;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (in_flight_ >= options_.max_in_flight) {
      waiting_.push_back(std::move(w));
      return;
    }
    ++in_flight_;
    ++calls_;
  }
  batch.push_back(std::move(w));
  Start(std::move(batch));
}

std::vector<WriteBatcher::Waiting> WriteBatcher::TakeBatch() {
  std::vector<Waiting> batch;
  size_t bytes = 0;
  while (!waiting_.empty() && batch.size() < options_.max_writes) {
    Waiting& next = waiting_.front();
    if (!batch.empty() && bytes + next.bytes > options_.max_bytes) break;
    bytes += next.bytes;
    batch.push_back(std::move(next));
    waiting_.pop_front();
  }
  return batch;
}

void WriteBatcher::Start(std::vector<Waiting> batch) {
  v1::WriteManyRequest request;
  auto dones = std::make_shared<std::vector<Done>>();
  dones->reserve(batch.size());
  for (Waiting& w : batch) {
    *request.add_writes() = std::move(w.request);
    dones->push_back(std::move(w.done));
  }
  send_(std::move(request), [this, dones](absl::Status status,
                                          v1::WriteManyResponse& response) {
    if (status.ok() &&
        response.outcomes_size() != static_cast<int>(dones->size())) {
      status = absl::InternalError("storage answered a different number of writes");
    }
    for (size_t i = 0; i < dones->size(); ++i) {
      if (!status.ok()) {
        v1::WriteResponse empty;
        (*dones)[i](status, empty);
        continue;
      }
      v1::WriteOutcome& outcome = *response.mutable_outcomes(static_cast<int>(i));
      absl::Status own;
      if (outcome.code() != 0) {
        own = absl::Status(static_cast<absl::StatusCode>(outcome.code()),
                           outcome.message());
        if (!outcome.error_code().empty())
          own = WithErrorCode(own, outcome.error_code());
      }
      (*dones)[i](own, *outcome.mutable_response());
    }
    std::vector<Waiting> next;
    {
      std::lock_guard<std::mutex> lock(mu_);
      next = TakeBatch();
      if (next.empty()) {
        --in_flight_;
        return;
      }
      ++calls_;
    }
    Start(std::move(next));
  });
}

}  // namespace sluice::edge

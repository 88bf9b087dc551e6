#ifndef SLUICE_SERVICES_EDGE_WRITE_BATCHER_H_
#define SLUICE_SERVICES_EDGE_WRITE_BATCHER_H_

#include <chrono>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

#include "absl/status/status.h"
#include "sluice/v1/storage.pb.h"

namespace sluice::edge {

// Sends ingest writes to storage with as few calls as the load allows.
//
// Up to `max_in_flight` WriteMany calls run at once; a write that arrives
// while they are all in flight waits, and when one returns, everything
// waiting (up to `max_writes`, and `max_bytes` of requests; a larger write
// goes alone) leaves in the next call. Under light load every write leaves
// at once in a call of its own; under heavy load one call carries many,
// which storage commits in one group anyway. Each write keeps its own
// outcome: `done` gets exactly what a Write call of it would have answered.
// Thread-safe.
class WriteBatcher {
 public:
  using Done = std::function<void(absl::Status, v1::WriteResponse&)>;
  // Starts one WriteMany call; `finished` runs when it returns.
  using Send = std::function<void(
      v1::WriteManyRequest request,
      std::function<void(absl::Status, v1::WriteManyResponse&)> finished)>;

  struct Options {
    int max_in_flight = 2;
    size_t max_writes = 256;
    size_t max_bytes = 1 << 20;
  };

  WriteBatcher(Send send, Options options)
      : send_(std::move(send)), options_(options) {}
  WriteBatcher(const WriteBatcher&) = delete;
  WriteBatcher& operator=(const WriteBatcher&) = delete;

  void Write(v1::WriteRequest request, Done done);

  // Calls started so far.
  uint64_t calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }

 private:
  struct Waiting {
    v1::WriteRequest request;
    size_t bytes;
    Done done;
  };
  void Start(std::vector<Waiting> batch);
  // The next call's writes; empty when none wait. Under mu_.
  std::vector<Waiting> TakeBatch();

  const Send send_;
  const Options options_;
  mutable std::mutex mu_;
  std::deque<Waiting> waiting_;
  int in_flight_ = 0;
  uint64_t calls_ = 0;
};

}  // namespace sluice::edge

#endif  // SLUICE_SERVICES_EDGE_WRITE_BATCHER_H_

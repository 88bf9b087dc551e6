#ifndef SLUICE_SERVICES_STORAGE_RECORD_WRITER_H_
#define SLUICE_SERVICES_STORAGE_RECORD_WRITER_H_

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/storage/group_commit.h"
#include "services/storage/table_catalog.h"
#include "sluice/v1/storage.pb.h"

namespace sql {
class Connection;
}

namespace sluice {

class MySqlPool;

// One write waiting for, or done by, its group's transaction.
struct PendingWrite {
  const v1::WriteRequest* request = nullptr;
  std::shared_ptr<const ListenerTables> tables;
  std::string key_sha256;  // of the idempotency key; empty without one
  std::chrono::system_clock::time_point deadline =
      std::chrono::system_clock::time_point::max();
  // Set by the group.
  absl::Status status;
  v1::WriteResponse response;
  // Called once the group's transaction has ended, committed or not.
  std::function<void()> done;

  // The write's answer, once its group is done: the response, or its error.
  absl::StatusOr<v1::WriteResponse> TakeOutcome() {
    if (!status.ok()) return status;
    return std::move(response);
  }
};

// The only writer of data tables.
//
// Concurrent writes are committed in groups (GroupCommit): one READ
// COMMITTED transaction and one log flush for every write queued while the
// previous group ran, on the writer's own committer threads. Each write is still all or nothing on its own: it runs
// under its own SAVEPOINT, and one that fails is rolled back to it while the
// rest of its group commits. Upserts of one listener without an idempotency
// key share multi-row statements; should such a statement fail, the group
// goes back to its savepoint and writes them one by one, so a failing write
// costs only itself. No write is answered before the commit that holds it.
// Thread-safe.
class RecordWriter {
 public:
  struct Options {
    GroupCommit<PendingWrite>::Options group;
  };

  RecordWriter(MySqlPool* pool, TableCatalog* catalog, Options options);
  RecordWriter(MySqlPool* pool, TableCatalog* catalog)
      : RecordWriter(pool, catalog, Options()) {}
  RecordWriter(const RecordWriter&) = delete;
  RecordWriter& operator=(const RecordWriter&) = delete;

  static std::vector<std::string> Migration();

  // All or nothing. INVALID_ARGUMENT names the record index; NOT_FOUND for a
  // PATCH of a missing record; UNAVAILABLE when the database is unreachable.
  // A repeated idempotency key answers the first outcome and writes nothing.
  // Nothing is committed after `deadline` (the caller's).
  absl::StatusOr<v1::WriteResponse> Write(
      const v1::WriteRequest& request,
      std::chrono::system_clock::time_point deadline =
          std::chrono::system_clock::time_point::max());

  // Write without waiting, against `tables` (the listener's, e.g. from
  // TableCatalog::Cached): `done` gets what Write would return, after the
  // write's group has ended, or at once when the write is refused before it
  // is queued (invalid, or the queue full). `request` must outlive `done`.
  using Done = std::function<void(absl::StatusOr<v1::WriteResponse>)>;
  void WriteAsync(const v1::WriteRequest& request,
                  std::shared_ptr<const ListenerTables> tables,
                  std::chrono::system_clock::time_point deadline, Done done);

  // The write `request` stands for once it is checked against the
  // listener's tables: what Write queues. INVALID_ARGUMENT names the record.
  absl::StatusOr<PendingWrite> Prepare(
      const v1::WriteRequest& request,
      std::chrono::system_clock::time_point deadline =
          std::chrono::system_clock::time_point::max());
  absl::StatusOr<PendingWrite> Prepare(
      const v1::WriteRequest& request,
      std::shared_ptr<const ListenerTables> tables,
      std::chrono::system_clock::time_point deadline);

  // Runs `group` (prepared writes) in one transaction and sets each one's
  // outcome; what Write's groups run. When the transaction fails, every
  // write of the group has its error and nothing of it is committed.
  void WriteGroup(const std::vector<PendingWrite*>& group);

  absl::StatusOr<int64_t> Delete(
      const std::string& listener_uuid, const std::vector<v1::Value>& key,
      std::chrono::system_clock::time_point deadline =
          std::chrono::system_clock::time_point::max());
  // Deletes records last modified before `cutoff_micros`, `batch_size` per
  // transaction, until none is left or `max_records` (0: no limit) are
  // deleted. Returns how many root records were deleted; `*done` says none
  // is left. No transaction starts after `deadline`.
  absl::StatusOr<int64_t> Purge(
      const std::string& listener_uuid, int64_t cutoff_micros, int batch_size,
      int64_t max_records = 0, bool* done = nullptr,
      std::chrono::system_clock::time_point deadline =
          std::chrono::system_clock::time_point::max());
  // Forgets every idempotency key older than 24 h, in batches. Returns how
  // many.
  absl::StatusOr<int64_t> PurgeIdempotencyKeys();

  // Called after each committed group with the records it wrote.
  void OnCommit(std::function<void(int64_t records)> observer) {
    on_commit_ = std::move(observer);
  }
  // Groups committed or failed so far.
  size_t groups() const { return commit_.groups(); }

 private:
  // Queues a prepared write for the next group; its `done` runs after that
  // group's transaction. False (not queued) when the queue is full.
  bool Enqueue(PendingWrite* write);

  // One write under its own savepoint; its outcome in `p`.
  void WriteOne(sql::Connection& con, PendingWrite* p);

  MySqlPool* pool_;
  TableCatalog* catalog_;
  std::function<void(int64_t)> on_commit_;
  GroupCommit<PendingWrite> commit_;
};

}  // namespace sluice

#endif  // SLUICE_SERVICES_STORAGE_RECORD_WRITER_H_

#ifndef SLUICE_SERVICES_STORAGE_DATA_STORE_H_
#define SLUICE_SERVICES_STORAGE_DATA_STORE_H_

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "sluice/v1/storage.pb.h"

namespace sql {
class Connection;
}

namespace sluice {

class MySqlPool;

// A listener's tables as storage knows them, with name lookups.
struct ListenerTables {
  std::vector<v1::Table> tables;  // tables[0] is the root
  std::map<std::string, int> index;
  std::vector<std::map<std::string, int>> columns;  // per table: name → column
  std::vector<int> key_columns;                     // root primary-key columns
  int extra_column = -1;  // the root's `_extra` column, -1 when it has none
};

// The storage service's logic: the only writer of data tables.
//
// Data tables live in their own database (`data_database`); the metadata of
// which listener owns which tables, in the pool's database. Every write is
// one READ COMMITTED transaction, committed before the call returns OK.
// Table definitions are cached per listener and reloaded after changes, so
// no write queries the catalog. Thread-safe.
class DataStore {
 public:
  DataStore(MySqlPool* pool, std::string data_database);
  DataStore(const DataStore&) = delete;
  DataStore& operator=(const DataStore&) = delete;

  static std::vector<std::vector<std::string>> Migrations();
  // Creates the data database when missing, and moves the text columns of
  // tables made by earlier versions to the exact (NO PAD) collation.
  absl::Status EnsureDataDatabase();

  // ALREADY_EXISTS naming the table when one is taken; nothing is left
  // behind on failure. Returns the DDL run.
  absl::StatusOr<std::vector<std::string>> CreateTables(
      const std::string& listener_uuid, const std::vector<v1::Table>& tables);
  absl::Status DropTables(const std::string& listener_uuid);

  // All or nothing. INVALID_ARGUMENT names the record index; NOT_FOUND for a
  // PATCH of a missing record; UNAVAILABLE when the database is unreachable.
  // A repeated idempotency key answers the first outcome and writes nothing.
  // Nothing is committed after `deadline` (the caller's).
  absl::StatusOr<v1::WriteResponse> Write(
      const v1::WriteRequest& request,
      std::chrono::system_clock::time_point deadline =
          std::chrono::system_clock::time_point::max());
  // Forgets every idempotency key older than 24 h, in batches. Returns how
  // many.
  absl::StatusOr<int64_t> PurgeIdempotencyKeys();
  absl::StatusOr<int64_t> Delete(
      const std::string& listener_uuid, const std::vector<v1::Value>& key,
      std::chrono::system_clock::time_point deadline =
          std::chrono::system_clock::time_point::max());
  absl::StatusOr<std::string> GetRecord(const std::string& listener_uuid,
                                        const std::vector<v1::Value>& key);
  absl::StatusOr<v1::ListRecordsResponse> ListRecords(
      const v1::ListRecordsRequest& request);
  // Deletes records last modified before `cutoff_micros`, `batch_size` per
  // transaction, until none is left or `max_records` (0: no limit) are
  // deleted. Returns how many root records were deleted; `*done` says none
  // is left.
  // No transaction starts after `deadline`.
  absl::StatusOr<int64_t> Purge(
      const std::string& listener_uuid, int64_t cutoff_micros, int batch_size,
      int64_t max_records = 0, bool* done = nullptr,
      std::chrono::system_clock::time_point deadline =
          std::chrono::system_clock::time_point::max());

  // The cached tables of a listener; NOT_FOUND when it has none.
  absl::StatusOr<std::shared_ptr<const ListenerTables>> Tables(
      const std::string& listener_uuid);

 private:
  std::string Qualified(const std::string& table) const;
  // ALTERs the text columns of data tables still on utf8mb4_bin.
  void MigrateToExactCollation(sql::Connection& con);
  // The body of Write, inside its transaction.
  absl::Status WriteRecords(sql::Connection& con, const ListenerTables& lt,
                            const v1::WriteRequest& request, int64_t* written);
  void Forget(const std::string& listener_uuid);

  MySqlPool* pool_;
  const std::string data_database_;
  absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<const ListenerTables>> cache_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace sluice

#endif  // SLUICE_SERVICES_STORAGE_DATA_STORE_H_

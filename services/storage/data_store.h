#ifndef SLUICE_SERVICES_STORAGE_DATA_STORE_H_
#define SLUICE_SERVICES_STORAGE_DATA_STORE_H_

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/storage/record_reader.h"
#include "services/storage/record_writer.h"
#include "services/storage/table_catalog.h"
#include "sluice/v1/storage.pb.h"

namespace sluice {

class MySqlPool;

// The storage service's data: the table catalog (which listener owns which
// tables, cached), the record writer (group commit; the only writer of data
// tables) and the record reader, over one pool. Thread-safe.
class DataStore {
 public:
  DataStore(MySqlPool* pool, std::string data_database,
            RecordWriter::Options writer_options = {});
  DataStore(const DataStore&) = delete;
  DataStore& operator=(const DataStore&) = delete;

  // The storage database's schema versions, in order.
  static std::vector<std::vector<std::string>> Migrations();
  absl::Status EnsureDataDatabase() { return catalog_.EnsureDataDatabase(); }

  absl::StatusOr<std::vector<std::string>> CreateTables(
      const std::string& listener_uuid, const std::vector<v1::Table>& tables) {
    return catalog_.CreateTables(listener_uuid, tables);
  }
  absl::Status DropTables(const std::string& listener_uuid) {
    return catalog_.DropTables(listener_uuid);
  }
  absl::StatusOr<std::shared_ptr<const ListenerTables>> Tables(
      const std::string& listener_uuid) {
    return catalog_.Tables(listener_uuid);
  }
  std::shared_ptr<const ListenerTables> CachedTables(
      const std::string& listener_uuid) {
    return catalog_.Cached(listener_uuid);
  }

  absl::StatusOr<v1::WriteResponse> Write(
      const v1::WriteRequest& request,
      std::chrono::system_clock::time_point deadline =
          std::chrono::system_clock::time_point::max()) {
    return writer_.Write(request, deadline);
  }
  absl::StatusOr<int64_t> Delete(
      const std::string& listener_uuid, const std::vector<v1::Value>& key,
      std::chrono::system_clock::time_point deadline =
          std::chrono::system_clock::time_point::max()) {
    return writer_.Delete(listener_uuid, key, deadline);
  }
  absl::StatusOr<int64_t> Purge(
      const std::string& listener_uuid, int64_t cutoff_micros, int batch_size,
      int64_t max_records = 0, bool* done = nullptr,
      std::chrono::system_clock::time_point deadline =
          std::chrono::system_clock::time_point::max()) {
    return writer_.Purge(listener_uuid, cutoff_micros, batch_size, max_records,
                         done, deadline);
  }
  absl::StatusOr<int64_t> PurgeIdempotencyKeys() {
    return writer_.PurgeIdempotencyKeys();
  }

  absl::StatusOr<std::string> GetRecord(const std::string& listener_uuid,
                                        const std::vector<v1::Value>& key) {
    return reader_.GetRecord(listener_uuid, key);
  }
  absl::StatusOr<v1::ListRecordsResponse> ListRecords(
      const v1::ListRecordsRequest& request) {
    return reader_.ListRecords(request);
  }

  RecordWriter& writer() { return writer_; }

 private:
  TableCatalog catalog_;
  RecordWriter writer_;
  RecordReader reader_;
};

}  // namespace sluice

#endif  // SLUICE_SERVICES_STORAGE_DATA_STORE_H_

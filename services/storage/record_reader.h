#ifndef SLUICE_SERVICES_STORAGE_RECORD_READER_H_
#define SLUICE_SERVICES_STORAGE_RECORD_READER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/storage/table_catalog.h"
#include "sluice/v1/storage.pb.h"

namespace sluice {

class MySqlPool;

// Reads records back: one by key, or a page in key order. Rows become JSON
// through mapping::AssembleRecord, the inverse of the edge's mapper.
// Thread-safe.
class RecordReader {
 public:
  RecordReader(MySqlPool* pool, TableCatalog* catalog)
      : pool_(pool), catalog_(catalog) {}

  // NOT_FOUND (record_not_found) naming the key when there is no such record.
  absl::StatusOr<std::string> GetRecord(const std::string& listener_uuid,
                                        const std::vector<v1::Value>& key);
  // `limit` records (50 by default, 1000 at most) after the page token's key.
  absl::StatusOr<v1::ListRecordsResponse> ListRecords(
      const v1::ListRecordsRequest& request);

 private:
  MySqlPool* pool_;
  TableCatalog* catalog_;
};

}  // namespace sluice

#endif  // SLUICE_SERVICES_STORAGE_RECORD_READER_H_

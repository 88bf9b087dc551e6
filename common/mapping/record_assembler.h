#ifndef SLUICE_COMMON_MAPPING_RECORD_ASSEMBLER_H_
#define SLUICE_COMMON_MAPPING_RECORD_ASSEMBLER_H_

#include <string>
#include <vector>

#include "sluice/v1/common.pb.h"

namespace sluice::mapping {

// One record's rows as read back from its tables. Values align with the
// columns of their table; child rows of each table are in position order.
struct StoredRecord {
  std::vector<v1::Value> root;
  // children[t] holds the rows of tables[t] (children[0] is unused).
  std::vector<std::vector<std::vector<v1::Value>>> children;
};

// The inverse of RecordMapper::Map: rebuilds the record's JSON from its rows
// for `tables` (tables[0] the root): flattened columns go back into their
// objects, child rows into their arrays at their positions, and the fields
// kept in `_extra` at their JSON Pointers, so an accepted record reads back
// as sent. The write time is added as "lastModified" (as "_lastModified"
// when the record has a field of that name, and so on). Pure; thread-safe.
std::string AssembleRecord(const std::vector<v1::Table>& tables,
                           const StoredRecord& record);

}  // namespace sluice::mapping

#endif  // SLUICE_COMMON_MAPPING_RECORD_ASSEMBLER_H_

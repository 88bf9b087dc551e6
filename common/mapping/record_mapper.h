#ifndef SLUICE_COMMON_MAPPING_RECORD_MAPPER_H_
#define SLUICE_COMMON_MAPPING_RECORD_MAPPER_H_

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "sluice/v1/common.pb.h"

namespace sluice::mapping {

// At most this many records in one request.
inline constexpr size_t kMaxRecordsPerRequest = 10000;
// At most this many rows (records plus array items) in one request; more is
// `too_many_rows` (HTTP 413), found while mapping.
inline constexpr size_t kMaxRowsPerRequest = 100000;
// JSON nested deeper than this is rejected before mapping.
inline constexpr size_t kMaxJsonDepth = 64;
// Values kept in _extra nest at most this deep (MariaDB's JSON validity
// check stops at 32 levels, the _extra object being one of them).
inline constexpr size_t kMaxExtraDepth = 30;

// Maps request bodies to typed rows for one listener's data structure.
//
// Built once per listener version and shared: Map() is const and
// thread-safe. Every error is INVALID_ARGUMENT with an API error code
// (malformed_json, type_mismatch, missing_primary_key, value_too_long,
// duplicate_key, invalid_body, too_many_records, too_many_rows) and a
// message naming the record index and field path, e.g.
// `records[3].address.city: expected an integer, got a string`.
class RecordMapper {
 public:
  // INVALID_ARGUMENT when `structure` has no tables or is inconsistent.
  static absl::StatusOr<std::shared_ptr<const RecordMapper>> Create(
      const v1::DataStructure& structure);

  // Parses `body` once and maps each record at the root path (one object or
  // an array of objects) to its root row and child rows. For upserts every
  // child table is listed in replaced_tables; for `patch` only the root
  // columns present are set (TableRows.columns names them) and only child
  // tables whose array is present are replaced. Fields the tables have no
  // column for go to the root row's `_extra` as a JSON object keyed by their
  // JSON Pointer in the record ("/a/b", "/items/0/note").
  // Without `at_root_path`, `body` is read as the records themselves (what
  // a transform script returned).
  absl::StatusOr<std::vector<v1::Record>> Map(std::string_view body,
                                              bool patch,
                                              bool at_root_path = true) const;

  // The root key from its text form (a URL segment or query values), one
  // value per primary-key field in order, converted to the key's types.
  absl::StatusOr<std::vector<v1::Value>> KeyFromText(
      const std::vector<std::string>& values) const;

  // Primary-key fields as the user named them.
  const std::vector<std::string>& key_fields() const { return key_fields_; }

  struct FieldNode {
    std::map<std::string, FieldNode, std::less<>> children;
    int column = -1;
    int child_table = -1;
    int slot = -1;  // for duplicate-key detection within one element
  };
  struct CompiledTable {
    const v1::Table* table = nullptr;
    int parent = -1;
    std::vector<int> key_columns;
    std::vector<int> position_columns;
    int value_column = -1;
    int array_child = -1;
    int extra_column = -1;
    int slots = 0;
    std::vector<int> descendants;
    FieldNode fields;
  };

 private:
  RecordMapper() = default;

  v1::DataStructure structure_;
  std::vector<std::string> root_path_;
  std::vector<std::string> key_fields_;
  std::vector<CompiledTable> tables_;

  friend class MapperRun;
};

}  // namespace sluice::mapping

#endif  // SLUICE_COMMON_MAPPING_RECORD_MAPPER_H_

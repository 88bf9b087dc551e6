#ifndef SLUICE_COMMON_MAPPING_TABLE_GENERATOR_H_
#define SLUICE_COMMON_MAPPING_TABLE_GENERATOR_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "sluice/v1/common.pb.h"

namespace sluice::mapping {

// Limits on what a sample may generate.
inline constexpr int kMaxColumnsPerTable = 1000;
inline constexpr int kMaxTables = 64;
inline constexpr int kMaxSampleDepth = 32;
// Sample strings up to this many characters become VARCHAR(255), longer TEXT.
inline constexpr int kVarcharLength = 255;
inline constexpr int kTextMaxBytes = 65535;

// Generates the tables for `structure` from its sample_json, base_name,
// root_path and primary_key, replacing structure->tables (DESIGN §5):
// scalar fields become columns of the root table, nested objects are
// flattened (`address.city` → `address_city`), arrays become child tables
// `<parent>_<field>` keyed by the root primary key and positions. When the
// root path holds an array of records, every element contributes fields.
//
// INVALID_ARGUMENT with a message naming the offending field when the sample
// is not JSON, the root path holds no object, a primary-key field is missing
// or not an integer/string, or a limit above is exceeded.
absl::Status GenerateTables(v1::DataStructure* structure);

// CREATE TABLE statement for one generated table (identifiers quoted),
// qualified with `database` when it is not empty.
std::string RenderCreateTable(const v1::Table& table,
                              const std::string& database = "");

// SQL type of a column, e.g. "VARCHAR(255)".
std::string SqlType(const v1::Column& column);

}  // namespace sluice::mapping

#endif  // SLUICE_COMMON_MAPPING_TABLE_GENERATOR_H_

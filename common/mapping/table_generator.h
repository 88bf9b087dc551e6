#ifndef SLUICE_COMMON_MAPPING_TABLE_GENERATOR_H_
#define SLUICE_COMMON_MAPPING_TABLE_GENERATOR_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/mapping/column_types.h"
#include "sluice/v1/common.pb.h"

namespace sluice::mapping {

// Limits on what a sample may generate: fields per table (columns plus
// fields kept in `_extra`), tables, and nesting.
inline constexpr int kMaxColumnsPerTable = 1000;
inline constexpr int kMaxTables = 64;
inline constexpr int kMaxSampleDepth = 32;

// Generates the tables for `structure` from its sample_json, base_name,
// root_path and primary_key, replacing structure->tables (DESIGN §5):
// scalar fields become columns of the root table, nested objects are
// flattened (`address.city` → `address_city`), arrays become child tables
// `<parent>_<field>` keyed by the root primary key and positions. When the
// root path holds an array of records, every element contributes fields.
//
// Every table fits MySQL's row limits whatever the sample's width: short
// strings become VARCHAR(255) while the 65,535-byte row budget lasts and
// TEXT after it, and once InnoDB's in-page budget (about 8 KB) is spent the
// remaining fields get no column; their values are kept in the root row's
// `_extra` (listed in Table.extra_fields), so they still read back exactly.
//
// INVALID_ARGUMENT with a message naming the offending field when the sample
// is not JSON, the root path holds no object, a primary-key field is missing
// or not an integer/string, or a limit above is exceeded.
absl::Status GenerateTables(v1::DataStructure* structure);

// CREATE TABLE statement for one generated table (identifiers quoted),
// qualified with `database` when it is not empty.
std::string RenderCreateTable(const v1::Table& table,
                              const std::string& database = "");

}  // namespace sluice::mapping

#endif  // SLUICE_COMMON_MAPPING_TABLE_GENERATOR_H_

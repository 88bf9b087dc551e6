#ifndef SLUICE_SERVICES_STORAGE_SQL_VALUES_H_
#define SLUICE_SERVICES_STORAGE_SQL_VALUES_H_

#include <string>
#include <vector>

#include "sluice/v1/common.pb.h"
#include "sluice/v1/storage.pb.h"

namespace sql {
class PreparedStatement;
class ResultSet;
}  // namespace sql

namespace sluice {

// Binding and reading SQL values for every column type, in one place (the
// JSON side of each type lives in common/mapping/column_types).

// Binds `value` as parameter `index` (1-based) of `statement`.
void BindValue(sql::PreparedStatement* statement, int index,
               const v1::Value& value);

// Reads column `index` (1-based) of the current row of `rs` as a value of
// `column`'s type.
v1::Value ReadValue(sql::ResultSet& rs, int index, const v1::Column& column);

// A record's key as it appears in SQL and in messages.
using RecordKey = google::protobuf::RepeatedPtrField<v1::Value>;

// The quoted columns holding a row's record key (the root's primary key, or
// a child table's root-key columns), in key order.
std::vector<std::string> KeyColumns(const v1::Table& table);

// "(`a` = ? AND `b` = ?)": the row's record key (the root's primary key, or
// a child table's root-key columns), bound in key order.
std::string KeyPredicate(const v1::Table& table);

// The key of the current row of `rs`, from its first `key_columns.size()`
// columns (selected in key order) of the root table.
RecordKey ReadKey(sql::ResultSet& rs, const v1::Table& root,
                  const std::vector<int>& key_columns);

// The key as a user reads it in an error: `42, "eu"`.
std::string DescribeKey(const std::vector<v1::Value>& key);

}  // namespace sluice

#endif  // SLUICE_SERVICES_STORAGE_SQL_VALUES_H_

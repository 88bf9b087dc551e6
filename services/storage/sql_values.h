#ifndef SLUICE_SERVICES_STORAGE_SQL_VALUES_H_
#define SLUICE_SERVICES_STORAGE_SQL_VALUES_H_

#include "sluice/v1/common.pb.h"

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

}  // namespace sluice

#endif  // SLUICE_SERVICES_STORAGE_SQL_VALUES_H_

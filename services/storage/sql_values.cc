#include "services/storage/sql_values.h"

#include <cppconn/datatype.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include "common/mapping/timestamp.h"

namespace sluice {

void BindValue(sql::PreparedStatement* st, int index, const v1::Value& value) {
  switch (value.kind_case()) {
    case v1::Value::kBoolValue:
      st->setBoolean(index, value.bool_value());
      break;
    case v1::Value::kIntValue:
      st->setInt64(index, value.int_value());
      break;
    case v1::Value::kDoubleValue:
      st->setDouble(index, value.double_value());
      break;
    case v1::Value::kStringValue:
      st->setString(index, value.string_value());
      break;
    case v1::Value::kTimestampMicros:
      st->setString(index,
                    mapping::FormatSqlDatetime(value.timestamp_micros()));
      break;
    case v1::Value::kJsonValue:
      st->setString(index, value.json_value());
      break;
    default:
      st->setNull(index, sql::DataType::SQLNULL);
  }
}

v1::Value ReadValue(sql::ResultSet& rs, int index, const v1::Column& column) {
  v1::Value value;
  if (rs.isNull(index)) {
    value.set_null_value(true);
    return value;
  }
  switch (column.type()) {
    case v1::COLUMN_TYPE_BOOLEAN:
      value.set_bool_value(rs.getBoolean(index));
      break;
    case v1::COLUMN_TYPE_BIGINT:
      value.set_int_value(rs.getInt64(index));
      break;
    case v1::COLUMN_TYPE_DOUBLE:
      value.set_double_value(rs.getDouble(index));
      break;
    case v1::COLUMN_TYPE_DATETIME: {
      std::string text = rs.getString(index).asStdString();
      if (auto micros = mapping::ParseIso8601(text)) {
        value.set_timestamp_micros(*micros);
      } else {
        value.set_string_value(std::move(text));
      }
      break;
    }
    case v1::COLUMN_TYPE_JSON:
      value.set_json_value(rs.getString(index).asStdString());
      break;
    default:
      value.set_string_value(rs.getString(index).asStdString());
  }
  return value;
}

}  // namespace sluice

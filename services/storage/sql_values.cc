#include "services/storage/sql_values.h"

#include <cppconn/datatype.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/mapping/timestamp.h"
#include "common/mysql/mysql_pool.h"

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

std::vector<std::string> KeyColumns(const v1::Table& table) {
  std::vector<std::string> names;
  for (const auto& c : table.columns()) {
    if (c.source() == v1::COLUMN_SOURCE_ROOT_KEY ||
        (table.parent().empty() && c.primary_key())) {
      names.push_back(QuoteIdentifier(c.name()));
    }
  }
  return names;
}

std::string KeyPredicate(const v1::Table& table) {
  std::vector<std::string> parts = KeyColumns(table);
  for (std::string& part : parts) absl::StrAppend(&part, " = ?");
  return absl::StrCat("(", absl::StrJoin(parts, " AND "), ")");
}

RecordKey ReadKey(sql::ResultSet& rs, const v1::Table& root,
                  const std::vector<int>& key_columns) {
  RecordKey key;
  for (size_t k = 0; k < key_columns.size(); ++k) {
    *key.Add() =
        ReadValue(rs, static_cast<int>(k) + 1, root.columns(key_columns[k]));
  }
  return key;
}

std::string DescribeKey(const std::vector<v1::Value>& key) {
  std::vector<std::string> parts;
  for (const auto& v : key) {
    switch (v.kind_case()) {
      case v1::Value::kIntValue:
        parts.push_back(absl::StrCat(v.int_value()));
        break;
      case v1::Value::kTimestampMicros:
        parts.push_back(mapping::FormatIso8601(v.timestamp_micros()));
        break;
      default:
        parts.push_back(absl::StrCat("\"", v.string_value(), "\""));
    }
  }
  return absl::StrJoin(parts, ", ");
}

}  // namespace sluice

#include "common/mapping/column_types.h"

#include <simdjson.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/mapping/json_path.h"
#include "common/mapping/timestamp.h"
#include "common/status/error_code.h"
#include "common/status/status_macros.h"

namespace sluice::mapping {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// utf8mb4 takes up to 4 bytes per character.
constexpr size_t kBytesPerChar = 4;
// An off-page value leaves a 20-byte pointer and its length in the row.
constexpr size_t kOffPageBytes = 22;
// InnoDB keeps variable-length values of at most this many bytes in the row.
constexpr size_t kAlwaysInlineBytes = 255;

absl::string_view Sv(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

}  // namespace

const char* DescribeJson(const element& value) {
  switch (value.type()) {
    case element_type::ARRAY:
      return "an array";
    case element_type::OBJECT:
      return "an object";
    case element_type::INT64:
    case element_type::UINT64:
      return "an integer";
    case element_type::DOUBLE:
      return "a number";
    case element_type::STRING:
      return "a string";
    case element_type::BOOL:
      return "a boolean";
    case element_type::NULL_VALUE:
      return "null";
  }
  return "a value";
}

namespace {

absl::Status Mismatch(const std::string& where, const v1::Column& c,
                      const element& value) {
  return InvalidArgumentError(
      "type_mismatch", absl::StrCat(where, ": expected ", ExpectedValue(c),
                                    ", got ", DescribeJson(value)));
}

absl::Status CheckText(const std::string& where, const v1::Column& c,
                       std::string_view text) {
  if (c.type() == v1::COLUMN_TYPE_VARCHAR &&
      Utf8Length(text) > c.max_length()) {
    return InvalidArgumentError(
        "value_too_long",
        absl::StrCat(where, ": text of ", Utf8Length(text),
                     " characters is longer than the column's limit of ",
                     c.max_length()));
  }
  if (text.size() > static_cast<size_t>(kTextMaxBytes)) {
    return InvalidArgumentError(
        "value_too_long",
        absl::StrCat(where, ": text of ", text.size(),
                     " bytes is longer than the column's limit of ",
                     kTextMaxBytes, " bytes"));
  }
  return absl::OkStatus();
}

absl::Status BoolFromJson(const element& value, const v1::Column& c,
                          const std::string& where, v1::Value* out) {
  if (value.type() != element_type::BOOL) return Mismatch(where, c, value);
  out->set_bool_value(value.get_bool().value_unsafe());
  return absl::OkStatus();
}

absl::Status BigintFromJson(const element& value, const v1::Column& c,
                            const std::string& where, v1::Value* out) {
  if (value.type() == element_type::INT64) {
    out->set_int_value(value.get_int64().value_unsafe());
    return absl::OkStatus();
  }
  if (value.type() == element_type::UINT64) {
    return InvalidArgumentError(
        "type_mismatch",
        absl::StrCat(where, ": integer is out of the 64-bit signed range"));
  }
  return Mismatch(where, c, value);
}

absl::Status DoubleFromJson(const element& value, const v1::Column& c,
                            const std::string& where, v1::Value* out) {
  switch (value.type()) {
    case element_type::INT64:
      out->set_double_value(
          static_cast<double>(value.get_int64().value_unsafe()));
      return absl::OkStatus();
    case element_type::UINT64:
      out->set_double_value(
          static_cast<double>(value.get_uint64().value_unsafe()));
      return absl::OkStatus();
    case element_type::DOUBLE:
      out->set_double_value(value.get_double().value_unsafe());
      return absl::OkStatus();
    default:
      return Mismatch(where, c, value);
  }
}

absl::Status DatetimeFromJson(const element& value, const v1::Column& c,
                              const std::string& where, v1::Value* out) {
  if (value.type() != element_type::STRING) return Mismatch(where, c, value);
  std::string_view s = value.get_string().value_unsafe();
  auto micros = ParseIso8601(s);
  if (!micros) {
    return InvalidArgumentError(
        "type_mismatch",
        absl::StrCat(where, ": expected an ISO-8601 timestamp, got \"",
                     Sv(s.substr(0, 64)), "\""));
  }
  out->set_timestamp_micros(*micros);
  return absl::OkStatus();
}

// VARCHAR takes any scalar (as its JSON text when not a string); TEXT and
// JSON take objects and arrays too, as JSON text.
absl::Status TextFromJson(const element& value, const v1::Column& c,
                          const std::string& where, v1::Value* out) {
  if (value.type() == element_type::STRING) {
    std::string_view s = value.get_string().value_unsafe();
    SLUICE_RETURN_IF_ERROR(CheckText(where, c, s));
    out->set_string_value(std::string(s));
    return absl::OkStatus();
  }
  if ((value.type() == element_type::OBJECT ||
       value.type() == element_type::ARRAY) &&
      c.type() == v1::COLUMN_TYPE_VARCHAR) {
    return Mismatch(where, c, value);
  }
  std::string text = simdjson::to_string(value);
  SLUICE_RETURN_IF_ERROR(CheckText(where, c, text));
  out->set_string_value(std::move(text));
  return absl::OkStatus();
}

absl::Status BigintFromText(std::string_view text, const v1::Column&,
                            v1::Value* out) {
  int64_t v;
  if (!absl::SimpleAtoi(Sv(text), &v)) {
    return absl::InvalidArgumentError("must be an integer");
  }
  out->set_int_value(v);
  return absl::OkStatus();
}

absl::Status DatetimeFromText(std::string_view text, const v1::Column&,
                              v1::Value* out) {
  auto micros = ParseIso8601(text);
  if (!micros) {
    return absl::InvalidArgumentError("must be an ISO-8601 timestamp");
  }
  out->set_timestamp_micros(*micros);
  return absl::OkStatus();
}

absl::Status StringFromText(std::string_view text, const v1::Column& c,
                            v1::Value* out) {
  size_t limit =
      c.type() == v1::COLUMN_TYPE_VARCHAR ? c.max_length() : kTextMaxBytes;
  if (Utf8Length(text) > limit || !simdjson::validate_utf8(text)) {
    return absl::InvalidArgumentError(
        absl::StrCat("must be valid UTF-8 of at most ", limit, " characters"));
  }
  out->set_string_value(std::string(text));
  return absl::OkStatus();
}

absl::Status BoolFromText(std::string_view text, const v1::Column&,
                          v1::Value* out) {
  if (text == "true" || text == "false") {
    out->set_bool_value(text == "true");
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError("must be true or false");
}

absl::Status DoubleFromText(std::string_view text, const v1::Column&,
                            v1::Value* out) {
  double v;
  if (!absl::SimpleAtod(Sv(text), &v)) {
    return absl::InvalidArgumentError("must be a number");
  }
  out->set_double_value(v);
  return absl::OkStatus();
}

struct ColumnKind {
  v1::ColumnType type;
  const char* sql;  // VARCHAR gets its length appended
  const char* expected;
  // Bytes of a fixed-size value; 0 for variable-length types.
  size_t fixed_bytes;
  // For variable-length types stored as BLOB/TEXT: bytes toward the
  // server's row limit (length plus pointer).
  size_t blob_server_bytes;
  absl::Status (*from_json)(const element&, const v1::Column&,
                            const std::string&, v1::Value*);
  absl::Status (*from_text)(std::string_view, const v1::Column&, v1::Value*);
};

constexpr ColumnKind kKinds[] = {
    {v1::COLUMN_TYPE_BOOLEAN, "BOOLEAN", "a boolean", 1, 0, BoolFromJson,
     BoolFromText},
    {v1::COLUMN_TYPE_BIGINT, "BIGINT", "an integer", 8, 0, BigintFromJson,
     BigintFromText},
    {v1::COLUMN_TYPE_DOUBLE, "DOUBLE", "a number", 8, 0, DoubleFromJson,
     DoubleFromText},
    {v1::COLUMN_TYPE_VARCHAR, "VARCHAR", "a string or scalar", 0, 0,
     TextFromJson, StringFromText},
    {v1::COLUMN_TYPE_TEXT, "TEXT", "a scalar", 0, 10, TextFromJson,
     StringFromText},
    {v1::COLUMN_TYPE_DATETIME, "DATETIME(6)", "an ISO-8601 timestamp string", 8,
     0, DatetimeFromJson, DatetimeFromText},
    {v1::COLUMN_TYPE_JSON, "JSON", "a JSON value", 0, 12, TextFromJson,
     StringFromText},
};

// Unknown types (a newer writer) are treated as TEXT.
const ColumnKind& KindOf(const v1::Column& column) {
  for (const ColumnKind& kind : kKinds) {
    if (kind.type == column.type()) return kind;
  }
  return kKinds[4];
}

bool StaysInPage(const v1::Column& column) {
  return column.primary_key() || column.source() == v1::COLUMN_SOURCE_ROOT_KEY;
}

}  // namespace

std::string SqlType(const v1::Column& column) {
  const ColumnKind& kind = KindOf(column);
  if (column.type() == v1::COLUMN_TYPE_VARCHAR) {
    return absl::StrCat(kind.sql, "(", column.max_length(), ")");
  }
  return kind.sql;
}

size_t ServerRowBytes(const v1::Column& column) {
  const ColumnKind& kind = KindOf(column);
  if (kind.fixed_bytes > 0) return kind.fixed_bytes;
  if (column.type() == v1::COLUMN_TYPE_VARCHAR) {
    size_t bytes = column.max_length() * kBytesPerChar;
    return bytes + (bytes > 255 ? 2 : 1);
  }
  return kind.blob_server_bytes;
}

size_t InlineRowBytes(const v1::Column& column) {
  const ColumnKind& kind = KindOf(column);
  if (kind.fixed_bytes > 0) return kind.fixed_bytes;
  if (column.type() == v1::COLUMN_TYPE_VARCHAR) {
    size_t bytes = column.max_length() * kBytesPerChar;
    if (bytes <= kAlwaysInlineBytes || StaysInPage(column)) {
      return bytes + (bytes > 255 ? 2 : 1);
    }
  }
  return kOffPageBytes;
}

const char* ExpectedValue(const v1::Column& column) {
  return KindOf(column).expected;
}

absl::Status ValueFromJson(const element& value, const v1::Column& column,
                           const std::string& where, v1::Value* out) {
  if (value.type() == element_type::NULL_VALUE) {
    out->set_null_value(true);
    return absl::OkStatus();
  }
  return KindOf(column).from_json(value, column, where, out);
}

absl::Status ValueFromText(std::string_view text, const v1::Column& column,
                           v1::Value* out) {
  return KindOf(column).from_text(text, column, out);
}

}  // namespace sluice::mapping

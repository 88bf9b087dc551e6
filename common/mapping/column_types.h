#ifndef SLUICE_COMMON_MAPPING_COLUMN_TYPES_H_
#define SLUICE_COMMON_MAPPING_COLUMN_TYPES_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "sluice/v1/common.pb.h"

namespace simdjson::dom {
class element;
}

namespace sluice::mapping {

// What each column type means, in one place: its SQL type, what it costs in a
// row, which JSON values it takes and how text (URL keys) converts to it.
// Adding a type means a ColumnType enum value in common.proto, a row in the
// table in column_types.cc, and its binding and reading in storage's
// sql_values.cc.

// Longest VARCHAR the generator makes; longer sample strings become TEXT.
inline constexpr int kVarcharLength = 255;
// TEXT holds at most this many bytes.
inline constexpr int kTextMaxBytes = 65535;

// SQL type of a column, e.g. "VARCHAR(255)".
std::string SqlType(const v1::Column& column);

// Worst-case bytes a column adds toward the server's 65,535-byte row limit
// (BLOB and TEXT count only their length and pointer).
size_t ServerRowBytes(const v1::Column& column);

// Worst-case bytes a column keeps inside an InnoDB page (ROW_FORMAT=DYNAMIC):
// fixed-size values and short variable ones in full, values that may move
// off the page as their 20-byte pointer plus length. Key columns never move
// off the page.
size_t InlineRowBytes(const v1::Column& column);

// "an integer", "an object": what a JSON value is, for error messages.
const char* DescribeJson(const simdjson::dom::element& value);

// "an integer": what a column of this type accepts, for error messages.
const char* ExpectedValue(const v1::Column& column);

// Converts one JSON value for `column`; widening is allowed (integer into
// DOUBLE, any scalar into text), narrowing is INVALID_ARGUMENT
// `type_mismatch`, text over the column's limit `value_too_long`, both with
// a message starting with `where`.
absl::Status ValueFromJson(const simdjson::dom::element& value,
                           const v1::Column& column, const std::string& where,
                           v1::Value* out);

// Converts text (a URL segment or query value naming a key) for `column`.
// INVALID_ARGUMENT saying what the text must be ("must be an integer").
absl::Status ValueFromText(std::string_view text, const v1::Column& column,
                           v1::Value* out);

}  // namespace sluice::mapping

#endif  // SLUICE_COMMON_MAPPING_COLUMN_TYPES_H_

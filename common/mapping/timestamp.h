#ifndef SLUICE_COMMON_MAPPING_TIMESTAMP_H_
#define SLUICE_COMMON_MAPPING_TIMESTAMP_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::mapping {

// Parses an ISO-8601 date-time: "YYYY-MM-DDTHH:MM[:SS[.fraction]][Z|±HH[:]MM]"
// ('T' or a space between date and time). Without an offset the time is UTC.
// Returns microseconds since the Unix epoch of the UTC instant (fractions
// beyond microseconds are truncated), or nullopt when `text` is not such a
// timestamp or names an impossible date. Years 1000–9999 only (DATETIME).
std::optional<int64_t> ParseIso8601(std::string_view text);

// "YYYY-MM-DDTHH:MM:SS.ffffffZ"
std::string FormatIso8601(int64_t micros);

// "YYYY-MM-DD HH:MM:SS.ffffff", the form MySQL takes for DATETIME(6).
std::string FormatSqlDatetime(int64_t micros);

}  // namespace sluice::mapping

#endif  // SLUICE_COMMON_MAPPING_TIMESTAMP_H_

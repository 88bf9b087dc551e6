#ifndef SLUICE_COMMON_MAPPING_JSON_PATH_H_
#define SLUICE_COMMON_MAPPING_JSON_PATH_H_

#include <string>
#include <string_view>
#include <vector>

namespace sluice::mapping {

// Paths of object keys as stored in Column.json_path: keys joined by '.',
// with '.' and '\' inside a key escaped by a preceding '\'.
std::string JoinPath(const std::vector<std::string>& keys);
std::string AppendPath(std::string_view path, std::string_view key);
std::vector<std::string> SplitPath(std::string_view path);

// A root path as users write it ("data.items"): plain dots, no escapes.
std::vector<std::string> SplitUserPath(std::string_view path);

// Characters (code points) in UTF-8 `text`.
size_t Utf8Length(std::string_view text);

// `text` as a JSON string literal, quotes included. Invalid UTF-8 is kept
// byte for byte; callers pass validated text.
std::string JsonQuote(std::string_view text);

}  // namespace sluice::mapping

#endif  // SLUICE_COMMON_MAPPING_JSON_PATH_H_

#ifndef SLUICE_COMMON_MAPPING_JSON_PATH_H_
#define SLUICE_COMMON_MAPPING_JSON_PATH_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::mapping {

// Paths of object keys as stored in Column.json_path: keys joined by '.',
// with '.' and '\' inside a key escaped by a preceding '\', and an empty
// key written "\0" so that a path of one empty key differs from no path.
std::string JoinPath(const std::vector<std::string>& keys);
std::string AppendPath(std::string_view path, std::string_view key);
std::vector<std::string> SplitPath(std::string_view path);

// JSON Pointers (RFC 6901), the paths of `_extra`: "" is the element
// itself, each key or array index is preceded by '/', with '~' written "~0"
// and '/' written "~1" inside a key.
std::string AppendPointer(std::string_view pointer, std::string_view key);
std::string AppendPointerIndex(std::string_view pointer, size_t index);
// The pointer of a Column/Table json_path.
std::string PointerOfPath(std::string_view path);
// The unescaped segments of `pointer`; nullopt when it is not a pointer
// (non-empty and not starting with '/', or a bad '~' escape).
std::optional<std::vector<std::string>> SplitPointer(std::string_view pointer);

// True for the keys of `_extra` that are JSON Pointers (every key written
// since pointers replaced dotted paths: a '/' first). Other keys are dotted
// paths from earlier versions.
inline bool IsPointerKey(std::string_view key) {
  return !key.empty() && key[0] == '/';
}
// The JSON Pointer a dotted `_extra` key of an earlier version stands for.
std::string PointerOfLegacyKey(std::string_view key);

// A root path as users write it ("data.items"): plain dots, no escapes.
std::vector<std::string> SplitUserPath(std::string_view path);

// True when JSON `text` opens more than `limit` objects or arrays inside one
// another. Scans the bytes once without recursion (strings skipped), so it
// is safe on any input and runs before a recursive parser or printer sees it.
bool JsonNestsDeeperThan(std::string_view text, size_t limit);

// Characters (code points) in UTF-8 `text`.
size_t Utf8Length(std::string_view text);

// `text` as valid UTF-8 (each byte of an invalid sequence becomes U+FFFD)
// of at most `max_bytes`, cut at a character boundary.
std::string FitUtf8(std::string_view text, size_t max_bytes);

// `text` as a JSON string literal, quotes included. Invalid UTF-8 is kept
// byte for byte; callers pass validated text.
std::string JsonQuote(std::string_view text);

}  // namespace sluice::mapping

#endif  // SLUICE_COMMON_MAPPING_JSON_PATH_H_

#ifndef SLUICE_COMMON_MAPPING_IDENTIFIERS_H_
#define SLUICE_COMMON_MAPPING_IDENTIFIERS_H_

#include <set>
#include <string>
#include <string_view>

namespace sluice::mapping {

inline constexpr size_t kMaxIdentifierLength = 64;

// Turns untrusted text into an SQL identifier: characters outside
// [A-Za-z0-9_] become '_', the result is at most 64 characters and never
// empty. Different inputs may give the same name; see UniqueNames.
std::string SanitizeIdentifier(std::string_view raw);

// Hands out names unique within one scope, compared case-insensitively (as
// MySQL compares column names): a taken name gets a suffix "_2", "_3", …,
// shortened so the result still fits in 64 characters.
class UniqueNames {
 public:
  // Returns the sanitized, unique form of `raw` and reserves it.
  std::string Take(std::string_view raw);
  // Reserves an exact name (system columns).
  void Reserve(std::string_view name);
  bool Contains(std::string_view name) const;

 private:
  std::set<std::string> taken_;  // lowercase
};

}  // namespace sluice::mapping

#endif  // SLUICE_COMMON_MAPPING_IDENTIFIERS_H_

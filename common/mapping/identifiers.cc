#include "common/mapping/identifiers.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace sluice::mapping {

std::string SanitizeIdentifier(std::string_view raw) {
  std::string out;
  out.reserve(std::min(raw.size(), kMaxIdentifierLength));
  for (char c : raw) {
    if (out.size() == kMaxIdentifierLength) break;
    bool ok = absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_';
    out.push_back(ok ? c : '_');
  }
  if (out.empty()) out = "_";
  return out;
}

std::string UniqueNames::Take(std::string_view raw) {
  std::string base = SanitizeIdentifier(raw);
  std::string name = base;
  for (int n = 2; Contains(name); ++n) {
    std::string suffix = absl::StrCat("_", n);
    name = base.substr(0, kMaxIdentifierLength - suffix.size()) + suffix;
  }
  Reserve(name);
  return name;
}

void UniqueNames::Reserve(std::string_view name) {
  taken_.insert(absl::AsciiStrToLower(std::string(name)));
}

bool UniqueNames::Contains(std::string_view name) const {
  return taken_.count(absl::AsciiStrToLower(std::string(name))) > 0;
}

}  // namespace sluice::mapping

#include "services/edge/console_files.h"

#include <dirent.h>
#include <sys/stat.h>

#include <cerrno>
#include <fstream>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace sluice::edge {
namespace {

// A console file is a page, a script or a stylesheet: anything this large
// is a mistake in the directory, not something to hold in memory.
constexpr int64_t kMaxFileBytes = 4 * 1024 * 1024;

// The types a console file may have; anything else in the directory is
// not served.
const char* ContentType(const std::string& name) {
  static const std::pair<const char*, const char*> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
  };
  for (const auto& [suffix, type] : kTypes) {
    if (absl::EndsWith(name, suffix)) return type;
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<ConsoleFiles> ConsoleFiles::Load(const std::string& dir) {
  std::unique_ptr<DIR, int (*)(DIR*)> d(opendir(dir.c_str()), &closedir);
  if (d == nullptr) {
    return absl::ErrnoToStatus(
        errno, absl::StrCat("console directory ", dir, " cannot be opened"));
  }
  ConsoleFiles out;
  while (dirent* entry = readdir(d.get())) {
    std::string name = entry->d_name;
    const char* type = ContentType(name);
    if (type == nullptr || name[0] == '.') continue;
    std::string path = absl::StrCat(dir, "/", name);
    struct stat st {};
    if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (st.st_size > kMaxFileBytes) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, " is larger than ", kMaxFileBytes, " bytes"));
    }
    std::ifstream in(path, std::ios::binary);
    if (!in.is_open()) {
      return absl::ErrnoToStatus(errno, absl::StrCat("cannot open ", path));
    }
    std::string body(static_cast<size_t>(st.st_size), '\0');
    if (!in.read(body.data(), st.st_size)) {
      return absl::DataLossError(absl::StrCat("cannot read ", path));
    }
    out.files_[name] = File{std::move(body), type};
  }
  if (out.files_.count("index.html") == 0) {
    return absl::NotFoundError(
        absl::StrCat("console directory ", dir, " has no index.html"));
  }
  return out;
}

ConsoleFiles ConsoleFiles::Placeholder() {
  ConsoleFiles out;
  out.files_["index.html"] = File{
      "<!doctype html><title>Sluice</title><p>Sluice admin API: /api/v1",
      "text/html; charset=utf-8"};
  return out;
}

const ConsoleFiles::File* ConsoleFiles::Find(const std::string& name) const {
  auto it = files_.find(name.empty() ? "index.html" : name);
  return it == files_.end() ? nullptr : &it->second;
}

const std::vector<std::pair<std::string, std::string>>& ConsoleFiles::Headers() {
  static const std::vector<std::pair<std::string, std::string>> kHeaders = {
      {"Content-Security-Policy",
       "default-src 'none'; script-src 'self'; style-src 'self'; "
       "img-src 'self'; connect-src 'self'; form-action 'none'; "
       "base-uri 'none'; frame-ancestors 'none'; "
       "require-trusted-types-for 'script'; trusted-types 'none'"},
      {"Cross-Origin-Opener-Policy", "same-origin"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"Cache-Control", "no-cache"},
  };
  return kHeaders;
}

}  // namespace sluice::edge

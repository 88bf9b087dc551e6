#include "services/edge/console_files.h"

#include <dirent.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace sluice::edge {
namespace {

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
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("console directory ", dir, " cannot be opened"));
  }
  ConsoleFiles out;
  while (dirent* entry = readdir(d)) {
    std::string name = entry->d_name;
    const char* type = ContentType(name);
    if (type == nullptr || name[0] == '.') continue;
    std::string path = absl::StrCat(dir, "/", name);
    struct stat st {};
    if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    std::ifstream in(path, std::ios::binary);
    std::stringstream body;
    body << in.rdbuf();
    if (!in.good() && !in.eof()) {
      closedir(d);
      return absl::InternalError(absl::StrCat("cannot read ", path));
    }
    out.files_[name] = File{body.str(), type};
  }
  closedir(d);
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
       "img-src 'self' data:; connect-src 'self'; form-action 'none'; "
       "base-uri 'none'; frame-ancestors 'none'"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"Cache-Control", "no-cache"},
  };
  return kHeaders;
}

}  // namespace sluice::edge

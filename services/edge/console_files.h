#ifndef SLUICE_SERVICES_EDGE_CONSOLE_FILES_H_
#define SLUICE_SERVICES_EDGE_CONSOLE_FILES_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace sluice::edge {

// The web console's static files (HTML, CSS, JavaScript), read once at start
// from one directory and served from memory by the admin port. There is no
// build step: the directory in the source tree is what browsers get.
class ConsoleFiles {
 public:
  struct File {
    std::string body;
    std::string content_type;
  };

  // Every regular file directly in `dir` whose name ends in a known
  // extension (.html .css .js .svg .png; dot files left out). Errors: the
  // directory or a file cannot be opened (its errno's status), a file over
  // 4 MiB (FailedPrecondition), no index.html (NotFound).
  static absl::StatusOr<ConsoleFiles> Load(const std::string& dir);
  // A one-page console saying where the API is, when no directory is set.
  static ConsoleFiles Placeholder();

  // The file named `name` ("" is index.html), or null.
  const File* Find(const std::string& name) const;

  // Response headers of every console file: the page may load only its own
  // files and talk only to its own origin, and is never framed.
  static const std::vector<std::pair<std::string, std::string>>& Headers();

 private:
  std::map<std::string, File> files_;
};

}  // namespace sluice::edge

#endif  // SLUICE_SERVICES_EDGE_CONSOLE_FILES_H_

#ifndef SLUICE_COMMON_STATUS_HTTP_ERROR_H_
#define SLUICE_COMMON_STATUS_HTTP_ERROR_H_

#include <string>

#include "absl/status/status.h"

namespace sluice {

// An error as the HTTP APIs answer it:
//   <http_status> {"error":{"code":"<code>","message":"<message>"}}
struct HttpError {
  int http_status;
  std::string code;
  std::string message;
  // Seconds for a Retry-After header; 0 for none.
  int retry_after = 0;

  std::string ToJson() const;
};

// The one place where a Status becomes an HTTP answer. Codes a client cannot
// have caused (internal, unknown, data loss) become 500; everything a client
// sent maps to a 4xx; unavailable backends to 503 with Retry-After.
HttpError ToHttpError(const absl::Status& status);

}  // namespace sluice

#endif  // SLUICE_COMMON_STATUS_HTTP_ERROR_H_

#include "common/status/http_error.h"

#include <nlohmann/json.hpp>

#include "common/status/error_code.h"

namespace sluice {

std::string HttpError::ToJson() const {
  nlohmann::json body = {{"error", {{"code", code}, {"message", message}}}};
  // Replace invalid UTF-8 rather than throw: messages may quote client input.
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

HttpError ToHttpError(const absl::Status& status) {
  HttpError error{500, "internal", std::string(status.message())};
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      error.http_status = 400;
      error.code = "invalid_request";
      break;
    case absl::StatusCode::kUnauthenticated:
      error.http_status = 401;
      error.code = "unauthorized";
      break;
    case absl::StatusCode::kPermissionDenied:
      error.http_status = 403;
      error.code = "forbidden";
      break;
    case absl::StatusCode::kNotFound:
      error.http_status = 404;
      error.code = "not_found";
      break;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
      error.http_status = 409;
      error.code = "conflict";
      break;
    case absl::StatusCode::kFailedPrecondition:
      error.http_status = 409;
      error.code = "failed_precondition";
      break;
    case absl::StatusCode::kResourceExhausted:
      error.http_status = 429;
      error.code = "rate_limited";
      error.retry_after = 60;
      break;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kCancelled:
      error.http_status = 503;
      error.code = "unavailable";
      error.retry_after = 3;
      break;
    case absl::StatusCode::kUnimplemented:
      error.http_status = 501;
      error.code = "not_implemented";
      break;
    default:
      error.message = "internal error";
      break;
  }
  if (std::string code = ErrorCodeOf(status); !code.empty()) {
    error.code = code;
  }
  return error;
}

}  // namespace sluice

#include "common/status/http_error.h"

#include <nlohmann/json.hpp>
#include <utility>

#include "common/status/error_code.h"

namespace sluice {
namespace {

// API error codes whose HTTP status is not the one of their Status code.
constexpr std::pair<const char*, int> kStatusOfCode[] = {
    {"method_not_allowed", 405},     {"body_too_large", 413},
    {"too_many_rows", 413},          {"request_too_large", 413},
    {"unsupported_media_type", 415}, {"script_rejected", 422},
};

}  // namespace

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
      // gRPC's answer to an oversized message; a backend out of memory or
      // streams is as good as unavailable.
      error.http_status = 503;
      error.code = "unavailable";
      error.retry_after = 3;
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
    for (const auto& [api_code, http_status] : kStatusOfCode) {
      if (code == api_code) error.http_status = http_status;
    }
    if (error.http_status == 413 || error.http_status == 415) {
      error.retry_after = 0;
    }
  }
  return error;
}

}  // namespace sluice

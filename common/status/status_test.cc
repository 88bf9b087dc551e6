#include <gtest/gtest.h>

#include "common/status/error_code.h"
#include "common/status/grpc_status.h"
#include "common/status/http_error.h"
#include "common/status/status_macros.h"

namespace sluice {
namespace {

TEST(HttpErrorTest, MapsCodesToStatuses) {
  EXPECT_EQ(ToHttpError(absl::InvalidArgumentError("x")).http_status, 400);
  EXPECT_EQ(ToHttpError(absl::UnauthenticatedError("x")).http_status, 401);
  EXPECT_EQ(ToHttpError(absl::NotFoundError("x")).http_status, 404);
  EXPECT_EQ(ToHttpError(absl::AlreadyExistsError("x")).http_status, 409);
  HttpError unavailable = ToHttpError(absl::UnavailableError("db down"));
  EXPECT_EQ(unavailable.http_status, 503);
  EXPECT_GT(unavailable.retry_after, 0);
}

TEST(HttpErrorTest, InternalErrorsHideTheirMessage) {
  HttpError error = ToHttpError(absl::InternalError("secret detail"));
  EXPECT_EQ(error.http_status, 500);
  EXPECT_EQ(error.message, "internal error");
}

TEST(HttpErrorTest, ErrorCodePayloadWins) {
  HttpError error =
      ToHttpError(InvalidArgumentError("malformed_json", "bad at offset 3"));
  EXPECT_EQ(error.code, "malformed_json");
  EXPECT_EQ(
      error.ToJson(),
      R"({"error":{"code":"malformed_json","message":"bad at offset 3"}})");
}

TEST(HttpErrorTest, SizeErrorsAre413NeverARateLimit) {
  HttpError rows = ToHttpError(
      InvalidArgumentError("too_many_rows", "more than 100000 rows"));
  EXPECT_EQ(rows.http_status, 413);
  EXPECT_EQ(rows.retry_after, 0);
  // gRPC refusing an oversized message.
  absl::Status grpc_size = FromGrpcStatus(grpc::Status(
      grpc::StatusCode::RESOURCE_EXHAUSTED,
      "Sent message larger than max (70000000 vs. 67108864)"));
  HttpError size = ToHttpError(grpc_size);
  EXPECT_EQ(size.http_status, 413);
  EXPECT_EQ(size.code, "request_too_large");
  EXPECT_EQ(size.retry_after, 0);
  // Any other exhaustion is a busy backend: come back later.
  HttpError busy = ToHttpError(absl::ResourceExhaustedError("memory quota"));
  EXPECT_EQ(busy.http_status, 503);
  EXPECT_GT(busy.retry_after, 0);
  EXPECT_EQ(ToHttpError(InvalidArgumentError("unsupported_media_type", "x"))
                .http_status,
            415);
}

TEST(HttpErrorTest, InvalidUtf8InMessageIsReplaced) {
  HttpError error{400, "x", std::string("bad \xff byte")};
  EXPECT_NE(error.ToJson().find("bad"), std::string::npos);
}

TEST(GrpcStatusTest, RoundTripKeepsCodeMessageAndErrorCode) {
  absl::Status original =
      InvalidArgumentError("type_mismatch", "records[2].id");
  absl::Status back = FromGrpcStatus(ToGrpcStatus(original));
  EXPECT_EQ(back.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(back.message(), "records[2].id");
  EXPECT_EQ(ErrorCodeOf(back), "type_mismatch");
}

TEST(GrpcStatusTest, DeadlineBecomesUnavailable) {
  absl::Status back = FromGrpcStatus(
      grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "Deadline Exceeded"));
  EXPECT_EQ(back.code(), absl::StatusCode::kUnavailable);
}

absl::StatusOr<int> Half(int n) {
  if (n % 2 != 0) return absl::InvalidArgumentError("odd");
  return n / 2;
}

absl::Status Quarter(int n, int* out) {
  SLUICE_ASSIGN_OR_RETURN(int half, Half(n));
  SLUICE_ASSIGN_OR_RETURN(*out, Half(half));
  return absl::OkStatus();
}

TEST(StatusMacrosTest, AssignOrReturnPropagates) {
  int out = 0;
  EXPECT_TRUE(Quarter(8, &out).ok());
  EXPECT_EQ(out, 2);
  EXPECT_EQ(Quarter(6, &out).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sluice

#include "common/mysql/mysql_pool.h"

#include <cppconn/exception.h>
#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(MySqlPoolTest, QuoteIdentifierDoublesBackticks) {
  EXPECT_EQ(QuoteIdentifier("orders"), "`orders`");
  EXPECT_EQ(QuoteIdentifier("a`b"), "`a``b`");
}

TEST(MySqlPoolTest, ExceptionsMapToStatusCodes) {
  EXPECT_EQ(
      StatusFromSqlException(sql::SQLException("gone", "HY000", 2006)).code(),
      absl::StatusCode::kUnavailable);
  EXPECT_EQ(StatusFromSqlException(sql::SQLException("deadlock", "40001", 1213))
                .code(),
            absl::StatusCode::kAborted);
  EXPECT_EQ(
      StatusFromSqlException(sql::SQLException("dup", "23000", 1062)).code(),
      absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(
      StatusFromSqlException(sql::SQLException("long", "22001", 1406)).code(),
      absl::StatusCode::kInvalidArgument);
}

TEST(MySqlPoolTest, MessagesNeverCarryTheServersText) {
  const std::string secret_row = "Duplicate entry 'customer@example.com'";
  for (int code : {1062, 1213, 1050, 1406, 1146, 2006, 1118, 9999}) {
    absl::Status status =
        StatusFromSqlException(sql::SQLException(secret_row, "23000", code));
    EXPECT_EQ(status.message().find("customer@example.com"),
              absl::string_view::npos)
        << status;
    EXPECT_NE(status.message().find(std::to_string(code)),
              absl::string_view::npos)
        << status;
  }
}

TEST(MySqlPoolTest, RefusedConnectionIsUnavailable) {
  MySqlOptions options;
  options.port = 1;  // nothing listens there
  options.database = "nothing";
  MySqlPool pool(options);
  absl::Status status = pool.Ping();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
}

}  // namespace
}  // namespace sluice

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

#include "common/mapping/timestamp.h"

#include <gtest/gtest.h>

namespace sluice::mapping {
namespace {

TEST(TimestampTest, ZonelessIsUtc) {
  auto t = ParseIso8601("2024-03-01T12:34:56.123456");
  ASSERT_TRUE(t);
  EXPECT_EQ(FormatIso8601(*t), "2024-03-01T12:34:56.123456Z");
  EXPECT_EQ(FormatSqlDatetime(*t), "2024-03-01 12:34:56.123456");
}

TEST(TimestampTest, OffsetsBecomeTheUtcInstant) {
  EXPECT_EQ(FormatIso8601(*ParseIso8601("2024-03-01T01:00:00+02:00")),
            "2024-02-29T23:00:00.000000Z");
  EXPECT_EQ(FormatIso8601(*ParseIso8601("2024-03-01T01:00:00-0130")),
            "2024-03-01T02:30:00.000000Z");
  EXPECT_EQ(*ParseIso8601("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*ParseIso8601("1970-01-01 00:00"), 0);
}

TEST(TimestampTest, FractionsKeepMicroseconds) {
  EXPECT_EQ(*ParseIso8601("1970-01-01T00:00:00.5Z"), 500000);
  EXPECT_EQ(*ParseIso8601("1970-01-01T00:00:00.123456789Z"), 123456);
}

TEST(TimestampTest, RejectsWhatIsNotATimestamp) {
  for (const char* bad :
       {"", "2024", "2024-02-30T00:00:00", "2023-02-29T00:00:00",
        "2024-13-01T00:00:00", "2024-01-01T24:00:00", "2024-01-01T00:00:00X",
        "hello world", "0999-01-01T00:00:00", "2024-01-01T00:00:00.Z"}) {
    EXPECT_FALSE(ParseIso8601(bad)) << bad;
  }
  EXPECT_TRUE(ParseIso8601("2024-02-29T00:00:00"));
}

TEST(TimestampTest, BeforeEpochFormatsCorrectly) {
  auto t = ParseIso8601("1969-12-31T23:59:59.999999Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(*t, -1);
  EXPECT_EQ(FormatIso8601(*t), "1969-12-31T23:59:59.999999Z");
}

}  // namespace
}  // namespace sluice::mapping

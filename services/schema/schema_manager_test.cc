#include "services/schema/schema_manager.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(ParseRetentionTest, AcceptsTheDocumentedUnits) {
  EXPECT_EQ(ParseRetention(""), 0);
  EXPECT_EQ(ParseRetention("45s"), 45);
  EXPECT_EQ(ParseRetention("90m"), 5400);
  EXPECT_EQ(ParseRetention("12h"), 43200);
  EXPECT_EQ(ParseRetention("30d"), 2592000);
}

TEST(ParseRetentionTest, RejectsEverythingElse) {
  for (const char* bad :
       {"0s", "-1d", "d", "10", "10w", "1.5h", "+5m", " 5m", "99999999999d"}) {
    EXPECT_FALSE(ParseRetention(bad)) << bad;
  }
}

}  // namespace
}  // namespace sluice

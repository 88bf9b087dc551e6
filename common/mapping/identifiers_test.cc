#include "common/mapping/identifiers.h"

#include <gtest/gtest.h>

namespace sluice::mapping {
namespace {

TEST(IdentifiersTest, SanitizesHostileNames) {
  EXPECT_EQ(SanitizeIdentifier("order id"), "order_id");
  EXPECT_EQ(SanitizeIdentifier("x`; DROP TABLE t; --"), "x___DROP_TABLE_t____");
  EXPECT_EQ(SanitizeIdentifier(""), "_");
  EXPECT_EQ(SanitizeIdentifier("caf\xc3\xa9"), "caf__");
  EXPECT_EQ(SanitizeIdentifier(std::string(100000, 'k')).size(),
            kMaxIdentifierLength);
}

TEST(IdentifiersTest, CollisionsBecomeUniqueCaseInsensitively) {
  UniqueNames names;
  names.Reserve("lastModified");
  EXPECT_EQ(names.Take("a-b"), "a_b");
  EXPECT_EQ(names.Take("a b"), "a_b_2");
  EXPECT_EQ(names.Take("A_B"), "A_B_3");
  EXPECT_EQ(names.Take("LASTMODIFIED"), "LASTMODIFIED_2");
  std::string long_name(70, 'z');
  std::string first = names.Take(long_name);
  std::string second = names.Take(long_name);
  EXPECT_EQ(first.size(), 64u);
  EXPECT_EQ(second.size(), 64u);
  EXPECT_NE(first, second);
}

}  // namespace
}  // namespace sluice::mapping

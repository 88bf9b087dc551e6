#include "common/mapping/json_path.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice::mapping {
namespace {

TEST(JsonPathTest, PathsRoundTripEveryKey) {
  for (const std::vector<std::string>& keys :
       std::vector<std::vector<std::string>>{{},
                                             {""},
                                             {"", ""},
                                             {"a"},
                                             {"a.b"},
                                             {"a", ""},
                                             {"\\"},
                                             {"\\0"},
                                             {"0"},
                                             {".", "\\.", ""}}) {
    EXPECT_EQ(SplitPath(JoinPath(keys)), keys) << JoinPath(keys);
  }
  EXPECT_EQ(JoinPath({""}), "\\0");
  EXPECT_NE(JoinPath({""}), JoinPath({}));
  // Paths written before the empty-key escape still read the same.
  EXPECT_EQ(SplitPath("a.b\\.c"), (std::vector<std::string>{"a", "b.c"}));
}

TEST(JsonPathTest, PointersFollowRfc6901) {
  EXPECT_EQ(AppendPointer("", "a/b~c"), "/a~1b~0c");
  EXPECT_EQ(AppendPointerIndex(AppendPointer("", ""), 3), "//3");
  EXPECT_EQ(PointerOfPath("a.b\\.c"), "/a/b.c");
  EXPECT_EQ(SplitPointer("/a~1b~0c/0//"),
            (std::vector<std::string>{"a/b~c", "0", "", ""}));
  EXPECT_EQ(SplitPointer(""), std::vector<std::string>{});
  EXPECT_EQ(SplitPointer("a.b"), std::nullopt);
  EXPECT_EQ(SplitPointer("/a~2"), std::nullopt);
  EXPECT_EQ(SplitPointer("/a~"), std::nullopt);
}

TEST(JsonPathTest, DepthScanIgnoresStringsAndNeverRecurses) {
  EXPECT_FALSE(JsonNestsDeeperThan(R"({"a":[1,{"b":2}]})", 3));
  EXPECT_TRUE(JsonNestsDeeperThan(R"({"a":[1,{"b":2}]})", 2));
  EXPECT_FALSE(JsonNestsDeeperThan(R"({"a":"[[[[[\"[[[["})", 1));
  std::string deep = std::string(1000000, '[') + std::string(1000000, ']');
  EXPECT_TRUE(JsonNestsDeeperThan(deep, 64));
  EXPECT_FALSE(JsonNestsDeeperThan(deep, 1000000));
}

}  // namespace
TEST(JsonPath, FitUtf8KeepsTextValidAndShort) {
  EXPECT_EQ(FitUtf8("plain", 100), "plain");
  EXPECT_EQ(FitUtf8("bad \xff\xfe byte", 100),
            "bad \xef\xbf\xbd\xef\xbf\xbd byte");
  EXPECT_EQ(FitUtf8("\xed\xa0\x80", 100), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(FitUtf8("\xc3\xa9\xf0\x9f\x98\x80", 100), "\xc3\xa9\xf0\x9f\x98\x80");
  // Cut at a character boundary, never inside one.
  EXPECT_EQ(FitUtf8("ab\xf0\x9f\x98\x80", 4), "ab");
  EXPECT_EQ(FitUtf8(std::string(10000, 'x'), 4096).size(), 4096u);
}

}  // namespace sluice::mapping

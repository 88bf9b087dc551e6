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
}  // namespace sluice::mapping

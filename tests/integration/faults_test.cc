// Faults from the start (DESIGN §7): a backend down means a fast 503 with
// Retry-After and nothing written; once it is back the next request
// succeeds with nothing restarted; data survives a full restart.
#include <gtest/gtest.h>

#include "tests/integration/listener_fixture.h"

namespace sluice::testing {
namespace {

class FaultsTest : public ListenerTest {
 protected:
  void TearDown() override {
    // Leave the stack whole for the next test whatever happened here.
    stack_.Start("mariadb");
    stack_.Start("storage");
    EXPECT_TRUE(stack_.WaitReady("storage", std::chrono::seconds(30)));
    EXPECT_TRUE(stack_.WaitReady("edge", std::chrono::seconds(30)));
    EXPECT_TRUE(stack_.WaitReady("schema", std::chrono::seconds(30)));
    EXPECT_TRUE(stack_.WaitReady("retention", std::chrono::seconds(30)));
  }

  void ExpectUnavailable(HttpResponse r) {
    ExpectError(r, 503, "unavailable", "");
    EXPECT_FALSE(r.headers["retry-after"].empty()) << "503 without Retry-After";
    // Fast: a sender must not wait out its own timeout (UXI retries after 3 s).
    EXPECT_LT(r.seconds, 3.0) << "503 took " << r.seconds << " s";
    std::cout << "503 answered in " << r.seconds * 1000 << " ms\n";
  }
};

TEST_F(FaultsTest, StorageDownIsAFast503AndRecoversWithoutRestarts) {
  TestListener l = TokenListener();
  ASSERT_EQ(Post(l, R"({"id":1,"name":"before"})").status, 200);
  stack_.Stop("storage");
  ExpectUnavailable(Post(l, R"({"id":2,"name":"during"})"));
  stack_.Start("storage");
  ASSERT_TRUE(stack_.WaitReady("storage", std::chrono::seconds(30)));
  ASSERT_TRUE(stack_.WaitReady("edge", std::chrono::seconds(30)));
  HttpResponse after = Post(l, R"({"id":3,"name":"after"})");
  EXPECT_EQ(after.status, 200) << after.body;
  auto rows = stack_.Query("SELECT id FROM sluice_data." + l.base_name +
                           " ORDER BY id");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][0], "1");
  EXPECT_EQ(rows[1][0], "3");
}

TEST_F(FaultsTest, DatabaseDownIsAFast503AndRecoversWithoutRestarts) {
  TestListener l =
      CreateListener({{"method", "none"}},
                     {{"id", 1}, {"items", json::array({{{"sku", "a"}}})}});
  // Warm the storage pool so it holds connections that the restart kills.
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(Post(l, "{\"id\":" + std::to_string(i) +
                          ",\"items\":[{\"sku\":\"x\"}]}")
                  .status,
              200);
  }
  stack_.Stop("mariadb");
  ExpectUnavailable(Post(l, R"({"id":10,"items":[{"sku":"y"},{"sku":"z"}]})"));
  stack_.Start("mariadb");
  ASSERT_TRUE(stack_.WaitReady("storage", std::chrono::seconds(30)));
  HttpResponse after = Post(l, R"({"id":11,"items":[{"sku":"w"}]})");
  EXPECT_EQ(after.status, 200) << after.body;
  // Nothing of the refused request, everything of the others.
  EXPECT_EQ(Count(l), "4");
  EXPECT_EQ(Count(l, "_items"), "4");
  EXPECT_EQ(stack_.Query("SELECT COUNT(*) FROM sluice_data." + l.base_name +
                         " WHERE id = 10")[0][0],
            "0");
}

TEST_F(FaultsTest, DataSurvivesAFullRestart) {
  TestListener l = TokenListener();
  ASSERT_EQ(Post(l, R"({"id":7,"name":"durable"})").status, 200);
  stack_.Restart();
  HttpResponse back = stack_.Admin("GET", l.admin_path + "/records/7");
  ASSERT_EQ(back.status, 200) << back.body;
  EXPECT_EQ(json::parse(back.body)["name"], "durable");
  // The listener and its token still work after the restart.
  EXPECT_EQ(Post(l, R"({"id":8,"name":"again"})").status, 200);
}

}  // namespace
}  // namespace sluice::testing

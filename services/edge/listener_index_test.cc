#include "services/edge/listener_index.h"

#include <gtest/gtest.h>

#include <map>

namespace sluice::edge {
namespace {

using Lookup = ListenerIndex::Lookup;

class ListenerIndexTest : public ::testing::Test {
 protected:
  ListenerIndex index_{
      [this](const std::string& known) -> absl::StatusOr<v1::ListenerIndex> {
        ++fetches_;
        if (!up_) return absl::UnavailableError("schema is down");
        v1::ListenerIndex out;
        out.set_digest(digest_);
        if (known == digest_) {
          out.set_unchanged(true);
          return out;
        }
        for (const auto& [l, i] : listeners_) {
          auto* ref = out.add_listeners();
          ref->set_listener_uuid(l);
          ref->set_integration_uuid(i);
        }
        return out;
      },
      std::chrono::milliseconds(1000), std::chrono::seconds(10),
      [this] { return now_; }};
  std::map<std::string, std::string> listeners_{{"l1", "i1"}};
  std::string digest_ = "d1";
  bool up_ = true;
  int fetches_ = 0;
  std::chrono::steady_clock::time_point now_{};
};

TEST_F(ListenerIndexTest, UnknownListenersAreKnownToBeUnknown) {
  EXPECT_EQ(index_.Find("i1", "l1"), Lookup::kStale);  // nothing loaded yet
  ASSERT_TRUE(index_.Refresh().ok());
  EXPECT_EQ(index_.Find("i1", "l1"), Lookup::kKnown);
  EXPECT_EQ(index_.Find("i1", "random"), Lookup::kUnknown);
  EXPECT_EQ(index_.Find("i2", "l1"), Lookup::kUnknown);  // other integration
}

TEST_F(ListenerIndexTest, ChangesArriveWithTheNextPoll) {
  ASSERT_TRUE(index_.Refresh().ok());
  listeners_["l2"] = "i1";
  digest_ = "d2";
  EXPECT_EQ(index_.Find("i1", "l2"), Lookup::kUnknown);
  ASSERT_TRUE(index_.Refresh().ok());
  EXPECT_EQ(index_.Find("i1", "l2"), Lookup::kKnown);
}

TEST_F(ListenerIndexTest, LocalChangesCountAtOnceEvenAgainstAnOlderFetch) {
  ASSERT_TRUE(index_.Refresh().ok());
  index_.Add("i1", "new");
  index_.Remove("l1");
  EXPECT_EQ(index_.Find("i1", "new"), Lookup::kKnown);
  EXPECT_EQ(index_.Find("i1", "l1"), Lookup::kUnknown);
  // A fetch that predates both changes does not undo them…
  digest_ = "d-old";
  ASSERT_TRUE(index_.Refresh().ok());
  EXPECT_EQ(index_.Find("i1", "new"), Lookup::kKnown);
  EXPECT_EQ(index_.Find("i1", "l1"), Lookup::kUnknown);
  // …nor does one from a replica that shows and then forgets them…
  listeners_ = {{"new", "i1"}};
  digest_ = "d3";
  ASSERT_TRUE(index_.Refresh().ok());
  listeners_ = {};
  digest_ = "d4";
  ASSERT_TRUE(index_.Refresh().ok());
  EXPECT_EQ(index_.Find("i1", "new"), Lookup::kKnown);
  // …and after 10 s the schema's index decides alone.
  now_ += std::chrono::seconds(11);
  ASSERT_TRUE(index_.Refresh().ok());
  EXPECT_EQ(index_.Find("i1", "new"), Lookup::kUnknown);
}

TEST_F(ListenerIndexTest, AnIndexThatCannotBeRefreshedGoesStale) {
  ASSERT_TRUE(index_.Refresh().ok());
  up_ = false;
  EXPECT_FALSE(index_.Refresh().ok());
  now_ += std::chrono::seconds(5);
  EXPECT_EQ(index_.Find("i1", "random"), Lookup::kUnknown);
  now_ += std::chrono::seconds(6);
  EXPECT_EQ(index_.Find("i1", "random"), Lookup::kStale);
  up_ = true;
  ASSERT_TRUE(index_.Refresh().ok());
  EXPECT_EQ(index_.Find("i1", "random"), Lookup::kUnknown);
}

}  // namespace
}  // namespace sluice::edge

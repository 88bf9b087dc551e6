#include "services/storage/group_commit.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace sluice {
namespace {

// A write against a fake database: `committed` holds what a commit made
// durable; the item learns its outcome from the group.
struct Item {
  int id = 0;
  bool fail = false;  // this item's own statements fail
  bool ok = false;    // the outcome the group gave it
};

GroupCommit<Item>::Options Options(size_t items, size_t weight, int groups) {
  GroupCommit<Item>::Options o;
  o.max_items = items;
  o.max_weight = weight;
  o.max_groups = groups;
  return o;
}

struct FakeDatabase {
  std::mutex mu;
  std::set<int> committed;
  std::vector<size_t> group_sizes;
};

TEST(GroupCommitTest, ConcurrentWritesShareGroupsAndEachGetsItsOwnOutcome) {
  FakeDatabase db;
  std::atomic<bool> first{true};
  std::atomic<int> queued{0};
  GroupCommit<Item> commit(
      [&](const std::vector<Item*>& group) {
        // The first group holds its "transaction" open until every other
        // writer has queued behind it.
        if (first.exchange(false)) {
          while (queued.load() < 32) std::this_thread::yield();
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        std::lock_guard<std::mutex> lock(db.mu);
        db.group_sizes.push_back(group.size());
        for (Item* item : group) {
          item->ok = !item->fail;  // a failing item is rolled back alone
          if (item->ok) db.committed.insert(item->id);
        }
      },
      Options(256, 4000, 1));
  std::vector<Item> items(32);
  std::vector<std::thread> writers;
  for (int i = 0; i < 32; ++i) {
    items[i].id = i;
    items[i].fail = i % 5 == 3;
    writers.emplace_back([&, i] {
      queued.fetch_add(1);
      commit.Submit(&items[i], 1);
    });
  }
  for (auto& w : writers) w.join();
  for (const Item& item : items) {
    EXPECT_EQ(item.ok, !item.fail) << item.id;
    EXPECT_EQ(db.committed.count(item.id), item.fail ? 0u : 1u) << item.id;
  }
  size_t total = 0;
  for (size_t size : db.group_sizes) total += size;
  EXPECT_EQ(total, 32u);
  // At least the writers queued behind the first group went in together.
  EXPECT_LT(db.group_sizes.size(), 32u);
  EXPECT_EQ(commit.groups(), db.group_sizes.size());
}

TEST(GroupCommitTest, NoWriterReturnsBeforeTheCommitThatHoldsIt) {
  FakeDatabase db;
  GroupCommit<Item> commit(
      [&](const std::vector<Item*>& group) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        std::lock_guard<std::mutex> lock(db.mu);
        for (Item* item : group) {
          item->ok = true;
          db.committed.insert(item->id);
        }
      },
      Options(8, 4000, 3));
  std::atomic<int> early{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < 16; ++t) {
    writers.emplace_back([&, t] {
      for (int n = 0; n < 50; ++n) {
        Item item;
        item.id = t * 1000 + n;
        commit.Submit(&item, 1);
        std::lock_guard<std::mutex> lock(db.mu);
        if (!item.ok || !db.committed.count(item.id)) early.fetch_add(1);
      }
    });
  }
  for (auto& w : writers) w.join();
  EXPECT_EQ(early.load(), 0);
  EXPECT_EQ(db.committed.size(), 16u * 50u);
}

TEST(GroupCommitTest, ACrashedGroupLosesOnlyWhatWasNeverAcknowledged) {
  // Every third group "crashes" before its commit: the database keeps
  // nothing of it and its writers are told so. Whatever was acknowledged is
  // in the database; nothing of a crashed group is.
  FakeDatabase db;
  std::atomic<int> groups{0};
  GroupCommit<Item> commit(
      [&](const std::vector<Item*>& group) {
        bool crash = groups.fetch_add(1) % 3 == 2;
        std::lock_guard<std::mutex> lock(db.mu);
        for (Item* item : group) {
          item->ok = !crash;
          if (!crash) db.committed.insert(item->id);
        }
      },
      Options(4, 4000, 2));
  std::mutex acked_mu;
  std::set<int> acked, refused;
  std::vector<std::thread> writers;
  for (int t = 0; t < 8; ++t) {
    writers.emplace_back([&, t] {
      for (int n = 0; n < 100; ++n) {
        Item item;
        item.id = t * 1000 + n;
        commit.Submit(&item, 1);
        std::lock_guard<std::mutex> lock(acked_mu);
        (item.ok ? acked : refused).insert(item.id);
      }
    });
  }
  for (auto& w : writers) w.join();
  EXPECT_EQ(acked.size() + refused.size(), 800u);
  EXPECT_FALSE(refused.empty());
  EXPECT_EQ(acked, db.committed);
}

TEST(GroupCommitTest, GroupsStayWithinTheirBounds) {
  std::mutex mu;
  std::vector<std::pair<size_t, size_t>> groups;  // items, weight
  std::atomic<int> running{0}, most_running{0};
  GroupCommit<Item> commit(
      [&](const std::vector<Item*>& group) {
        int now = running.fetch_add(1) + 1;
        int seen = most_running.load();
        while (now > seen && !most_running.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        size_t weight = 0;
        for (Item* item : group) weight += item->id;
        {
          std::lock_guard<std::mutex> lock(mu);
          groups.emplace_back(group.size(), weight);
        }
        running.fetch_sub(1);
      },
      Options(5, 100, 2));
  std::vector<std::thread> writers;
  for (int t = 0; t < 12; ++t) {
    writers.emplace_back([&, t] {
      for (int n = 0; n < 30; ++n) {
        // Weights 10 and, now and then, one over the whole bound.
        Item item;
        item.id = (t + n) % 7 == 0 ? 150 : 10;
        commit.Submit(&item, item.id);
      }
    });
  }
  for (auto& w : writers) w.join();
  size_t items = 0;
  for (auto [size, weight] : groups) {
    items += size;
    EXPECT_LE(size, 5u);
    // A heavy write goes alone; others stay within the weight bound.
    if (weight > 100) {
      EXPECT_EQ(size, 1u);
    }
  }
  EXPECT_EQ(items, 12u * 30u);
  EXPECT_LE(most_running.load(), 2);
}

}  // namespace
}  // namespace sluice

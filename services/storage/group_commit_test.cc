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
  // Set by `done`.
  std::mutex mu;
  std::condition_variable cv;
  bool answered = false;

  void Answer() {
    std::lock_guard<std::mutex> lock(mu);
    answered = true;
    cv.notify_one();
  }
  void WaitForAnswer() {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return answered; });
  }
};

void Answer(Item* item) { item->Answer(); }

// Queues `item` and waits for its answer, as a blocking caller would.
void Submit(GroupCommit<Item>& commit, Item* item, size_t weight) {
  ASSERT_TRUE(commit.Enqueue(item, weight));
  item->WaitForAnswer();
}

GroupCommit<Item>::Options Options(size_t items, size_t weight, int committers,
                                   size_t max_queued = 0) {
  GroupCommit<Item>::Options o;
  o.max_items = items;
  o.max_weight = weight;
  o.committers = committers;
  o.max_queued_weight = max_queued;
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
        }
        std::lock_guard<std::mutex> lock(db.mu);
        db.group_sizes.push_back(group.size());
        for (Item* item : group) {
          item->ok = !item->fail;  // a failing item is rolled back alone
          if (item->ok) db.committed.insert(item->id);
        }
      },
      Answer, Options(256, 4000, 1));
  std::vector<Item> items(32);
  std::vector<std::thread> writers;
  for (int i = 0; i < 32; ++i) {
    items[i].id = i;
    items[i].fail = i % 5 == 3;
    writers.emplace_back([&, i] {
      ASSERT_TRUE(commit.Enqueue(&items[i], 1));
      queued.fetch_add(1);
      items[i].WaitForAnswer();
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
  // Every writer queued behind the first group went in the second (or all
  // were queued before the committer woke: one group).
  EXPECT_LE(db.group_sizes.size(), 2u);
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
      Answer, Options(8, 4000, 3));
  std::atomic<int> early{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < 16; ++t) {
    writers.emplace_back([&, t] {
      for (int n = 0; n < 50; ++n) {
        Item item;
        item.id = t * 1000 + n;
        Submit(commit, &item, 1);
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
      Answer, Options(4, 4000, 2));
  std::mutex acked_mu;
  std::set<int> acked, refused;
  std::vector<std::thread> writers;
  for (int t = 0; t < 8; ++t) {
    writers.emplace_back([&, t] {
      for (int n = 0; n < 100; ++n) {
        Item item;
        item.id = t * 1000 + n;
        Submit(commit, &item, 1);
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
      Answer, Options(5, 100, 2));
  std::vector<std::thread> writers;
  for (int t = 0; t < 12; ++t) {
    writers.emplace_back([&, t] {
      for (int n = 0; n < 30; ++n) {
        // Weights 10 and, now and then, one over the whole bound.
        Item item;
        item.id = (t + n) % 7 == 0 ? 150 : 10;
        Submit(commit, &item, item.id);
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

TEST(GroupCommitTest, AFullQueueRefusesAndWhatItTookIsAnsweredAtShutdown) {
  std::atomic<bool> release{false};
  std::atomic<int> run{0};
  std::vector<Item> items(20);
  {
    GroupCommit<Item> commit(
        [&](const std::vector<Item*>& group) {
          while (!release) std::this_thread::yield();
          for (Item* item : group) item->ok = true;
          run.fetch_add(static_cast<int>(group.size()));
        },
        Answer, Options(256, 4000, 1, /*max_queued=*/10));
    int taken = 0, refused = 0;
    for (Item& item : items) (commit.Enqueue(&item, 3) ? taken : refused)++;
    // The committer may hold the first items already; the queue holds up to
    // 10 records' worth (4 of weight 3: the first always fits) beyond them.
    EXPECT_GT(refused, 0);
    EXPECT_LE(taken, 8);
    release = true;
    // Leaving the scope commits what is queued before the threads stop.
    items[0].WaitForAnswer();
    EXPECT_GT(taken, 0);
  }
  int answered = 0;
  for (Item& item : items) answered += item.answered;
  EXPECT_EQ(answered, run.load());
  EXPECT_LE(answered, 8);
}

}  // namespace
}  // namespace sluice

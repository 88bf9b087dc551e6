#include "services/edge/write_batcher.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/status/error_code.h"

namespace sluice::edge {
namespace {

// Storage as the batcher sees it: calls are held until the test answers.
struct FakeStorage {
  struct Call {
    v1::WriteManyRequest request;
    std::function<void(absl::Status, v1::WriteManyResponse&)> finished;
  };
  std::vector<Call> calls;
  size_t answered = 0;

  WriteBatcher::Send Sender() {
    return [this](v1::WriteManyRequest request, auto finished) {
      calls.push_back({std::move(request), std::move(finished)});
    };
  }
  // Answers call `i`: every write OK with its record count.
  void AnswerOk(size_t i) {
    v1::WriteManyResponse response;
    for (const auto& w : calls[i].request.writes())
      response.add_outcomes()->mutable_response()->set_records(w.records_size());
    Answer(i, absl::OkStatus(), response);
  }
  void Answer(size_t i, absl::Status status, v1::WriteManyResponse response) {
    ++answered;
    auto finished = std::move(calls[i].finished);
    finished(status, response);
  }
};

v1::WriteRequest Request(const std::string& listener, int records,
                         size_t padding = 0) {
  v1::WriteRequest r;
  r.set_listener_uuid(listener);
  r.set_idempotency_key(std::string(padding, 'k'));
  for (int i = 0; i < records; ++i) r.add_records();
  return r;
}

struct Answer {
  bool called = false;
  absl::Status status;
  int64_t records = -1;
};

WriteBatcher::Done Into(Answer* a) {
  return [a](absl::Status status, v1::WriteResponse& response) {
    a->called = true;
    a->status = status;
    a->records = response.records();
  };
}

WriteBatcher::Options Options(int in_flight, size_t writes, size_t bytes) {
  WriteBatcher::Options o;
  o.max_in_flight = in_flight;
  o.max_writes = writes;
  o.max_bytes = bytes;
  return o;
}

TEST(WriteBatcherTest, WritesLeaveAloneUntilCallsAreInFlightThenTogether) {
  FakeStorage storage;
  WriteBatcher batcher(storage.Sender(), Options(2, 256, 1 << 20));
  std::vector<Answer> answers(6);
  for (int i = 0; i < 6; ++i) batcher.Write(Request("l", i + 1), Into(&answers[i]));
  // Two calls of one write each; four writes wait.
  ASSERT_EQ(storage.calls.size(), 2u);
  EXPECT_EQ(storage.calls[0].request.writes_size(), 1);
  EXPECT_EQ(storage.calls[1].request.writes_size(), 1);
  EXPECT_FALSE(answers[2].called);
  // When one call returns, everything waiting leaves in the next.
  storage.AnswerOk(0);
  EXPECT_TRUE(answers[0].called);
  EXPECT_EQ(answers[0].records, 1);
  ASSERT_EQ(storage.calls.size(), 3u);
  ASSERT_EQ(storage.calls[2].request.writes_size(), 4);
  EXPECT_EQ(storage.calls[2].request.writes(0).records_size(), 3);
  EXPECT_EQ(storage.calls[2].request.writes(3).records_size(), 6);
  storage.AnswerOk(2);
  storage.AnswerOk(1);
  for (int i = 0; i < 6; ++i) {
    EXPECT_TRUE(answers[i].called) << i;
    EXPECT_TRUE(answers[i].status.ok()) << i;
    EXPECT_EQ(answers[i].records, i + 1) << i;
  }
  EXPECT_EQ(batcher.calls(), 3u);
  // Nothing waits now: the next write leaves at once.
  Answer later;
  batcher.Write(Request("l", 1), Into(&later));
  EXPECT_EQ(storage.calls.size(), 4u);
}

TEST(WriteBatcherTest, EachWriteGetsItsOwnOutcome) {
  FakeStorage storage;
  WriteBatcher batcher(storage.Sender(), Options(1, 256, 1 << 20));
  std::vector<Answer> answers(3);
  for (int i = 0; i < 3; ++i) batcher.Write(Request("l", 1), Into(&answers[i]));
  storage.AnswerOk(0);
  ASSERT_EQ(storage.calls.size(), 2u);
  v1::WriteManyResponse response;
  response.add_outcomes()->mutable_response()->set_records(1);
  v1::WriteOutcome* missing = response.add_outcomes();
  missing->set_code(static_cast<int>(absl::StatusCode::kNotFound));
  missing->set_message("records[0]: no record with key 7");
  missing->set_error_code("record_not_found");
  storage.Answer(1, absl::OkStatus(), response);
  EXPECT_TRUE(answers[1].status.ok());
  EXPECT_EQ(answers[1].records, 1);
  EXPECT_EQ(answers[2].status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(answers[2].status.message(), "records[0]: no record with key 7");
  EXPECT_EQ(ErrorCodeOf(answers[2].status), "record_not_found");
}

TEST(WriteBatcherTest, AFailedCallFailsEachOfItsWritesAndNoOther) {
  FakeStorage storage;
  WriteBatcher batcher(storage.Sender(), Options(1, 256, 1 << 20));
  std::vector<Answer> answers(4);
  for (int i = 0; i < 4; ++i) batcher.Write(Request("l", 1), Into(&answers[i]));
  storage.AnswerOk(0);
  storage.Answer(1, absl::UnavailableError("storage is down"), {});
  for (int i = 1; i < 4; ++i) {
    EXPECT_EQ(answers[i].status.code(), absl::StatusCode::kUnavailable) << i;
  }
  EXPECT_TRUE(answers[0].status.ok());
  // An answer that does not match the call fails its writes too.
  Answer a, b;
  batcher.Write(Request("l", 1), Into(&a));
  batcher.Write(Request("l", 1), Into(&b));
  storage.AnswerOk(2);
  storage.Answer(3, absl::OkStatus(), {});
  EXPECT_EQ(b.status.code(), absl::StatusCode::kInternal);
}

TEST(WriteBatcherTest, CallsStayWithinTheirBoundsAndALargeWriteGoesAlone) {
  FakeStorage storage;
  WriteBatcher batcher(storage.Sender(), Options(1, 3, 1000));
  std::vector<Answer> answers(8);
  batcher.Write(Request("l", 1), Into(&answers[0]));  // in flight
  for (int i = 1; i <= 4; ++i) batcher.Write(Request("l", 1, 100), Into(&answers[i]));
  batcher.Write(Request("l", 1, 5000), Into(&answers[5]));  // over max_bytes
  batcher.Write(Request("l", 1, 100), Into(&answers[6]));
  for (size_t call = 0; call < storage.calls.size(); ++call) storage.AnswerOk(call);
  // [0], then 3 by count, then [4] (the large one would pass max_bytes),
  // then the large one alone, then [6].
  ASSERT_EQ(storage.calls.size(), 5u);
  EXPECT_EQ(storage.calls[1].request.writes_size(), 3);
  EXPECT_EQ(storage.calls[2].request.writes_size(), 1);
  EXPECT_EQ(storage.calls[3].request.writes_size(), 1);
  EXPECT_EQ(storage.calls[3].request.writes(0).idempotency_key().size(), 5000u);
  EXPECT_EQ(storage.calls[4].request.writes_size(), 1);
  for (int i = 0; i <= 6; ++i) EXPECT_TRUE(answers[i].called) << i;
}

}  // namespace
}  // namespace sluice::edge

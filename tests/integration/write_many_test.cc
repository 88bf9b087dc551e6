// Storage's WriteMany over real gRPC against the stack: the writes of one
// call are committed or refused each on its own, on both of its paths
// (listeners whose tables storage has cached, and the first write of one).
#include <grpcpp/grpcpp.h>

#include "common/mapping/record_mapper.h"
#include "common/mapping/table_generator.h"
#include "sluice/v1/storage.grpc.pb.h"
#include "tests/integration/listener_fixture.h"

namespace sluice::testing {
namespace {

class WriteManyTest : public ListenerTest {
 protected:
  void SetUp() override {
    l_ = CreateListener({{"method", "none"}}, {{"id", 1}, {"name", "a"}});
    v1::DataStructure structure;
    structure.set_base_name(l_.base_name);
    structure.add_primary_key("id");
    structure.set_sample_json(R"({"id":1,"name":"a"})");
    ASSERT_TRUE(mapping::GenerateTables(&structure).ok());
    auto mapper = mapping::RecordMapper::Create(structure);
    ASSERT_TRUE(mapper.ok()) << mapper.status();
    mapper_ = *mapper;
    storage_ = v1::StorageService::NewStub(stack_.GrpcChannel(9));
  }

  void Add(v1::WriteManyRequest* request, const std::string& body,
           bool patch = false, const std::string& listener = "") {
    v1::WriteRequest* w = request->add_writes();
    w->set_listener_uuid(listener.empty() ? l_.uuid : listener);
    w->set_mode(patch ? v1::WRITE_MODE_PATCH : v1::WRITE_MODE_UPSERT);
    auto records = mapper_->Map(body, patch);
    ASSERT_TRUE(records.ok()) << records.status();
    for (auto& r : *records) *w->add_records() = std::move(r);
  }

  v1::WriteManyResponse Call(const v1::WriteManyRequest& request) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
    v1::WriteManyResponse response;
    grpc::Status status = storage_->WriteMany(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  TestListener l_;
  std::shared_ptr<const mapping::RecordMapper> mapper_;
  std::unique_ptr<v1::StorageService::Stub> storage_;
};

TEST_F(WriteManyTest, EachWriteOfACallStandsOnItsOwn) {
  // The first call meets tables storage has not cached yet (and a listener
  // it has none for); the second, cached ones.
  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE(round);
    v1::WriteManyRequest request;
    int id = 10 * round;
    Add(&request, "{\"id\":" + std::to_string(id + 1) + ",\"name\":\"x\"}");
    Add(&request, R"({"id":999,"name":"gone"})", /*patch=*/true);
    Add(&request, "{\"id\":" + std::to_string(id + 2) + ",\"name\":\"y\"}");
    if (round == 0) {
      Add(&request, R"({"id":5,"name":"z"})", false,
          "00000000-0000-4000-8000-000000000000");
    }
    v1::WriteManyResponse response = Call(request);
    ASSERT_EQ(response.outcomes_size(), request.writes_size());
    EXPECT_EQ(response.outcomes(0).code(), 0) << response.outcomes(0).message();
    EXPECT_EQ(response.outcomes(0).response().records(), 1);
    EXPECT_EQ(response.outcomes(1).code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_EQ(response.outcomes(1).error_code(), "record_not_found");
    EXPECT_NE(response.outcomes(1).message().find("999"), std::string::npos);
    EXPECT_EQ(response.outcomes(2).code(), 0) << response.outcomes(2).message();
    if (round == 0) {
      EXPECT_EQ(response.outcomes(3).code(), grpc::StatusCode::NOT_FOUND);
    }
  }
  EXPECT_EQ(Count(l_), "4");
}

}  // namespace
}  // namespace sluice::testing

// Every service's ops endpoint and gRPC health service (DESIGN §4 ops, §6).
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "tests/integration/listener_fixture.h"

namespace sluice::testing {
namespace {

class OpsTest : public ListenerTest {};

TEST_F(OpsTest, EveryServiceAnswersHealthReadyAndMetrics) {
  TestListener l = TokenListener();
  ASSERT_EQ(Post(l, R"({"id":1})").status, 200);
  // Ops ports: edge, auth, schema, storage, retention.
  for (int offset : {4, 6, 8, 10, 12}) {
    SCOPED_TRACE(offset);
    std::string base =
        "http://127.0.0.1:" + std::to_string(stack_.port(offset));
    EXPECT_EQ(client_.Send("GET", base + "/healthz").status, 200);
    EXPECT_EQ(client_.Send("GET", base + "/readyz").status, 200);
    HttpResponse metrics = client_.Send("GET", base + "/metrics");
    EXPECT_EQ(metrics.status, 200);
    EXPECT_NE(metrics.body.find("# TYPE sluice_requests_total counter"),
              std::string::npos);
  }
  HttpResponse edge = client_.Send(
      "GET", "http://127.0.0.1:" + std::to_string(stack_.port(4)) + "/metrics");
  EXPECT_NE(edge.body.find("method=\"POST\",code=\"200\""), std::string::npos)
      << edge.body;
  EXPECT_NE(edge.body.find("sluice_request_duration_seconds_bucket"),
            std::string::npos);
  HttpResponse storage = client_.Send(
      "GET",
      "http://127.0.0.1:" + std::to_string(stack_.port(10)) + "/metrics");
  // The edge's ingest writes reach storage as WriteMany calls.
  EXPECT_NE(storage.body.find("method=\"WriteMany\",code=\"0\""),
            std::string::npos)
      << storage.body;
}

TEST_F(OpsTest, ReadinessFollowsTheDatabase) {
  std::string storage_ready =
      "http://127.0.0.1:" + std::to_string(stack_.port(10)) + "/readyz";
  stack_.Stop("mariadb");
  // Readiness is checked in the background a few times a second.
  HttpResponse down;
  for (int i = 0; i < 50; ++i) {
    down = client_.Send("GET", storage_ready);
    if (down.status == 503) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  stack_.Start("mariadb");
  EXPECT_EQ(down.status, 503);
  EXPECT_NE(down.body.find("database unavailable"), std::string::npos)
      << down.body;
  EXPECT_TRUE(stack_.WaitReady("storage", std::chrono::seconds(30)));
}

TEST_F(OpsTest, OpsEndpointsListenOnTheAddressConfigured) {
  // The stack sets SLUICE_OPS_ADDRESS=0.0.0.0, as a pod does for kubelet's
  // probes: the ops ports answer on another address than 127.0.0.1.
  for (int offset : {4, 6, 8, 10, 12}) {
    SCOPED_TRACE(offset);
    HttpResponse r = client_.Send(
        "GET",
        "http://127.0.0.2:" + std::to_string(stack_.port(offset)) + "/healthz");
    EXPECT_EQ(r.status, 200) << r.error;
  }
}

TEST_F(OpsTest, EveryGrpcServerOffersTheHealthService) {
  // grpc.health.v1.Health/Check with an empty request: the overall status.
  for (int offset : {5, 7, 9, 11}) {
    SCOPED_TRACE(offset);
    auto channel = stack_.GrpcChannel(offset);
    grpc::GenericStub stub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(5));
    grpc::ByteBuffer request, response;
    grpc::Slice empty("");
    request = grpc::ByteBuffer(&empty, 1);
    std::promise<grpc::Status> done;
    stub.UnaryCall(&context, "/grpc.health.v1.Health/Check",
                   grpc::StubOptions(), &request, &response,
                   [&](grpc::Status s) { done.set_value(s); });
    grpc::Status status = done.get_future().get();
    ASSERT_TRUE(status.ok()) << status.error_message();
    std::vector<grpc::Slice> slices;
    ASSERT_TRUE(response.Dump(&slices).ok());
    std::string bytes;
    for (auto& s : slices)
      bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    EXPECT_EQ(bytes, std::string("\x08\x01", 2));  // status: SERVING
  }
}

TEST_F(OpsTest, BodiesOverTheFrontsCeilingGetTheJsonError) {
  TestListener l = TokenListener();
  std::string huge(11 * 1024 * 1024, ' ');
  HttpResponse r = Post(l, huge);
  ExpectError(r, 413, "body_too_large", "10485760");
}

}  // namespace
}  // namespace sluice::testing

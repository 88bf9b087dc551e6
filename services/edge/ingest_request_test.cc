#include "services/edge/ingest_request.h"

#include <gtest/gtest.h>

#include <map>

#include "common/mapping/table_generator.h"
#include "common/status/error_code.h"
#include "common/status/http_error.h"

namespace sluice::edge {
namespace {

constexpr char kUuid1[] = "6f1c3a52-9a53-4d0c-8a4e-2b8f2b1f0a11";
constexpr char kUuid2[] = "0C0FFEE0-1111-4222-8333-944455556666";

Lookup From(std::map<std::string, std::string> values) {
  return [values](const std::string& name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

int HttpStatus(const absl::Status& status) {
  return ToHttpError(status).http_status;
}

std::shared_ptr<const mapping::RecordMapper> Mapper(
    const std::string& sample, std::vector<std::string> key) {
  v1::DataStructure s;
  s.set_base_name("t");
  s.set_sample_json(sample);
  for (auto& k : key) s.add_primary_key(k);
  EXPECT_TRUE(mapping::GenerateTables(&s).ok());
  return *mapping::RecordMapper::Create(s);
}

TEST(IngestRequestTest, ListenerPaths) {
  auto path = ParseListenerPath({kUuid1, kUuid2});
  ASSERT_TRUE(path.ok());
  EXPECT_EQ(path->listener, "0c0ffee0-1111-4222-8333-944455556666");
  EXPECT_FALSE(path->record_id);
  EXPECT_EQ(*ParseListenerPath({kUuid1, kUuid2, "42"})->record_id, "42");
  EXPECT_FALSE(ParseListenerPath({kUuid1, kUuid2, ""})->record_id);
  for (const std::vector<std::string>& bad :
       std::vector<std::vector<std::string>>{{},
                                             {kUuid1},
                                             {kUuid1, "x"},
                                             {kUuid1, kUuid2, "1", "2"},
                                             {"../../etc", kUuid2}}) {
    EXPECT_EQ(HttpStatus(ParseListenerPath(bad).status()), 404);
  }
}

TEST(IngestRequestTest, Methods) {
  ListenerPath plain = *ParseListenerPath({kUuid1, kUuid2});
  ListenerPath with_id = *ParseListenerPath({kUuid1, kUuid2, "7"});
  for (const char* m : {"POST", "PUT", "PATCH", "DELETE"}) {
    EXPECT_TRUE(CheckMethod(m, plain).ok()) << m;
  }
  EXPECT_TRUE(CheckMethod("DELETE", with_id).ok());
  EXPECT_EQ(HttpStatus(CheckMethod("GET", plain)), 405);
  EXPECT_EQ(HttpStatus(CheckMethod("POST", with_id)), 405);
  EXPECT_EQ(AllowedMethods(with_id), "DELETE");
  EXPECT_EQ(AllowedMethods(plain), "POST, PUT, PATCH, DELETE");
}

// The message names the methods the path takes, as Allow does.
TEST(IngestRequestTest, A405SaysWhatThePathTakes) {
  ListenerPath with_id = *ParseListenerPath({kUuid1, kUuid2, "7"});
  std::string message(CheckMethod("OPTIONS", with_id).message());
  EXPECT_NE(message.find("use DELETE"), std::string::npos) << message;
  EXPECT_EQ(message.find("POST"), std::string::npos) << message;
  ListenerPath plain = *ParseListenerPath({kUuid1, kUuid2});
  message = std::string(CheckMethod("GET", plain).message());
  EXPECT_NE(message.find("use POST, PUT, PATCH or DELETE"), std::string::npos)
      << message;
}

TEST(IngestRequestTest, SizeAndContentType) {
  EXPECT_TRUE(CheckBodySize(65536, 65536).ok());
  absl::Status over = CheckBodySize(65537, 65536);
  EXPECT_EQ(HttpStatus(over), 413);
  EXPECT_EQ(ErrorCodeOf(over), "body_too_large");
  for (const char* ok : {"application/json", "Application/JSON; charset=UTF-8",
                         "application/json;charset=\"utf-8\""}) {
    EXPECT_TRUE(CheckJsonContentType(std::string(ok)).ok()) << ok;
  }
  for (const std::optional<std::string>& bad :
       {std::optional<std::string>(), std::optional<std::string>("text/json"),
        std::optional<std::string>("application/json; charset=latin1"),
        std::optional<std::string>("application/json; charset=\"")}) {
    EXPECT_EQ(HttpStatus(CheckJsonContentType(bad)), 415);
  }
}

TEST(IngestRequestTest, DeleteKeys) {
  ListenerPath with_id = *ParseListenerPath({kUuid1, kUuid2, "7"});
  ListenerPath plain = *ParseListenerPath({kUuid1, kUuid2});
  EXPECT_EQ(*DeleteKeyText(with_id, {"id"}, From({})),
            std::vector<std::string>{"7"});
  EXPECT_EQ(*DeleteKeyText(plain, {"site", "test"},
                           From({{"site", "a"}, {"test", "b"}})),
            (std::vector<std::string>{"a", "b"}));
  auto missing = DeleteKeyText(plain, {"site", "test"}, From({{"site", "a"}}));
  EXPECT_EQ(HttpStatus(missing.status()), 400);
  EXPECT_NE(missing.status().message().find("missing: test"),
            std::string::npos);
  EXPECT_EQ(ErrorCodeOf(DeleteKeyText(with_id, {"a", "b"}, From({})).status()),
            "invalid_key");
}

TEST(IngestRequestTest, IdempotencyKeys) {
  v1::AuthConfig token;
  token.set_method(v1::AUTH_METHOD_TOKEN);
  v1::AuthConfig standard;
  standard.set_method(v1::AUTH_METHOD_HMAC);
  standard.set_preset("standard-webhooks");
  EXPECT_EQ(*IdempotencyKey(From({{"Idempotency-Key", "k"}}), token), "k");
  EXPECT_EQ(*IdempotencyKey(From({{"webhook-id", "msg_1"}}), token), "");
  EXPECT_EQ(*IdempotencyKey(From({{"webhook-id", "msg_1"}}), standard),
            "msg_1");
  EXPECT_EQ(
      *IdempotencyKey(From({{"webhook-id", "msg_1"}, {"Idempotency-Key", "k"}}),
                      standard),
      "k");
  EXPECT_EQ(
      HttpStatus(IdempotencyKey(
                     From({{"Idempotency-Key", std::string(1025, 'k')}}), token)
                     .status()),
      400);
}

TEST(IngestRequestTest, WriteRequests) {
  auto mapper = Mapper(R"({"id":1,"tags":["a"]})", {"id"});
  auto upsert = BuildWriteRequest("l", *mapper, "POST",
                                  R"([{"id":1},{"id":2,"tags":["x"]}])", "k");
  ASSERT_TRUE(upsert.ok()) << upsert.status();
  EXPECT_EQ(upsert->mode(), v1::WRITE_MODE_UPSERT);
  EXPECT_EQ(upsert->records_size(), 2);
  EXPECT_EQ(upsert->idempotency_key(), "k");
  auto patch = BuildWriteRequest("l", *mapper, "PATCH", R"({"id":1})", "");
  ASSERT_TRUE(patch.ok());
  EXPECT_EQ(patch->mode(), v1::WRITE_MODE_PATCH);
  EXPECT_EQ(HttpStatus(BuildWriteRequest("l", *mapper, "PATCH",
                                         R"([{"id":1},{"id":2}])", "")
                           .status()),
            400);
  EXPECT_EQ(
      HttpStatus(BuildWriteRequest("l", *mapper, "PUT", "{", "").status()),
      400);
}

}  // namespace
}  // namespace sluice::edge

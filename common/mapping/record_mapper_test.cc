#include "common/mapping/record_mapper.h"

#include <gtest/gtest.h>

#include "common/mapping/table_generator.h"
#include "common/status/error_code.h"

namespace sluice::mapping {
namespace {

std::shared_ptr<const RecordMapper> MapperFor(
    const std::string& sample, std::vector<std::string> key,
    const std::string& root_path = "") {
  v1::DataStructure s;
  s.set_base_name("t");
  s.set_root_path(root_path);
  s.set_sample_json(sample);
  for (auto& k : key) s.add_primary_key(k);
  absl::Status status = GenerateTables(&s);
  EXPECT_TRUE(status.ok()) << status;
  auto mapper = RecordMapper::Create(s);
  EXPECT_TRUE(mapper.ok()) << mapper.status();
  return *mapper;
}

const char* kSample =
    R"({"id":1,"name":"a","score":1.5,"ok":true,"at":"2024-01-01T00:00:00Z",
        "address":{"city":"x"},"tags":["a"],"items":[{"sku":"s","qty":1}]})";

TEST(RecordMapperTest, MapsOneRecordWithChildren) {
  auto m = MapperFor(kSample, {"id"});
  auto records = m->Map(
      R"({"id":5,"name":"Bob","score":2,"ok":false,"at":"2024-05-01T10:00:00+02:00",
          "address":{"city":"Oslo"},"tags":["p","q"],"items":[{"sku":"k","qty":3}],"new":1})",
      false);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 1u);
  const v1::Record& r = (*records)[0];
  ASSERT_EQ(r.key_size(), 1);
  EXPECT_EQ(r.key(0).int_value(), 5);
  ASSERT_EQ(r.tables_size(), 3);
  const v1::Row& root = r.tables(0).rows(0);
  EXPECT_EQ(root.values(0).int_value(), 5);
  EXPECT_EQ(root.values(1).string_value(), "Bob");
  EXPECT_DOUBLE_EQ(root.values(2).double_value(),
                   2.0);  // int widened to DOUBLE
  EXPECT_FALSE(root.values(3).bool_value());
  EXPECT_EQ(root.values(4).timestamp_micros(), 1714550400000000);  // 08:00Z
  EXPECT_EQ(root.values(5).string_value(), "Oslo");
  EXPECT_EQ(root.values(6).json_value(), R"({"/new":1})");
  EXPECT_EQ(r.tables(1).table(), "t_tags");
  ASSERT_EQ(r.tables(1).rows_size(), 2);
  EXPECT_EQ(r.tables(1).rows(1).values(0).int_value(), 5);  // root key
  EXPECT_EQ(r.tables(1).rows(1).values(1).int_value(), 1);  // position
  EXPECT_EQ(r.tables(1).rows(1).values(2).string_value(), "q");
  EXPECT_EQ(r.replaced_tables_size(), 2);
}

TEST(RecordMapperTest, BatchesAndRootPath) {
  auto m = MapperFor(R"({"data":[{"uid":"a","v":1}]})", {"uid"}, "data");
  auto records =
      m->Map(R"({"data":[{"uid":"a","v":1},{"uid":"b","v":2}]})", false);
  ASSERT_TRUE(records.ok()) << records.status();
  EXPECT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[1].key(0).string_value(), "b");
  auto missing = m->Map(R"({"other":[]})", false);
  EXPECT_NE(missing.status().message().find("root path \"data\""),
            std::string::npos);
}

TEST(RecordMapperTest, ErrorsNameRecordIndexAndField) {
  auto m = MapperFor(kSample, {"id"});
  struct Case {
    std::string body;
    std::string code;
    std::string fragment;
  } cases[] = {
      {R"([{"id":1},{"id":2,"name":{"x":1}}])", "type_mismatch",
       "records[1].name: expected a string"},
      {R"({"id":1,"score":"high"})", "type_mismatch",
       "records[0].score: expected a number, got a string"},
      {R"({"id":1.5})", "type_mismatch",
       "records[0].id: expected an integer, got a number"},
      {R"({"id":1,"at":"yesterday"})", "type_mismatch",
       "expected an ISO-8601 timestamp"},
      {R"({"name":"x"})", "missing_primary_key",
       "records[0]: primary key field \"id\""},
      {R"({"id":null})", "missing_primary_key", "\"id\""},
      {R"({"id":1,"tags":"x"})", "type_mismatch",
       "records[0].tags: expected an array"},
      {R"({"id":1,"items":[{"qty":"x"}]})", "type_mismatch",
       "records[0].items[0].qty"},
      {R"({"id":1,"id":2})", "duplicate_key", "records[0].id"},
      {R"({"id":1,"name":")" + std::string(300, 'x') + R"("})",
       "value_too_long", "limit of 255"},
      {R"({"id":99999999999999999999})", "malformed_json", "does not fit"},
      {"{\"id\":1,", "malformed_json", "not valid JSON"},
      {"\"\xff\"", "malformed_json", "UTF-8"},
      {std::string(2000, '[') + std::string(2000, ']'), "malformed_json",
       "deeper than 64"},
      {"[1]", "invalid_body", "records[0]: expected a JSON object"},
      {"", "malformed_json", ""},
  };
  for (auto& c : cases) {
    auto r = m->Map(c.body, false);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(ErrorCodeOf(r.status()), c.code)
        << c.body.substr(0, 80) << " → " << r.status();
    EXPECT_NE(r.status().message().find(c.fragment), std::string::npos)
        << r.status();
  }
}

TEST(RecordMapperTest, WideningIntoTextKeepsJsonForm) {
  auto m = MapperFor(R"({"id":1,"note":null})", {"id"});
  auto r = m->Map(R"({"id":1,"note":{"a":[1,true]}})", false);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)[0].tables(0).rows(0).values(1).string_value(),
            R"({"a":[1,true]})");
}

TEST(RecordMapperTest, PatchCarriesOnlyPresentColumns) {
  auto m = MapperFor(kSample, {"id"});
  auto r = m->Map(R"({"id":5,"score":3.5,"items":[]})", true);
  ASSERT_TRUE(r.ok()) << r.status();
  const v1::Record& rec = (*r)[0];
  ASSERT_EQ(rec.tables(0).columns_size(), 3);
  EXPECT_EQ(rec.tables(0).columns(0), "id");
  EXPECT_EQ(rec.tables(0).columns(1), "score");
  // The merge patch for _extra: values now in columns clear earlier copies,
  // and an empty array is told apart from a missing one.
  EXPECT_EQ(rec.tables(0).columns(2), "_extra");
  EXPECT_EQ(rec.tables(0).rows(0).values(2).json_value(),
            R"({"/id":null,"/score":null,"/items":[]})");
  ASSERT_EQ(rec.replaced_tables_size(), 1);
  EXPECT_EQ(rec.replaced_tables(0), "t_items");
}

TEST(RecordMapperTest, ValuesColumnsCannotGiveBackAreCopiedToExtra) {
  auto m = MapperFor(R"({"id":1,"s":"x","d":1.5,"o":{"a":1},"l":[{"x":1}],
                         "e":[1]})",
                     {"id"});
  auto r = m->Map(R"({"id":1,"s":5,"d":9007199254740993,"o":null,
                      "l":[null,{"x":2}],"e":[]})",
                  false);
  ASSERT_TRUE(r.ok()) << r.status();
  const v1::Row& root = (*r)[0].tables(0).rows(0);
  EXPECT_EQ(root.values(1).string_value(), "5");
  EXPECT_EQ(root.values(root.values_size() - 2).json_value(),
            R"({"/s":5,"/d":9007199254740993,"/o":null,"/l/0":null,"/e":[]})");
  // Deep unknown values cannot be kept: a clear 400, never a 500 from the
  // database's JSON check.
  std::string deep = std::string(31, '[') + std::string(31, ']');
  auto refused = m->Map(R"({"id":1,"u":)" + deep + "}", false);
  EXPECT_EQ(ErrorCodeOf(refused.status()), "invalid_body");
  EXPECT_NE(refused.status().message().find("records[0].u"), std::string::npos);
  EXPECT_TRUE(m->Map(R"({"id":1,"u":)" + deep.substr(1, 60) + "}", false).ok());
}

TEST(RecordMapperTest, TooManyRecords) {
  auto m = MapperFor(R"({"id":1})", {"id"});
  std::string body = "[";
  for (size_t i = 0; i <= kMaxRecordsPerRequest; ++i)
    body += (i ? ",{\"id\":" : "{\"id\":") + std::to_string(i) + "}";
  body += "]";
  auto r = m->Map(body, false);
  EXPECT_EQ(ErrorCodeOf(r.status()), "too_many_records");
}

TEST(RecordMapperTest, TooManyRowsIsFoundWhileMapping) {
  auto m = MapperFor(R"({"id":1,"tags":[0]})", {"id"});
  auto body = [](size_t items) {
    std::string out = R"({"id":1,"tags":[0)";
    for (size_t i = 1; i < items; ++i) out += ",0";
    return out + "]}";
  };
  EXPECT_TRUE(m->Map(body(kMaxRowsPerRequest - 1), false).ok());
  auto over = m->Map(body(kMaxRowsPerRequest), false);
  EXPECT_EQ(ErrorCodeOf(over.status()), "too_many_rows");
  EXPECT_NE(over.status().message().find("100000"), std::string::npos);
  // A batch counts every record's rows together.
  std::string batch = "[";
  for (int r = 0; r < 3; ++r) {
    batch += (r ? "," : "") + body(kMaxRowsPerRequest / 3);
  }
  EXPECT_EQ(ErrorCodeOf(m->Map(batch + "]", false).status()), "too_many_rows");
}

TEST(RecordMapperTest, ArraysInsideArraysBecomeNestedChildTables) {
  auto m = MapperFor(R"({"id":1,"matrix":[[1,2]]})", {"id"});
  auto r = m->Map(R"({"id":7,"matrix":[[1,2],[3]]})", false);
  ASSERT_TRUE(r.ok()) << r.status();
  const v1::Record& rec = (*r)[0];
  ASSERT_EQ(rec.tables_size(), 3);
  EXPECT_EQ(rec.tables(1).table(), "t_matrix");
  EXPECT_EQ(rec.tables(1).rows_size(), 2);  // one row per inner array
  EXPECT_EQ(rec.tables(2).table(), "t_matrix_value");
  ASSERT_EQ(rec.tables(2).rows_size(), 3);
  // Row of the value 3: root key 7, outer position 1, inner position 0.
  const v1::Row& last = rec.tables(2).rows(2);
  EXPECT_EQ(last.values(0).int_value(), 7);
  EXPECT_EQ(last.values(1).int_value(), 1);
  EXPECT_EQ(last.values(2).int_value(), 0);
  EXPECT_EQ(last.values(3).int_value(), 3);
}

TEST(RecordMapperTest, KeyFromText) {
  auto m = MapperFor(R"({"site":"a","n":1,"v":1})", {"site", "n"});
  auto key = m->KeyFromText({"abc", "42"});
  ASSERT_TRUE(key.ok());
  EXPECT_EQ((*key)[0].string_value(), "abc");
  EXPECT_EQ((*key)[1].int_value(), 42);
  EXPECT_FALSE(m->KeyFromText({"abc", "x"}).ok());
  EXPECT_FALSE(m->KeyFromText({"abc"}).ok());
}

}  // namespace
}  // namespace sluice::mapping

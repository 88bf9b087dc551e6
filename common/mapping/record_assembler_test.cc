#include "common/mapping/record_assembler.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/mapping/record_mapper.h"
#include "common/mapping/table_generator.h"

namespace sluice::mapping {
namespace {

using json = nlohmann::ordered_json;

v1::DataStructure Structure(const std::string& sample) {
  v1::DataStructure s;
  s.set_base_name("t");
  s.set_sample_json(sample);
  s.add_primary_key("id");
  absl::Status status = GenerateTables(&s);
  EXPECT_TRUE(status.ok()) << status;
  return s;
}

// What storage would read back after writing `record` (an upsert).
StoredRecord AsStored(const v1::DataStructure& s, const v1::Record& record) {
  StoredRecord stored;
  stored.children.resize(s.tables_size());
  for (const v1::TableRows& rows : record.tables()) {
    for (int t = 0; t < s.tables_size(); ++t) {
      if (s.tables(t).name() != rows.table()) continue;
      for (const v1::Row& row : rows.rows()) {
        std::vector<v1::Value> values(row.values().begin(), row.values().end());
        if (t == 0) {
          stored.root = values;
          stored.root.back().set_timestamp_micros(0);  // lastModified
        } else {
          stored.children[t].push_back(values);
        }
      }
    }
  }
  return stored;
}

// Key order is not part of a record: compare as unordered JSON.
nlohmann::json Unordered(const json& j) {
  return nlohmann::json::parse(j.dump());
}

nlohmann::json RoundTrip(const v1::DataStructure& s, const std::string& body) {
  auto mapper = RecordMapper::Create(s);
  EXPECT_TRUE(mapper.ok());
  auto records = (*mapper)->Map(body, /*patch=*/false);
  EXPECT_TRUE(records.ok()) << records.status();
  if (!records.ok()) return json();
  json back = json::parse(AssembleRecord({s.tables().begin(), s.tables().end()},
                                         AsStored(s, (*records)[0])));
  EXPECT_EQ(back["lastModified"], "1970-01-01T00:00:00.000000Z");
  back.erase("lastModified");
  return Unordered(back);
}

TEST(RecordAssemblerTest, IsTheInverseOfTheMapper) {
  v1::DataStructure s = Structure(
      R"({"id":1,"name":"a","score":1.5,"ok":true,"at":"2024-01-01T00:00:00Z",
          "address":{"city":"x","geo":{"lat":1.5}},"tags":["a"],
          "items":[{"sku":"s","parts":[{"n":1}]}],"grid":[[1]]})");
  const std::string body =
      R"({"id":7,"name":"n","score":2,"ok":false,"at":"2024-05-01T10:00:00.000001Z",
          "address":{"city":"Oslo","geo":{"lat":59.9}},"tags":["x","y"],
          "items":[{"sku":"a","parts":[{"n":1},{"n":2}]},{"sku":"b","parts":[]}],
          "grid":[[1,2],[],[3]]})";
  json expected = json::parse(body);
  expected["score"] = 2.0;
  EXPECT_EQ(RoundTrip(s, body), Unordered(expected));
}

TEST(RecordAssemblerTest, WidenedNullAndEmptyValuesReadBackAsSent) {
  v1::DataStructure s = Structure(
      R"({"id":1,"s":"x","d":1.5,"mixed":null,"o":{"a":1},"l":[{"x":1}],
          "e":[1],"n":[[1]]})");
  const std::string body = R"({"id":1,"s":5,"d":9007199254740993,
      "mixed":{"deep":[true]},"o":null,"l":[null,{"x":2}],"e":[],"n":[[],null]})";
  EXPECT_EQ(RoundTrip(s, body), nlohmann::json::parse(body));
}

TEST(RecordAssemblerTest, UnknownFieldsGoBackAtTheirPointers) {
  v1::DataStructure s =
      Structure(R"({"id":1,"address":{"city":"x"},"items":[{"sku":"s"}]})");
  const std::string body = R"({"id":1,"address":{"city":"c","zip.code":"1",
      "a/b":2,"t~":3},"items":[{"sku":"a"},{"sku":"b","note":{"k.1":[1]}}],
      "x.y":1,"c[0]":2,"":3,"0":{"":[[]]},"n":null})";
  EXPECT_EQ(RoundTrip(s, body), nlohmann::json::parse(body));
}

TEST(RecordAssemblerTest, EmptyAndOddFieldNamesHaveColumnsAndReadBack) {
  const std::string sample =
      R"({"id":1,"":"e","a":{"":2,".":3,"\\":4},"l":[{"":"i"}],"\\0":5})";
  v1::DataStructure s = Structure(sample);
  EXPECT_EQ(s.tables(0).columns(1).json_path(), "\\0");
  EXPECT_EQ(RoundTrip(s, sample), nlohmann::json::parse(sample));
}

TEST(RecordAssemblerTest, ARecordFieldNamedLastModifiedIsKept) {
  v1::DataStructure s = Structure(R"({"id":1,"lastModified":"mine"})");
  auto mapper = RecordMapper::Create(s);
  auto records = (*mapper)->Map(R"({"id":1,"lastModified":"mine"})", false);
  ASSERT_TRUE(records.ok());
  json back = json::parse(AssembleRecord({s.tables().begin(), s.tables().end()},
                                         AsStored(s, (*records)[0])));
  EXPECT_EQ(back["lastModified"], "mine");
  EXPECT_EQ(back["_lastModified"], "1970-01-01T00:00:00.000000Z");
}

TEST(RecordAssemblerTest, ExtraFromEarlierVersionsStillReadsBack) {
  v1::DataStructure s = Structure(R"({"id":1,"a":{"b":1}})");
  StoredRecord stored;
  stored.root.resize(s.tables(0).columns_size());
  stored.root[0].set_int_value(1);
  stored.root[1].set_null_value(true);
  stored.root[2].set_json_value(R"({"x":1,"a.c":2,"t[0].q":3,"":7})");
  stored.root[3].set_timestamp_micros(0);
  json back = json::parse(
      AssembleRecord({s.tables().begin(), s.tables().end()}, stored));
  EXPECT_EQ(back["x"], 1);
  EXPECT_EQ(back["a"]["c"], 2);
  EXPECT_FALSE(back.contains("t"));
  EXPECT_EQ(back[""], 7);
  EXPECT_EQ(back["id"], 1);
}

}  // namespace
}  // namespace sluice::mapping

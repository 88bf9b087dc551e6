#include "common/mapping/table_generator.h"

#include <gtest/gtest.h>

#include "common/status/error_code.h"

namespace sluice::mapping {
namespace {

v1::DataStructure Structure(const std::string& sample,
                            std::vector<std::string> key,
                            const std::string& root_path = "") {
  v1::DataStructure s;
  s.set_base_name("orders");
  s.set_root_path(root_path);
  s.set_sample_json(sample);
  for (auto& k : key) s.add_primary_key(k);
  return s;
}

std::string Describe(const v1::Table& t) {
  std::string out = t.name() + "(";
  for (const auto& c : t.columns())
    out += c.name() + ":" + SqlType(c) + (c.primary_key() ? "*" : "") + " ";
  return out + ")";
}

TEST(TableGeneratorTest, FlatScalarsGetTypes) {
  auto s = Structure(
      R"({"id":7,"name":"Ann","paid":true,"total":9.5,"at":"2024-01-01T00:00:00","note":null})",
      {"id"});
  ASSERT_TRUE(GenerateTables(&s).ok());
  ASSERT_EQ(s.tables_size(), 1);
  EXPECT_EQ(Describe(s.tables(0)),
            "orders(id:BIGINT* name:VARCHAR(255) paid:BOOLEAN total:DOUBLE "
            "at:DATETIME(6) "
            "note:TEXT _extra:JSON lastModified:DATETIME(6) )");
}

TEST(TableGeneratorTest, NestedObjectsFlattenAndArraysBecomeChildTables) {
  auto s = Structure(
      R"({"id":"a","address":{"city":"Oslo","geo":{"lat":1.5}},
          "tags":["x","y"],"items":[{"sku":"s1","qty":2,"parts":[{"n":1}]}]})",
      {"id"});
  ASSERT_TRUE(GenerateTables(&s).ok()) << GenerateTables(&s);
  ASSERT_EQ(s.tables_size(), 4);
  EXPECT_EQ(Describe(s.tables(0)),
            "orders(id:VARCHAR(255)* address_city:VARCHAR(255) "
            "address_geo_lat:DOUBLE "
            "_extra:JSON lastModified:DATETIME(6) )");
  EXPECT_EQ(Describe(s.tables(1)),
            "orders_tags(id:VARCHAR(255)* _position:BIGINT* value:VARCHAR(255) "
            "lastModified:DATETIME(6) )");
  EXPECT_EQ(Describe(s.tables(2)),
            "orders_items(id:VARCHAR(255)* _position:BIGINT* sku:VARCHAR(255) "
            "qty:BIGINT "
            "lastModified:DATETIME(6) )");
  EXPECT_EQ(Describe(s.tables(3)),
            "orders_items_parts(id:VARCHAR(255)* _position_1:BIGINT* "
            "_position:BIGINT* n:BIGINT "
            "lastModified:DATETIME(6) )");
  EXPECT_EQ(s.tables(3).parent(), "orders_items");
}

TEST(TableGeneratorTest, LongStringsBecomeText) {
  auto s = Structure(R"({"id":1,"body":")" + std::string(300, 'x') + R"("})",
                     {"id"});
  ASSERT_TRUE(GenerateTables(&s).ok());
  EXPECT_EQ(SqlType(s.tables(0).columns(1)), "TEXT");
}

TEST(TableGeneratorTest, RootPathArrayMergesAllElements) {
  auto s = Structure(R"({"data":{"items":[{"id":1},{"id":2,"extra":"z"}]}})",
                     {"id"}, "data.items");
  ASSERT_TRUE(GenerateTables(&s).ok());
  EXPECT_EQ(s.tables(0).columns(1).name(), "extra");
}

TEST(TableGeneratorTest, CompositeKeys) {
  auto s = Structure(R"({"site":"a","test":"b","v":1})", {"site", "test"});
  ASSERT_TRUE(GenerateTables(&s).ok());
  EXPECT_TRUE(s.tables(0).columns(0).primary_key());
  EXPECT_TRUE(s.tables(0).columns(1).primary_key());
  EXPECT_EQ(RenderCreateTable(s.tables(0), "data")
                .rfind("CREATE TABLE `data`.`orders` (", 0),
            0u);
  EXPECT_NE(RenderCreateTable(s.tables(0)).find("PRIMARY KEY (`site`, `test`)"),
            std::string::npos);
}

TEST(TableGeneratorTest, HostileFieldNamesAreSanitizedAndQuoted) {
  auto s = Structure(R"({"id":1,"a`b; DROP TABLE x":1,"A`B; drop table x":2})",
                     {"id"});
  ASSERT_TRUE(GenerateTables(&s).ok());
  EXPECT_EQ(s.tables(0).columns(1).name(), "a_b__DROP_TABLE_x");
  EXPECT_EQ(s.tables(0).columns(2).name(), "A_B__drop_table_x_2");
  std::string ddl = RenderCreateTable(s.tables(0));
  EXPECT_EQ(ddl.find(';'), std::string::npos);
}

TEST(TableGeneratorTest, BadSamplesAreRejectedPrecisely) {
  struct Case {
    std::string sample;
    std::vector<std::string> key;
    std::string root;
    std::string fragment;
  } cases[] = {
      {"{", {"id"}, "", "not valid JSON"},
      {R"({"id":1})", {}, "", "primaryKey"},
      {R"({"x":1})", {"id"}, "", "field \"id\" is not in the sample"},
      {R"({"id":1.5})", {"id"}, "", "integer or a string"},
      {R"({"id":1})", {"id"}, "data", "rootPath: \"data\""},
      {R"([1,2])", {"id"}, "", "JSON objects"},
  };
  for (auto& c : cases) {
    auto s = Structure(c.sample, c.key, c.root);
    absl::Status status = GenerateTables(&s);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.sample;
    EXPECT_NE(status.message().find(c.fragment), std::string::npos) << status;
    EXPECT_EQ(ErrorCodeOf(status), "invalid_sample");
  }
}

TEST(TableGeneratorTest, TooManyColumnsIsRejected) {
  std::string sample = R"({"id":1)";
  for (int i = 0; i < 1200; ++i) sample += ",\"f" + std::to_string(i) + "\":1";
  sample += "}";
  auto s = Structure(sample, {"id"});
  absl::Status status = GenerateTables(&s);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("at most 1000"), std::string::npos) << status;
}

std::string WideSample(int fields, const std::string& value) {
  std::string sample = R"({"id":"k")";
  for (int i = 0; i < fields; ++i) {
    sample += ",\"f" + std::to_string(i) + "\":" + value;
  }
  return sample + "}";
}

// The row sizes MySQL checks at CREATE TABLE, as budgeted.
void ExpectFitsMySqlRowLimits(const v1::Table& t) {
  size_t server = 0, in_page = 18 + (t.columns_size() + 7) / 8;
  for (const auto& c : t.columns()) {
    server += ServerRowBytes(c);
    in_page += InlineRowBytes(c);
  }
  EXPECT_LE(server + (t.columns_size() + 7) / 8, 65535u) << t.name();
  EXPECT_LE(in_page, 8126u) << t.name();
}

TEST(TableGeneratorTest, WideSamplesFitTheRowLimits) {
  for (const char* value :
       {"\"s\"", "1", "1.5", "true", "null", "\"2024-01-01T00:00:00Z\""}) {
    for (int fields : {10, 63, 64, 300, 995}) {
      SCOPED_TRACE(std::string(value) + " x " + std::to_string(fields));
      auto s = Structure(WideSample(fields, value), {"id"});
      ASSERT_TRUE(GenerateTables(&s).ok());
      const v1::Table& root = s.tables(0);
      ExpectFitsMySqlRowLimits(root);
      // Every sample field has a column or is kept in _extra.
      EXPECT_EQ(root.columns_size() - 3 + root.extra_fields_size(), fields);
    }
  }
}

TEST(TableGeneratorTest, LongNamesFitTheTableDefinition) {
  std::string sample = R"({"id":1)";
  for (int i = 0; i < 995; ++i) {
    std::string name = "f" + std::to_string(i) + "_";
    sample += ",\"" + name + std::string(70 - name.size(), 'x') + "\":true";
  }
  auto s = Structure(sample + "}", {"id"});
  ASSERT_TRUE(GenerateTables(&s).ok());
  size_t definition = 0;
  for (const auto& c : s.tables(0).columns())
    definition += c.name().size() + 17;
  EXPECT_LT(definition, 64000u);
  EXPECT_GT(s.tables(0).extra_fields_size(), 0);
  EXPECT_EQ(s.tables(0).columns_size() - 3 + s.tables(0).extra_fields_size(),
            995);
}

TEST(TableGeneratorTest, AThousandFieldsIsTheLimit) {
  auto fields = [](int n) {
    std::string sample = R"({"id":1)";
    for (int i = 1; i < n; ++i) sample += ",\"f" + std::to_string(i) + "\":1";
    return sample + "}";
  };
  auto ok = Structure(fields(1000), {"id"});
  EXPECT_TRUE(GenerateTables(&ok).ok());
  auto over = Structure(fields(1001), {"id"});
  EXPECT_FALSE(GenerateTables(&over).ok());
}

TEST(TableGeneratorTest, ShortStringsAreVarcharWhileTheBudgetLastsThenText) {
  auto s = Structure(WideSample(100, "\"s\""), {"id"});
  ASSERT_TRUE(GenerateTables(&s).ok());
  const v1::Table& root = s.tables(0);
  EXPECT_EQ(SqlType(root.columns(1)), "VARCHAR(255)");
  EXPECT_EQ(SqlType(root.columns(root.columns_size() - 3)), "TEXT");
  EXPECT_EQ(root.extra_fields_size(), 0);
}

TEST(TableGeneratorTest, FieldsPastThePageBudgetAreKeptInExtra) {
  auto s = Structure(WideSample(900, "\"s\""), {"id"});
  ASSERT_TRUE(GenerateTables(&s).ok());
  const v1::Table& root = s.tables(0);
  EXPECT_GT(root.columns_size(), 300);
  ASSERT_GT(root.extra_fields_size(), 0);
  EXPECT_EQ(root.extra_fields(root.extra_fields_size() - 1), "f899");
  // The system columns are always there.
  EXPECT_EQ(root.columns(root.columns_size() - 2).name(), "_extra");
  EXPECT_EQ(root.columns(root.columns_size() - 1).name(), "lastModified");
}

TEST(TableGeneratorTest, TablesCompareTextExactly) {
  auto s = Structure(R"({"id":"a"})", {"id"});
  ASSERT_TRUE(GenerateTables(&s).ok());
  EXPECT_NE(RenderCreateTable(s.tables(0)).find("COLLATE=utf8mb4_nopad_bin"),
            std::string::npos);
}

}  // namespace
}  // namespace sluice::mapping

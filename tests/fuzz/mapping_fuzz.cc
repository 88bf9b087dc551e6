// libFuzzer target for the JSON-to-rows mapping: request bodies through
// RecordMapper::Map (upsert and patch) for a few listener shapes, and the
// same bytes as a sample for GenerateTables. Any crash, hang or sanitizer
// report is a bug; errors must be INVALID_ARGUMENT.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "common/mapping/record_mapper.h"
#include "common/mapping/table_generator.h"

namespace {

std::vector<std::shared_ptr<const sluice::mapping::RecordMapper>> Mappers() {
  struct Shape {
    const char* sample;
    std::vector<std::string> key;
    const char* root;
  } shapes[] = {
      {R"({"id":1,"name":"a","score":1.5,"ok":true,"at":"2024-01-01T00:00:00Z",
          "address":{"city":"x","geo":{"lat":1.0}},"tags":["a"],
          "items":[{"sku":"s","qty":1,"parts":[{"n":1}]}],"matrix":[[1]]})",
       {"id"},
       ""},
      {R"({"data":{"items":[{"site":"a","test":"b","v":null}]}})",
       {"site", "test"},
       "data.items"},
  };
  std::vector<std::shared_ptr<const sluice::mapping::RecordMapper>> out;
  for (const auto& shape : shapes) {
    sluice::v1::DataStructure s;
    s.set_base_name("t");
    s.set_root_path(shape.root);
    s.set_sample_json(shape.sample);
    for (const auto& k : shape.key) s.add_primary_key(k);
    if (!sluice::mapping::GenerateTables(&s).ok()) std::abort();
    auto mapper = sluice::mapping::RecordMapper::Create(s);
    if (!mapper.ok()) std::abort();
    out.push_back(*mapper);
  }
  return out;
}

void CheckError(const absl::Status& status) {
  if (!status.ok() && status.code() != absl::StatusCode::kInvalidArgument)
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto mappers = Mappers();
  std::string body(reinterpret_cast<const char*>(data), size);
  for (const auto& mapper : mappers) {
    CheckError(mapper->Map(body, false).status());
    CheckError(mapper->Map(body, true).status());
  }
  sluice::v1::DataStructure s;
  s.set_base_name("fuzz");
  s.set_sample_json(body);
  s.add_primary_key("id");
  CheckError(sluice::mapping::GenerateTables(&s));
  if (s.tables_size() > 0) {
    auto mapper = sluice::mapping::RecordMapper::Create(s);
    if (!mapper.ok()) std::abort();
    CheckError((*mapper)->Map(body, false).status());
    for (const auto& table : s.tables())
      (void)sluice::mapping::RenderCreateTable(table);
  }
  return 0;
}

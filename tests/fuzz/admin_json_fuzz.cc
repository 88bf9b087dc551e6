// libFuzzer target for the admin API's request bodies: the bytes as a body
// of POST …/listeners, PATCH …/listeners/{id} and POST /tables/generate,
// through parsing, table generation and the JSON answers. Any crash, hang
// or sanitizer report is a bug; every error must be INVALID_ARGUMENT (or
// ALREADY_EXISTS / FAILED_PRECONDITION, which parsing never gives).
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/mapping/record_mapper.h"
#include "common/mapping/table_generator.h"
#include "services/edge/admin_json.h"

namespace {

void CheckError(const absl::Status& status) {
  if (!status.ok() && status.code() != absl::StatusCode::kInvalidArgument)
    std::abort();
}

std::string Dump(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false,
                nlohmann::ordered_json::error_handler_t::replace);
}

// What the edge and schema do with a structure: generate its tables, render
// their DDL and the preview, and build its mapper.
void Generate(sluice::v1::DataStructure structure) {
  absl::Status status = sluice::mapping::GenerateTables(&structure);
  CheckError(status);
  if (!status.ok()) return;
  for (const auto& table : structure.tables()) {
    (void)sluice::mapping::RenderCreateTable(table);
  }
  (void)Dump(sluice::edge::TablesToJson(structure));
  auto mapper = sluice::mapping::RecordMapper::Create(structure);
  if (!mapper.ok()) std::abort();
  CheckError((*mapper)->Map(structure.sample_json(), false).status());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (const std::optional<std::string>& type :
       {std::optional<std::string>(), std::optional<std::string>("text/plain"),
        std::optional<std::string>("application/json; charset=utf-8")}) {
    auto body = sluice::edge::ParseAdminBody(bytes, type);
    CheckError(body.status());
    if (!body.ok()) continue;
    std::string secret;
    auto listener = sluice::edge::ListenerFromJson(*body, &secret);
    CheckError(listener.status());
    if (listener.ok()) {
      (void)Dump(sluice::edge::ListenerToJson(*listener, "https://h:8443"));
      Generate(listener->structure());
    }
    std::vector<std::string> mask;
    CheckError(
        sluice::edge::ListenerPatchFromJson(*body, &secret, &mask).status());
    auto structure = sluice::edge::StructureFromJson(*body);
    CheckError(structure.status());
    if (structure.ok()) Generate(*structure);
  }
  return 0;
}

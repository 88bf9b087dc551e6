#ifndef SLUICE_SERVICES_EDGE_ADMIN_JSON_H_
#define SLUICE_SERVICES_EDGE_ADMIN_JSON_H_

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "sluice/v1/common.pb.h"
#include "sluice/v1/storage.pb.h"
#include "sluice/v1/schema.pb.h"

namespace sluice::edge {

// The admin API's JSON shapes (DESIGN §4): lowerCamelCase fields, enums as
// lowercase strings (accepted in any case). Parsers return INVALID_ARGUMENT
// with the offending field named.

// Parses an admin request body: JSON (Content-Type application/json when
// one is given), an object, nested at most mapping::kMaxJsonDepth levels.
// INVALID_ARGUMENT with code unsupported_media_type, malformed_json or
// invalid_request otherwise. Never recurses on the input's depth.
absl::StatusOr<nlohmann::ordered_json> ParseAdminBody(
    std::string_view body, const std::optional<std::string>& content_type);

nlohmann::ordered_json IntegrationToJson(const v1::Integration& integration);

// A webhook log entry; with `details`, a replayable entry's body (the text
// as received) and headers too.
nlohmann::ordered_json LogEntryToJson(const v1::LogEntry& entry, bool details);

// A listener without secrets; `ingest_base_url` is e.g. "https://host:8443".
nlohmann::ordered_json ListenerToJson(const v1::Listener& listener,
                                      const std::string& ingest_base_url);

nlohmann::ordered_json TablesToJson(const v1::DataStructure& structure);

// Parses a listener creation body. A user-chosen basic password or HMAC
// secret goes to `secret`.
absl::StatusOr<v1::Listener> ListenerFromJson(
    const nlohmann::ordered_json& body, std::string* secret);

// Parses a PATCH body: the fields present and the update mask.
absl::StatusOr<v1::Listener> ListenerPatchFromJson(
    const nlohmann::ordered_json& body, std::string* secret,
    std::vector<std::string>* mask);

// Parses the structure part ({"baseName","rootPath","primaryKey","sample"}).
absl::StatusOr<v1::DataStructure> StructureFromJson(
    const nlohmann::ordered_json& body);

}  // namespace sluice::edge

#endif  // SLUICE_SERVICES_EDGE_ADMIN_JSON_H_

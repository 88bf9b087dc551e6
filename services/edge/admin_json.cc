#include "services/edge/admin_json.h"

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/mapping/json_path.h"
#include "common/mapping/record_mapper.h"
#include "common/mapping/table_generator.h"
#include "common/mapping/timestamp.h"
#include "common/signatures/hmac_presets.h"
#include "common/status/error_code.h"
#include "common/status/status_macros.h"

namespace sluice::edge {
namespace {

using json = nlohmann::ordered_json;

absl::Status Bad(const std::string& message) {
  return InvalidArgumentError("invalid_request", message);
}

std::string Rfc3339(int64_t seconds) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(seconds),
                          absl::UTCTimeZone());
}

absl::StatusOr<std::string> String(const json& object, const char* field,
                                   bool required) {
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) {
    if (required) return Bad(absl::StrCat("\"", field, "\" is required"));
    return std::string();
  }
  if (!it->is_string())
    return Bad(absl::StrCat("\"", field, "\" must be a string"));
  return it->get<std::string>();
}

std::string Lower(const std::string& s) { return absl::AsciiStrToLower(s); }

const char* MethodName(v1::AuthMethod m) {
  switch (m) {
    case v1::AUTH_METHOD_NONE:
      return "none";
    case v1::AUTH_METHOD_TOKEN:
      return "token";
    case v1::AUTH_METHOD_BASIC:
      return "basic";
    case v1::AUTH_METHOD_HMAC:
      return "hmac";
    default:
      return "unspecified";
  }
}

const char* SourceName(v1::TokenSource s) {
  switch (s) {
    case v1::TOKEN_SOURCE_HEADER:
      return "header";
    case v1::TOKEN_SOURCE_QUERY:
      return "query";
    case v1::TOKEN_SOURCE_AUTHORIZATION:
      return "authorization";
    default:
      return "unspecified";
  }
}

json AuthToJson(const v1::AuthConfig& a) {
  json out = {{"method", MethodName(a.method())}};
  switch (a.method()) {
    case v1::AUTH_METHOD_TOKEN:
      out["readFrom"] = SourceName(a.read_from());
      if (a.read_from() == v1::TOKEN_SOURCE_AUTHORIZATION) {
        out["prefix"] = a.prefix();
      } else {
        out["name"] = a.name();
      }
      break;
    case v1::AUTH_METHOD_BASIC:
      out["username"] = a.username();
      break;
    case v1::AUTH_METHOD_HMAC:
      out["preset"] = a.preset();
      if (!a.header().empty()) out["header"] = a.header();
      if (!a.algorithm().empty()) out["algorithm"] = a.algorithm();
      if (!a.encoding().empty()) out["encoding"] = a.encoding();
      if (!a.prefix().empty()) out["prefix"] = a.prefix();
      if (a.tolerance_seconds() > 0)
        out["toleranceSeconds"] = a.tolerance_seconds();
      break;
    default:
      break;
  }
  return out;
}

absl::StatusOr<v1::AuthConfig> AuthFromJson(const json& a,
                                            std::string* secret) {
  if (!a.is_object()) return Bad("\"auth\" must be an object");
  v1::AuthConfig config;
  SLUICE_ASSIGN_OR_RETURN(std::string method, String(a, "method", true));
  method = Lower(method);
  if (method == "none") {
    config.set_method(v1::AUTH_METHOD_NONE);
  } else if (method == "token") {
    config.set_method(v1::AUTH_METHOD_TOKEN);
    SLUICE_ASSIGN_OR_RETURN(std::string from, String(a, "readFrom", true));
    from = Lower(from);
    if (from == "header") {
      config.set_read_from(v1::TOKEN_SOURCE_HEADER);
    } else if (from == "query") {
      config.set_read_from(v1::TOKEN_SOURCE_QUERY);
    } else if (from == "authorization") {
      config.set_read_from(v1::TOKEN_SOURCE_AUTHORIZATION);
    } else {
      return Bad("\"auth.readFrom\" must be header, query or authorization");
    }
    SLUICE_ASSIGN_OR_RETURN(std::string name, String(a, "name", false));
    SLUICE_ASSIGN_OR_RETURN(std::string prefix, String(a, "prefix", false));
    if (config.read_from() != v1::TOKEN_SOURCE_AUTHORIZATION && name.empty()) {
      return Bad(
          "\"auth.name\" is required when the token is read from a header or "
          "query parameter");
    }
    if (name.size() > 128 || prefix.size() > 64)
      return Bad("\"auth.name\" or \"auth.prefix\" is too long");
    config.set_name(name);
    config.set_prefix(prefix);
  } else if (method == "basic") {
    config.set_method(v1::AUTH_METHOD_BASIC);
    SLUICE_ASSIGN_OR_RETURN(std::string username, String(a, "username", true));
    if (username.empty() || username.find(':') != std::string::npos ||
        username.size() > 128) {
      return Bad("\"auth.username\" must be 1 to 128 characters without ':'");
    }
    config.set_username(username);
    SLUICE_ASSIGN_OR_RETURN(*secret, String(a, "password", false));
  } else if (method == "hmac") {
    config.set_method(v1::AUTH_METHOD_HMAC);
    SLUICE_ASSIGN_OR_RETURN(std::string preset, String(a, "preset", true));
    config.set_preset(Lower(preset));
    if (signatures::FindHmacPreset(config.preset()) == nullptr) {
      return InvalidArgumentError(
          "invalid_auth", absl::StrCat("\"auth.preset\" must be one of ",
                                       signatures::HmacPresetNames()));
    }
    SLUICE_ASSIGN_OR_RETURN(std::string header, String(a, "header", false));
    SLUICE_ASSIGN_OR_RETURN(std::string algorithm,
                            String(a, "algorithm", false));
    SLUICE_ASSIGN_OR_RETURN(std::string encoding, String(a, "encoding", false));
    SLUICE_ASSIGN_OR_RETURN(std::string prefix, String(a, "prefix", false));
    config.set_header(header);
    config.set_algorithm(Lower(algorithm));
    config.set_encoding(Lower(encoding));
    config.set_prefix(prefix);
    if (auto t = a.find("toleranceSeconds"); t != a.end()) {
      if (!t->is_number_integer() || t->get<int64_t>() <= 0 ||
          t->get<int64_t>() > 86400) {
        return Bad(
            "\"auth.toleranceSeconds\" must be an integer from 1 to 86400");
      }
      config.set_tolerance_seconds(t->get<int>());
    }
    SLUICE_ASSIGN_OR_RETURN(*secret, String(a, "secret", false));
  } else {
    return Bad("\"auth.method\" must be one of none, token, basic, hmac");
  }
  return config;
}

absl::Status ReadCommon(const json& body, v1::Listener* listener,
                        std::vector<std::string>* present) {
  if (auto r = body.find("retention"); r != body.end()) {
    if (!r->is_null() && !r->is_string())
      return Bad("\"retention\" must be a string such as \"30d\"");
    listener->set_retention(r->is_null() ? "" : r->get<std::string>());
    present->push_back("retention");
  }
  if (auto m = body.find("maxBodyBytes"); m != body.end()) {
    if (!m->is_number_integer())
      return Bad("\"maxBodyBytes\" must be an integer");
    listener->set_max_body_bytes(m->get<int64_t>());
    present->push_back("max_body_bytes");
  }
  if (auto s = body.find("script"); s != body.end()) {
    if (!s->is_null() && !s->is_string())
      return Bad("\"script\" must be a string");
    listener->set_script(s->is_null() ? "" : s->get<std::string>());
    present->push_back("script");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<json> ParseAdminBody(
    std::string_view body, const std::optional<std::string>& content_type) {
  if (content_type &&
      !absl::StartsWithIgnoreCase(*content_type, "application/json")) {
    return InvalidArgumentError("unsupported_media_type",
                                "send JSON as Content-Type: application/json");
  }
  // nlohmann's printer and comparisons recurse: bound the depth before
  // anything parses.
  if (mapping::JsonNestsDeeperThan(body, mapping::kMaxJsonDepth)) {
    return InvalidArgumentError(
        "malformed_json", absl::StrCat("the body nests deeper than ",
                                       mapping::kMaxJsonDepth, " levels"));
  }
  json parsed = json::parse(body, nullptr, false);
  if (parsed.is_discarded()) {
    return InvalidArgumentError("malformed_json", "the body is not valid JSON");
  }
  if (!parsed.is_object()) return Bad("the body must be a JSON object");
  return parsed;
}

json IntegrationToJson(const v1::Integration& integration) {
  return {{"uuid", integration.uuid()},
          {"name", integration.name()},
          {"createTime", Rfc3339(integration.create_time().seconds())}};
}

json LogEntryToJson(const v1::LogEntry& e, bool details) {
  int64_t micros = e.time().seconds() * 1000000 + e.time().nanos() / 1000;
  json j = {{"id", std::to_string(e.id())},
            {"time", mapping::FormatIso8601(micros)},
            {"integration", e.integration_uuid()},
            {"listener", e.listener_name()},
            {"listenerUuid", e.listener_uuid()},
            {"method", e.method()},
            {"path", e.path()},
            {"status", e.status()},
            {"state", e.status() < 400 ? "success" : "error"},
            {"error", e.error()},
            {"latencyMs", e.latency_ms()},
            {"bytes", e.bytes()},
            {"replayable", e.replayable()}};
  if (e.replay_of() != 0) j["replayOf"] = std::to_string(e.replay_of());
  if (details && e.replayable()) {
    j["body"] = e.body();
    json headers = json::object();
    for (const auto& h : e.headers()) headers[h.name()] = h.value();
    j["headers"] = headers;
  }
  return j;
}

json TablesToJson(const v1::DataStructure& structure) {
  json tables = json::array();
  for (const v1::Table& t : structure.tables()) {
    json columns = json::array();
    for (const v1::Column& c : t.columns()) {
      columns.push_back({{"name", c.name()},
                         {"type", mapping::SqlType(c)},
                         {"primaryKey", c.primary_key()},
                         {"path", c.json_path()}});
    }
    json table = {{"name", t.name()}, {"columns", std::move(columns)}};
    table["parent"] = t.parent().empty() ? json(nullptr) : json(t.parent());
    if (t.extra_fields_size() > 0) {
      // Sample fields the row had no room for: kept in the root's _extra.
      json extra = json::array();
      for (const std::string& path : t.extra_fields()) extra.push_back(path);
      table["extraFields"] = std::move(extra);
    }
    tables.push_back(std::move(table));
  }
  return tables;
}

json ListenerToJson(const v1::Listener& l, const std::string& ingest_base_url) {
  json primary_key = json::array();
  for (const auto& k : l.structure().primary_key()) primary_key.push_back(k);
  json out = {
      {"uuid", l.uuid()},
      {"integrationUuid", l.integration_uuid()},
      {"name", l.name()},
      {"url",
       absl::StrCat(ingest_base_url, "/", l.integration_uuid(), "/", l.uuid())},
      {"auth", AuthToJson(l.auth())},
      {"structure",
       {{"baseName", l.structure().base_name()},
        {"rootPath", l.structure().root_path()},
        {"primaryKey", primary_key},
        {"tables", TablesToJson(l.structure())}}},
      {"maxBodyBytes", l.max_body_bytes()},
      {"script", l.script()},
      {"createTime", Rfc3339(l.create_time().seconds())},
  };
  out["retention"] =
      l.retention().empty() ? json(nullptr) : json(l.retention());
  return out;
}

absl::StatusOr<v1::DataStructure> StructureFromJson(const json& s) {
  if (!s.is_object()) return Bad("\"structure\" must be an object");
  v1::DataStructure structure;
  SLUICE_ASSIGN_OR_RETURN(std::string base, String(s, "baseName", true));
  SLUICE_ASSIGN_OR_RETURN(std::string root, String(s, "rootPath", false));
  structure.set_base_name(base);
  structure.set_root_path(root);
  auto key = s.find("primaryKey");
  if (key == s.end())
    return Bad("\"primaryKey\" is required: a list of root field names");
  if (key->is_string()) {
    structure.add_primary_key(key->get<std::string>());
  } else if (key->is_array()) {
    for (const json& k : *key) {
      if (!k.is_string())
        return Bad("\"primaryKey\" must list field names as strings");
      structure.add_primary_key(k.get<std::string>());
    }
  } else {
    return Bad("\"primaryKey\" must be a list of field names");
  }
  auto sample = s.find("sample");
  if (sample == s.end() || sample->is_null())
    return Bad("\"sample\" is required: a JSON sample payload");
  // A sample may be given as JSON or as a string holding JSON.
  structure.set_sample_json(
      sample->is_string()
          ? sample->get<std::string>()
          : sample->dump(-1, ' ', false, json::error_handler_t::replace));
  return structure;
}

absl::StatusOr<v1::Listener> ListenerFromJson(const json& body,
                                              std::string* secret) {
  if (!body.is_object()) return Bad("the body must be a JSON object");
  v1::Listener listener;
  SLUICE_ASSIGN_OR_RETURN(std::string name, String(body, "name", true));
  listener.set_name(name);
  auto auth = body.find("auth");
  if (auth == body.end())
    return Bad("\"auth\" is required, e.g. {\"method\":\"none\"}");
  SLUICE_ASSIGN_OR_RETURN(*listener.mutable_auth(),
                          AuthFromJson(*auth, secret));
  auto structure = body.find("structure");
  if (structure == body.end()) return Bad("\"structure\" is required");
  SLUICE_ASSIGN_OR_RETURN(*listener.mutable_structure(),
                          StructureFromJson(*structure));
  std::vector<std::string> present;
  SLUICE_RETURN_IF_ERROR(ReadCommon(body, &listener, &present));
  return listener;
}

absl::StatusOr<v1::Listener> ListenerPatchFromJson(
    const json& body, std::string* secret, std::vector<std::string>* mask) {
  if (!body.is_object()) return Bad("the body must be a JSON object");
  v1::Listener listener;
  for (const auto& [key, value] : body.items()) {
    if (key != "auth" && key != "retention" && key != "maxBodyBytes" &&
        key != "script") {
      return Bad(
          absl::StrCat("\"", key,
                       "\" cannot be changed; PATCH takes auth, retention, "
                       "maxBodyBytes and script"));
    }
  }
  if (auto auth = body.find("auth"); auth != body.end()) {
    SLUICE_ASSIGN_OR_RETURN(*listener.mutable_auth(),
                            AuthFromJson(*auth, secret));
    mask->push_back("auth");
  }
  SLUICE_RETURN_IF_ERROR(ReadCommon(body, &listener, mask));
  return listener;
}

}  // namespace sluice::edge

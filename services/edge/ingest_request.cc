#include "services/edge/ingest_request.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/crypto/crypto.h"
#include "common/rpc/rpc.h"
#include "common/signatures/hmac_presets.h"
#include "common/status/error_code.h"

namespace sluice::edge {
namespace {

constexpr size_t kMaxIdempotencyKeyLength = 1024;

}  // namespace

absl::StatusOr<ListenerPath> ParseListenerPath(
    const std::vector<std::string>& segments) {
  if ((segments.size() != 2 && segments.size() != 3) ||
      !crypto::IsUuid(segments[0]) || !crypto::IsUuid(segments[1])) {
    return WithErrorCode(
        absl::NotFoundError("no listener at this path; listener URLs look like "
                            "/{serviceUuid}/{listenerUuid}"),
        "not_found");
  }
  ListenerPath path;
  path.integration = absl::AsciiStrToLower(segments[0]);
  path.listener = absl::AsciiStrToLower(segments[1]);
  if (segments.size() == 3 && !segments[2].empty()) {
    path.record_id = segments[2];
  }
  return path;
}

std::string AllowedMethods(const ListenerPath& path) {
  return path.record_id ? "DELETE" : "POST, PUT, PATCH, DELETE";
}

absl::Status CheckMethod(const std::string& method, const ListenerPath& path) {
  const bool writes = method == "POST" || method == "PUT" || method == "PATCH";
  if (method == "DELETE" || (writes && !path.record_id)) {
    return absl::OkStatus();
  }
  std::string message =
      writes ? absl::StrCat(method,
                            " takes no record id in the path; send the record "
                            "in the body to the listener URL")
      : path.record_id
          ? absl::StrCat("method ", method,
                         " is not allowed on a record URL; use DELETE")
          : absl::StrCat("method ", method,
                         " is not allowed; use POST, PUT, PATCH or DELETE");
  return WithErrorCode(absl::InvalidArgumentError(message),
                       "method_not_allowed");
}

absl::Status CheckBodySize(size_t bytes, int64_t limit) {
  if (static_cast<int64_t>(bytes) <= limit) return absl::OkStatus();
  return InvalidArgumentError(
      "body_too_large",
      absl::StrCat("the body has ", bytes,
                   " bytes; this listener accepts at most ", limit));
}

absl::Status CheckJsonContentType(const std::optional<std::string>& type) {
  auto refuse = [] {
    return InvalidArgumentError(
        "unsupported_media_type",
        "the body must be JSON sent as Content-Type: application/json");
  };
  if (!type) return refuse();
  std::string value = absl::AsciiStrToLower(*type);
  std::string mime(
      absl::StripAsciiWhitespace(value.substr(0, value.find(';'))));
  if (mime != "application/json") return refuse();
  size_t charset = value.find("charset=");
  if (charset == std::string::npos) return absl::OkStatus();
  std::string name = value.substr(charset + 8);
  name =
      std::string(absl::StripAsciiWhitespace(name.substr(0, name.find(';'))));
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
    name = name.substr(1, name.size() - 2);
  }
  if (name == "utf-8" || name == "utf8") return absl::OkStatus();
  return refuse();
}

absl::StatusOr<std::vector<std::string>> DeleteKeyText(
    const ListenerPath& path, const std::vector<std::string>& key_fields,
    const Lookup& query) {
  if (path.record_id) {
    if (key_fields.size() != 1) {
      return InvalidArgumentError(
          "invalid_key",
          absl::StrCat("this listener's primary key has ", key_fields.size(),
                       " fields; delete with ?",
                       absl::StrJoin(key_fields, "=…&"), "=…"));
    }
    return std::vector<std::string>{*path.record_id};
  }
  std::vector<std::string> values;
  std::vector<std::string> missing;
  for (const std::string& field : key_fields) {
    if (auto value = query(field)) {
      values.push_back(*value);
    } else {
      missing.push_back(field);
    }
  }
  if (!missing.empty()) {
    return InvalidArgumentError(
        "invalid_key",
        absl::StrCat("DELETE needs the record id in the path or the "
                     "primary-key fields as query parameters; missing: ",
                     absl::StrJoin(missing, ", ")));
  }
  return values;
}

absl::StatusOr<std::string> IdempotencyKey(const Lookup& header,
                                           const v1::AuthConfig& auth) {
  std::string key = header("Idempotency-Key").value_or("");
  if (key.empty() && auth.method() == v1::AUTH_METHOD_HMAC) {
    // Senders that number their deliveries: the id is the idempotency key.
    const auto* preset = signatures::FindHmacPreset(auth.preset());
    if (preset != nullptr && !preset->delivery_id_header.empty()) {
      key = header(std::string(preset->delivery_id_header)).value_or("");
    }
  }
  if (key.size() > kMaxIdempotencyKeyLength) {
    return InvalidArgumentError(
        "invalid_request",
        absl::StrCat("Idempotency-Key is longer than ",
                     kMaxIdempotencyKeyLength, " characters"));
  }
  return key;
}

absl::StatusOr<v1::WriteRequest> BuildWriteRequest(
    const std::string& listener_uuid, const mapping::RecordMapper& mapper,
    const std::string& method, std::string_view body,
    std::string idempotency_key, bool transformed) {
  const bool patch = method == "PATCH";
  auto records = mapper.Map(body, patch, /*at_root_path=*/!transformed);
  if (!records.ok()) return records.status();
  if (patch && records->size() != 1 && !(transformed && records->empty())) {
    return InvalidArgumentError("invalid_body",
                                "PATCH updates exactly one record");
  }
  v1::WriteRequest write;
  write.set_listener_uuid(listener_uuid);
  write.set_idempotency_key(std::move(idempotency_key));
  write.set_mode(patch ? v1::WRITE_MODE_PATCH : v1::WRITE_MODE_UPSERT);
  for (auto& record : *records) *write.add_records() = std::move(record);
  records->clear();
  if (write.ByteSizeLong() > static_cast<size_t>(kMaxMessageBytes)) {
    return InvalidArgumentError(
        "request_too_large",
        absl::StrCat("the request maps to more than ",
                     kMaxMessageBytes / (1024 * 1024),
                     " MiB of rows; send it in smaller parts"));
  }
  return write;
}

}  // namespace sluice::edge

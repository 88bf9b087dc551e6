#ifndef SLUICE_SERVICES_EDGE_INGEST_REQUEST_H_
#define SLUICE_SERVICES_EDGE_INGEST_REQUEST_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/mapping/record_mapper.h"
#include "sluice/v1/storage.pb.h"

namespace sluice::edge {

// The steps of an ingest request (DESIGN §3) as pure functions, free of HTTP
// and gRPC types. Errors carry their API error code; ToHttpError gives the
// HTTP status (404, 405, 413, 415, 400).

using Lookup = std::function<std::optional<std::string>(const std::string&)>;

// /{serviceUuid}/{listenerUuid}[/{recordId}], uuids lowercased.
struct ListenerPath {
  std::string integration;
  std::string listener;
  // The third segment; an empty one (a trailing slash) is no record id.
  std::optional<std::string> record_id;
};

// NOT_FOUND `not_found` when the segments are not a listener URL; checked
// before any backend is asked, so scans of random paths cost nothing.
absl::StatusOr<ListenerPath> ParseListenerPath(
    const std::vector<std::string>& segments);

// POST, PUT, PATCH and DELETE; a record id in the path only with DELETE.
// `method_not_allowed` otherwise (the Allow header is AllowedMethods()).
absl::Status CheckMethod(const std::string& method, const ListenerPath& path);
std::string AllowedMethods(const ListenerPath& path);

// `body_too_large` when `bytes` is over the listener's `limit`.
absl::Status CheckBodySize(size_t bytes, int64_t limit);

// `unsupported_media_type` unless the type is application/json with at most
// a UTF-8 charset parameter.
absl::Status CheckJsonContentType(const std::optional<std::string>& type);

// The text of the key a DELETE names: the record id in the path (single
// primary key) or one query parameter per primary-key field.
// `invalid_key` naming what is missing.
absl::StatusOr<std::vector<std::string>> DeleteKeyText(
    const ListenerPath& path, const std::vector<std::string>& key_fields,
    const Lookup& query);

// The request's idempotency key: Idempotency-Key, else the delivery id
// header of the listener's HMAC preset (standard-webhooks: webhook-id), else
// "". `invalid_request` when longer than 1024 characters.
absl::StatusOr<std::string> IdempotencyKey(const Lookup& header,
                                           const v1::AuthConfig& auth);

// Maps `body` with the listener's mapper into the write storage commits:
// upsert for POST/PUT, patch (exactly one record) for PATCH. With
// `transformed`, `body` is the JSON array of records a script returned
// (read without the root path; a PATCH whose record the script dropped
// writes nothing). `request_too_large` when the rows exceed what one gRPC
// message carries.
absl::StatusOr<v1::WriteRequest> BuildWriteRequest(
    const std::string& listener_uuid, const mapping::RecordMapper& mapper,
    const std::string& method, std::string_view body,
    std::string idempotency_key, bool transformed = false);

}  // namespace sluice::edge

#endif  // SLUICE_SERVICES_EDGE_INGEST_REQUEST_H_

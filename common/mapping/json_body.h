#ifndef SLUICE_COMMON_MAPPING_JSON_BODY_H_
#define SLUICE_COMMON_MAPPING_JSON_BODY_H_

#include <simdjson.h>

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace sluice::mapping {

// Reading a request body's records with simdjson, shared by the mapper and
// the transform scripts (include only in .cc files: simdjson is large).

// The calling thread's parser, sized for ordinary bodies, refusing JSON
// nested deeper than kMaxJsonDepth.
simdjson::dom::parser& ThreadParser();

// Shrinks the thread's parser when it leaves scope, if a large body grew it
// (what was read from it must be copied out by then).
struct ShrinkParserAfterUse {
  simdjson::dom::parser& parser;
  ~ShrinkParserAfterUse();
};

// Parses `body` with `parser` and returns what stands at `root_path`: one
// record or an array of at most kMaxRecordsPerRequest. `malformed_json`
// for a body that is not JSON (or nests too deep), `invalid_body` when the
// root path is not in it, `too_many_records`.
absl::StatusOr<simdjson::dom::element> ParseRecords(
    simdjson::dom::parser& parser, std::string_view body,
    const std::vector<std::string>& root_path);

}  // namespace sluice::mapping

#endif  // SLUICE_COMMON_MAPPING_JSON_BODY_H_

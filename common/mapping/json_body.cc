#include "common/mapping/json_body.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "common/mapping/record_mapper.h"
#include "common/status/error_code.h"

namespace sluice::mapping {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// Each thread keeps a parser sized for ordinary bodies.
constexpr size_t kParserCapacity = 1 << 16;
// A parser grown past this for a large body gives its memory back after it.
constexpr size_t kKeptParserCapacity = 1 << 20;

absl::Status ParseError(simdjson::error_code error) {
  switch (error) {
    case simdjson::DEPTH_ERROR:
      return InvalidArgumentError(
          "malformed_json",
          absl::StrCat("JSON nests deeper than ", kMaxJsonDepth, " levels"));
    case simdjson::UTF8_ERROR:
      return InvalidArgumentError("malformed_json", "body is not valid UTF-8");
    case simdjson::NUMBER_ERROR:
      return InvalidArgumentError(
          "malformed_json",
          "body has a number that does not fit a 64-bit value");
    case simdjson::EMPTY:
      return InvalidArgumentError("malformed_json", "body is empty");
    default:
      return InvalidArgumentError("malformed_json",
                                  absl::StrCat("body is not valid JSON: ",
                                               simdjson::error_message(error)));
  }
}

}  // namespace

simdjson::dom::parser& ThreadParser() {
  thread_local simdjson::dom::parser parser = [] {
    simdjson::dom::parser p;
    if (p.allocate(kParserCapacity, kMaxJsonDepth) != simdjson::SUCCESS) {
      std::abort();
    }
    return p;
  }();
  return parser;
}

ShrinkParserAfterUse::~ShrinkParserAfterUse() {
  if (parser.capacity() > kKeptParserCapacity) {
    // On failure the parser keeps its larger buffers: still correct.
    simdjson::error_code ignored =
        parser.allocate(kParserCapacity, kMaxJsonDepth);
    (void)ignored;
  }
}

absl::StatusOr<element> ParseRecords(simdjson::dom::parser& parser,
                                     std::string_view body,
                                     const std::vector<std::string>& root_path) {
  element at;
  if (auto error = parser.parse(body.data(), body.size(), true).get(at);
      error) {
    return ParseError(error);
  }
  std::string walked;
  for (const std::string& key : root_path) {
    walked = walked.empty() ? key : absl::StrCat(walked, ".", key);
    element next;
    if (at.type() != element_type::OBJECT ||
        at.get_object().at_key(key).get(next)) {
      return InvalidArgumentError(
          "invalid_body",
          absl::StrCat("root path \"", walked, "\" is not in the body"));
    }
    at = next;
  }
  if (at.type() == element_type::ARRAY) {
    size_t size = simdjson::dom::array(at).size();
    if (size > kMaxRecordsPerRequest) {
      return InvalidArgumentError(
          "too_many_records",
          absl::StrCat("a request holds at most ", kMaxRecordsPerRequest,
                       " records; this one has ", size));
    }
  }
  return at;
}

}  // namespace sluice::mapping

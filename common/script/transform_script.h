#ifndef SLUICE_COMMON_SCRIPT_TRANSFORM_SCRIPT_H_
#define SLUICE_COMMON_SCRIPT_TRANSFORM_SCRIPT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace sluice::script {

// A listener's transform script (Lua 5.4) defines
//   function transform(record, ctx) ... end
// which returns the changed record, nil to drop it, or calls error(msg) to
// reject the whole request.
//
// Scripts run sandboxed: only the base (without dofile, loadfile,
// collectgarbage; load takes text only), string (without dump), table, math,
// utf8 and coroutine libraries; no io, os, require, package or debug;
// setmetatable refuses __gc (finalizers would run outside the budget). Every
// call has an instruction budget, which library loops over a range the
// script chooses (string.rep, table.move, …) are charged against too, and
// every state a memory cap. Lua patterns (string.find, match, gmatch, gsub)
// run in C, where the budget cannot see: a pattern that backtracks badly on
// a long subject can run long.
//
// JSON in Lua: objects are tables with string keys, arrays are tables with
// keys 1..n (marked, so an empty array stays an array), JSON null is the
// global `null`. A table the script builds is written as an array when its
// keys are exactly 1..n, else as an object; `array(t)` marks `t` as an array.

// Scripts longer than this are refused when saved.
inline constexpr size_t kMaxScriptBytes = 256 * 1024;

struct Limits {
  // Lua VM instructions per transform() call (and for the script's top level).
  int64_t instructions = 10'000'000;
  // Bytes the Lua state may hold at any time.
  size_t memory_bytes = 32 * 1024 * 1024;
};

// What transform() receives as `ctx`.
struct Context {
  // Whose script this is (a listener's uuid): states are never shared
  // between scopes, so one listener's globals are never another's.
  std::string scope;
  std::string listener;  // the listener's name
  std::string method;    // POST, PUT or PATCH
  std::string received;  // RFC 3339 UTC time the request arrived
  // Request headers, lowercase names, credentials already removed.
  std::vector<std::pair<std::string, std::string>> headers;
};

// Checks a script as it is saved: it compiles as Lua text, its top level
// runs within the limits, and it defines a function `transform`.
// INVALID_ARGUMENT `invalid_script` with the line number otherwise.
absl::Status Check(std::string_view source, const Limits& limits = {});

// Runs `source`'s transform() on each record at `root_path` of the JSON
// `body` (one object or an array of objects) and returns the records kept as
// a JSON array. The compiled script is kept per thread and per script text;
// no state is shared between threads.
//
// Errors: INVALID_ARGUMENT `script_rejected` (HTTP 422) when the script calls
// error(msg) (the message is msg), fails at run time, returns something that
// is not a record, or goes over a limit (the message names it);
// `malformed_json` / `invalid_body` for a body that cannot be read;
// `invalid_script` when the script does not compile.
absl::StatusOr<std::string> Transform(std::string_view source,
                                      std::string_view body,
                                      const std::vector<std::string>& root_path,
                                      const Context& context,
                                      const Limits& limits = {});

}  // namespace sluice::script

#endif  // SLUICE_COMMON_SCRIPT_TRANSFORM_SCRIPT_H_

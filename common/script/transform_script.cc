#include "common/script/transform_script.h"

extern "C" {
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
}

#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <list>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/mapping/json_body.h"
#include "common/mapping/json_path.h"
#include "common/mapping/record_mapper.h"
#include "common/status/error_code.h"

namespace sluice::script {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// The instruction hook runs every this many VM instructions.
constexpr int kHookEvery = 1000;
// Compiled scripts each thread keeps; the least recently used goes first.
constexpr size_t kStatesPerThread = 8;
// A state holding more than this after a request is collected at once.
constexpr size_t kCollectAbove = 4 * 1024 * 1024;
// A script's output, all records together, is at most this large.
constexpr size_t kMaxOutputBytes = 32 * 1024 * 1024;
constexpr size_t kMaxDepth = mapping::kMaxJsonDepth;

// Addresses that identify Sluice's values inside a Lua state.
char null_marker;
const char kArrayMeta[] = "sluice.array";
const char kRejectionMeta[] = "sluice.rejection";

absl::Status Rejected(std::string message) {
  return InvalidArgumentError("script_rejected", message);
}

absl::Status InvalidScript(std::string message) {
  return InvalidArgumentError("invalid_script", message);
}

// "script:3: msg" (Lua's form for chunk "=script") as "line 3: msg".
std::string WithLine(std::string message) {
  constexpr absl::string_view kPrefix = "script:";
  if (!absl::StartsWith(message, kPrefix)) return message;
  size_t colon = message.find(':', kPrefix.size());
  int line = 0;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(message.substr(kPrefix.size(), colon - kPrefix.size()),
                        &line)) {
    return message;
  }
  size_t rest = colon + 1;
  while (rest < message.size() && message[rest] == ' ') ++rest;
  return absl::StrCat("line ", line, ": ", message.substr(rest));
}

std::string ErrorText(lua_State* L, int index) {
  if (lua_type(L, index) == LUA_TSTRING) return lua_tostring(L, index);
  return absl::StrCat("an error value of type ", luaL_typename(L, index));
}

// One compiled script in a Lua state of its own, used by one thread.
class Sandbox {
 public:
  static absl::StatusOr<std::unique_ptr<Sandbox>> Create(
      std::string_view source, const Limits& limits,
      std::string_view scope = "");
  ~Sandbox() {
    if (L_ != nullptr) lua_close(L_);
  }
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  bool Holds(std::string_view scope, std::string_view source,
             const Limits& limits) const {
    return scope == scope_ && source == source_ &&
           limits.instructions == limits_.instructions &&
           limits.memory_bytes == limits_.memory_bytes;
  }

  absl::StatusOr<std::string> Run(element records, const Context& context);

 private:
  enum class Stop { kNone, kInstructions, kMemory };

  Sandbox(std::string_view source, const Limits& limits,
          std::string_view scope)
      : source_(source), scope_(scope), limits_(limits) {}
  // A full collection; finalizers cannot run (setmetatable refuses __gc).
  void Collect() { lua_gc(L_, LUA_GCCOLLECT); }

  static Sandbox* Of(lua_State* L) {
    return *static_cast<Sandbox**>(lua_getextraspace(L));
  }
  static void* Alloc(void* ud, void* ptr, size_t osize, size_t nsize);
  static void Hook(lua_State* L, lua_Debug*);
  static int Error(lua_State* L);
  static int Load(lua_State* L);
  static int Array(lua_State* L);
  static int RejectionText(lua_State* L);
  static int SetMetatable(lua_State* L);
  static int Rep(lua_State* L);
  static int Charged(lua_State* L);
  // Counts `work` units of a library function against the budget.
  static void Charge(lua_State* L, lua_Integer work);
  // Protected steps (run through lua_pcall: Lua raises memory errors with
  // longjmp, which must not cross C++ frames).
  static int OpenLibraries(lua_State* L);
  static int TransformType(lua_State* L);
  static int PushContextRef(lua_State* L);
  static int CallTransform(lua_State* L);

  absl::Status Open();
  bool IsRejection(int index);
  // Starts a call's budget.
  void Arm() {
    stop_ = Stop::kNone;
    executed_ = 0;
    lua_sethook(L_, &Hook, LUA_MASKCOUNT, kHookEvery);
  }
  // The error for a failed call on `what` ("record 3", "the top level").
  // `status` is lua_pcall's.
  absl::Status Failure(int status, const std::string& what);
  void PushJson(element value);
  // Never raises a Lua error (it allocates nothing in the state).
  absl::Status WriteJson(int index, size_t depth, std::string* out);
  static absl::Status TooLarge() {
    return Rejected(absl::StrCat("the script's output is larger than ",
                                 kMaxOutputBytes / (1024 * 1024), " MiB"));
  }

  lua_State* L_ = nullptr;
  const std::string source_;
  const std::string scope_;
  const Limits limits_;
  size_t used_ = 0;
  int64_t executed_ = 0;
  Stop stop_ = Stop::kNone;
  int array_meta_ = LUA_NOREF;
  int rejection_meta_ = LUA_NOREF;
  int context_ = LUA_NOREF;
};

void* Sandbox::Alloc(void* ud, void* ptr, size_t osize, size_t nsize) {
  auto* s = static_cast<Sandbox*>(ud);
  if (ptr == nullptr) osize = 0;  // Lua passes a type tag then
  if (nsize == 0) {
    std::free(ptr);
    s->used_ -= osize;
    return nullptr;
  }
  // Lua answers a refusal with an emergency collection and a retry, then
  // LUA_ERRMEM; only that error counts as going over the limit.
  if (nsize > osize && s->used_ + (nsize - osize) > s->limits_.memory_bytes)
    return nullptr;
  void* moved = std::realloc(ptr, nsize);
  if (moved == nullptr) return nullptr;
  s->used_ = s->used_ - osize + nsize;
  return moved;
}

void Sandbox::Hook(lua_State* L, lua_Debug*) {
  Sandbox* s = Of(L);
  s->executed_ += kHookEvery;
  if (s->executed_ > s->limits_.instructions || s->stop_ != Stop::kNone) {
    if (s->stop_ == Stop::kNone) s->stop_ = Stop::kInstructions;
    // From now on every instruction of this coroutine fails, so a script
    // cannot catch the error with pcall and go on.
    lua_sethook(L, &Hook, LUA_MASKCOUNT, 1);
    luaL_error(L, "instruction limit reached");
  }
}

// error(msg): rejects the request with msg as the message. The error value
// is a marked table so the top level tells it from a run-time error; its
// __tostring gives msg to a script that catches it.
int Sandbox::Error(lua_State* L) {
  if (lua_type(L, 1) == LUA_TSTRING || lua_type(L, 1) == LUA_TNUMBER) {
    lua_pushvalue(L, 1);
    lua_tostring(L, -1);  // a number becomes its text here, in protected code
  } else {
    lua_pushfstring(L, "rejected by the script (error value of type %s)",
                    luaL_typename(L, 1));
  }
  lua_createtable(L, 1, 0);
  lua_insert(L, -2);
  lua_rawseti(L, -2, 1);
  lua_rawgeti(L, LUA_REGISTRYINDEX, Of(L)->rejection_meta_);
  lua_setmetatable(L, -2);
  return lua_error(L);
}

int Sandbox::RejectionText(lua_State* L) {
  lua_rawgeti(L, 1, 1);
  return 1;
}

// load(text [, name [, mode [, env]]]): text chunks only, never bytecode.
int Sandbox::Load(lua_State* L) {
  size_t size = 0;
  const char* text = luaL_checklstring(L, 1, &size);
  const char* name = luaL_optstring(L, 2, "=load");
  bool has_env = !lua_isnone(L, 4);
  if (luaL_loadbufferx(L, text, size, name, "t") != LUA_OK) {
    luaL_pushfail(L);
    lua_insert(L, -2);
    return 2;
  }
  if (has_env) {
    lua_pushvalue(L, 4);
    if (lua_setupvalue(L, -2, 1) == nullptr) lua_pop(L, 1);
  }
  return 1;
}

// setmetatable(t, mt), refusing a metatable with __gc: finalizers run
// during collection, where the instruction hook cannot stop them.
int Sandbox::SetMetatable(lua_State* L) {
  lua_pushliteral(L, "__gc");
  if (lua_type(L, 2) == LUA_TTABLE && lua_rawget(L, 2) != LUA_TNIL) {
    return luaL_error(L, "metatables with __gc are not allowed");
  }
  lua_settop(L, 2);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, 2, 1);
  return 1;
}

void Sandbox::Charge(lua_State* L, lua_Integer work) {
  Sandbox* s = Of(L);
  if (work < 0) work = 0;
  if (work > s->limits_.instructions - s->executed_) {
    s->stop_ = Stop::kInstructions;
    s->executed_ = s->limits_.instructions + 1;
    luaL_error(L, "instruction limit reached");
  }
  s->executed_ += work;
}

// string.rep(s, n [, sep]): refused before it starts when the result would
// not fit the memory limit; an empty result returns at once.
int Sandbox::Rep(lua_State* L) {
  size_t length = 0, separator = 0;
  luaL_checklstring(L, 1, &length);
  lua_Integer n = luaL_checkinteger(L, 2);
  luaL_optlstring(L, 3, "", &separator);
  if (n <= 0 || length + separator == 0) {
    lua_pushliteral(L, "");
    return 1;
  }
  const size_t limit = Of(L)->limits_.memory_bytes;
  if (static_cast<lua_Unsigned>(n) > limit / (length + separator)) {
    Of(L)->stop_ = Stop::kMemory;
    return luaL_error(L, "not enough memory");
  }
  Charge(L, n);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 1);
  return 1;
}

// Elements from `first` to `last`, without overflow (the library then
// refuses ranges this large itself).
lua_Integer Span(lua_Integer first, lua_Integer last) {
  if (last < first) return 0;
  lua_Unsigned n = static_cast<lua_Unsigned>(last) -
                   static_cast<lua_Unsigned>(first) + 1;
  return n == 0 || n > static_cast<lua_Unsigned>(LUA_MAXINTEGER)
             ? LUA_MAXINTEGER
             : static_cast<lua_Integer>(n);
}

// table.move, table.concat, table.unpack, table.insert and table.remove
// loop in C over a range the script chooses: the range is charged to the
// instruction budget first. Upvalue 1 is the original, upvalue 2 which
// arguments give the range.
int Sandbox::Charged(lua_State* L) {
  lua_Integer work = 0;
  switch (lua_tointeger(L, lua_upvalueindex(2))) {
    case 0:  // move(a1, f, e, t [, a2])
      work = Span(luaL_checkinteger(L, 2), luaL_checkinteger(L, 3));
      break;
    case 1:    // concat(t [, sep [, i [, j]]])
    case 2: {  // unpack(t [, i [, j]])
      int first = lua_tointeger(L, lua_upvalueindex(2)) == 1 ? 3 : 2;
      luaL_checktype(L, 1, LUA_TTABLE);
      lua_Integer i = luaL_optinteger(L, first, 1);
      lua_Integer j = lua_isnoneornil(L, first + 1)
                          ? static_cast<lua_Integer>(lua_rawlen(L, 1))
                          : luaL_checkinteger(L, first + 1);
      work = Span(i, j);
      break;
    }
    default:  // insert / remove: shifts up to the length
      if (lua_type(L, 1) == LUA_TTABLE)
        work = static_cast<lua_Integer>(lua_rawlen(L, 1));
      break;
  }
  Charge(L, work);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

int Sandbox::Array(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  lua_rawgeti(L, LUA_REGISTRYINDEX, Of(L)->array_meta_);
  lua_setmetatable(L, 1);
  return 1;
}

int Sandbox::OpenLibraries(lua_State* L) {
  Sandbox* s = Of(L);
  struct Library {
    const char* name;
    lua_CFunction open;
  };
  for (const Library& lib : {Library{LUA_GNAME, luaopen_base},
                             Library{LUA_STRLIBNAME, luaopen_string},
                             Library{LUA_TABLIBNAME, luaopen_table},
                             Library{LUA_MATHLIBNAME, luaopen_math},
                             Library{LUA_UTF8LIBNAME, luaopen_utf8},
                             Library{LUA_COLIBNAME, luaopen_coroutine}}) {
    luaL_requiref(L, lib.name, lib.open, 1);
    lua_pop(L, 1);
  }
  for (const char* name :
       {"dofile", "loadfile", "collectgarbage", "print", "warn", "require"}) {
    lua_pushnil(L);
    lua_setglobal(L, name);
  }
  lua_getglobal(L, LUA_STRLIBNAME);
  lua_pushnil(L);
  lua_setfield(L, -2, "dump");
  lua_getfield(L, -1, "rep");
  lua_pushcclosure(L, &Rep, 1);
  lua_setfield(L, -2, "rep");
  lua_pop(L, 1);
  lua_getglobal(L, LUA_TABLIBNAME);
  const char* ranged[] = {"move", "concat", "unpack", "insert", "remove"};
  for (int kind = 0; kind < 5; ++kind) {
    lua_getfield(L, -1, ranged[kind]);
    lua_pushinteger(L, kind);
    lua_pushcclosure(L, &Charged, 2);
    lua_setfield(L, -2, ranged[kind]);
  }
  lua_pop(L, 1);
  lua_getglobal(L, "setmetatable");
  lua_pushcclosure(L, &SetMetatable, 1);
  lua_setglobal(L, "setmetatable");
  lua_register(L, "load", &Load);
  lua_register(L, "error", &Error);
  lua_register(L, "array", &Array);
  lua_pushlightuserdata(L, &null_marker);
  lua_setglobal(L, "null");
  luaL_newmetatable(L, kArrayMeta);
  s->array_meta_ = luaL_ref(L, LUA_REGISTRYINDEX);
  luaL_newmetatable(L, kRejectionMeta);
  lua_pushcfunction(L, &RejectionText);
  lua_setfield(L, -2, "__tostring");
  s->rejection_meta_ = luaL_ref(L, LUA_REGISTRYINDEX);
  return 0;
}

int Sandbox::TransformType(lua_State* L) {
  lua_getglobal(L, "transform");
  lua_pushinteger(L, lua_type(L, -1));
  return 1;
}

int Sandbox::PushContextRef(lua_State* L) {
  Sandbox* s = Of(L);
  const auto& context = *static_cast<const Context*>(lua_touserdata(L, 1));
  lua_createtable(L, 0, 4);
  lua_pushlstring(L, context.listener.data(), context.listener.size());
  lua_setfield(L, -2, "listener");
  lua_pushlstring(L, context.method.data(), context.method.size());
  lua_setfield(L, -2, "method");
  lua_pushlstring(L, context.received.data(), context.received.size());
  lua_setfield(L, -2, "received");
  lua_createtable(L, 0, static_cast<int>(context.headers.size()));
  for (const auto& header : context.headers) {
    lua_pushlstring(L, header.first.data(), header.first.size());
    lua_pushlstring(L, header.second.data(), header.second.size());
    lua_rawset(L, -3);
  }
  lua_setfield(L, -2, "headers");
  s->context_ = luaL_ref(L, LUA_REGISTRYINDEX);
  return 0;
}

int Sandbox::CallTransform(lua_State* L) {
  Sandbox* s = Of(L);
  const auto* record = static_cast<const element*>(lua_touserdata(L, 1));
  lua_settop(L, 0);
  lua_getglobal(L, "transform");
  s->PushJson(*record);
  lua_rawgeti(L, LUA_REGISTRYINDEX, s->context_);
  lua_call(L, 2, 1);
  return 1;
}

bool Sandbox::IsRejection(int index) {
  index = lua_absindex(L_, index);
  if (lua_type(L_, index) != LUA_TTABLE || !lua_getmetatable(L_, index))
    return false;
  lua_rawgeti(L_, LUA_REGISTRYINDEX, rejection_meta_);
  bool rejection = lua_rawequal(L_, -1, -2);
  lua_pop(L_, 2);
  return rejection;
}

absl::Status Sandbox::Open() {
  L_ = lua_newstate(&Alloc, this);
  if (L_ == nullptr) return Rejected("the script's memory limit is too small");
  *static_cast<Sandbox**>(lua_getextraspace(L_)) = this;
  lua_pushcfunction(L_, &OpenLibraries);
  if (lua_pcall(L_, 0, 0, 0) != LUA_OK) {
    return Rejected("the script's memory limit is too small");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Sandbox>> Sandbox::Create(
    std::string_view source, const Limits& limits, std::string_view scope) {
  if (source.size() > kMaxScriptBytes) {
    return InvalidScript(absl::StrCat("a script holds at most ",
                                      kMaxScriptBytes, " bytes"));
  }
  std::unique_ptr<Sandbox> s(new Sandbox(source, limits, scope));
  if (absl::Status opened = s->Open(); !opened.ok()) return opened;
  lua_State* L = s->L_;
  if (luaL_loadbufferx(L, s->source_.data(), s->source_.size(), "=script",
                       "t") != LUA_OK) {
    return InvalidScript(WithLine(ErrorText(L, -1)));
  }
  s->Arm();
  if (int status = lua_pcall(L, 0, 0, 0);
      status != LUA_OK || s->stop_ != Stop::kNone) {
    absl::Status failed = s->Failure(status, "its top level");
    return InvalidScript(std::string(failed.message()));
  }
  lua_pushcfunction(L, &TransformType);
  if (lua_pcall(L, 0, 1, 0) != LUA_OK || lua_tointeger(L, -1) != LUA_TFUNCTION) {
    return InvalidScript(
        "the script must define a function transform(record, ctx)");
  }
  lua_settop(L, 0);
  return s;
}

absl::Status Sandbox::Failure(int status, const std::string& what) {
  const int index_of_error = -1;
  if (stop_ == Stop::kNone && status == LUA_ERRMEM) stop_ = Stop::kMemory;
  std::string message;
  switch (stop_) {
    case Stop::kInstructions:
      message = absl::StrCat("the script went over its instruction limit (",
                             limits_.instructions, " instructions) in ", what);
      break;
    case Stop::kMemory:
      message = absl::StrCat("the script went over its memory limit (",
                             limits_.memory_bytes / (1024 * 1024),
                             " MiB) in ", what);
      break;
    case Stop::kNone:
      if (IsRejection(index_of_error)) {
        lua_rawgeti(L_, index_of_error, 1);
        message = ErrorText(L_, -1);
        lua_pop(L_, 1);
      } else {
        message = absl::StrCat("script error in ", what, ": ",
                               WithLine(ErrorText(L_, index_of_error)));
      }
      break;
  }
  lua_settop(L_, 0);
  stop_ = Stop::kNone;
  Collect();
  return Rejected(message);
}

void Sandbox::PushJson(element value) {
  luaL_checkstack(L_, 4, "JSON nests too deep");
  switch (value.type()) {
    case element_type::OBJECT: {
      simdjson::dom::object object(value);
      lua_createtable(L_, 0, static_cast<int>(object.size()));
      for (auto field : object) {
        lua_pushlstring(L_, field.key.data(), field.key.size());
        PushJson(field.value);
        lua_rawset(L_, -3);
      }
      return;
    }
    case element_type::ARRAY: {
      simdjson::dom::array array(value);
      lua_createtable(L_, static_cast<int>(array.size()), 0);
      lua_Integer i = 0;
      for (element item : array) {
        PushJson(item);
        lua_rawseti(L_, -2, ++i);
      }
      lua_rawgeti(L_, LUA_REGISTRYINDEX, array_meta_);
      lua_setmetatable(L_, -2);
      return;
    }
    case element_type::STRING: {
      std::string_view text(value);
      lua_pushlstring(L_, text.data(), text.size());
      return;
    }
    case element_type::INT64:
      lua_pushinteger(L_, int64_t(value));
      return;
    case element_type::UINT64:
      lua_pushnumber(L_, static_cast<lua_Number>(uint64_t(value)));
      return;
    case element_type::DOUBLE:
      lua_pushnumber(L_, double(value));
      return;
    case element_type::BOOL:
      lua_pushboolean(L_, bool(value));
      return;
    case element_type::NULL_VALUE:
      lua_pushlightuserdata(L_, &null_marker);
      return;
  }
}

absl::Status Sandbox::WriteJson(int index, size_t depth, std::string* out) {
  index = lua_absindex(L_, index);
  switch (lua_type(L_, index)) {
    case LUA_TBOOLEAN:
      out->append(lua_toboolean(L_, index) ? "true" : "false");
      return absl::OkStatus();
    case LUA_TNUMBER:
      if (lua_isinteger(L_, index)) {
        absl::StrAppend(out, lua_tointeger(L_, index));
      } else {
        double number = lua_tonumber(L_, index);
        if (!std::isfinite(number))
          return Rejected("the script returned a number JSON cannot hold");
        char text[32];
        std::snprintf(text, sizeof text, "%.17g", number);
        out->append(text);
      }
      return absl::OkStatus();
    case LUA_TSTRING: {
      size_t size = 0;
      const char* text = lua_tolstring(L_, index, &size);
      if (!simdjson::validate_utf8(text, size))
        return Rejected("the script returned a string that is not UTF-8");
      out->append(mapping::JsonQuote(std::string_view(text, size)));
      return absl::OkStatus();
    }
    case LUA_TLIGHTUSERDATA:
      if (lua_touserdata(L_, index) == &null_marker) {
        out->append("null");
        return absl::OkStatus();
      }
      break;
    case LUA_TTABLE:
      break;
    default:
      return Rejected(absl::StrCat("the script returned a ",
                                   luaL_typename(L_, index),
                                   ", which has no JSON form"));
  }
  if (lua_type(L_, index) != LUA_TTABLE)
    return Rejected("the script returned a value with no JSON form");
  if (depth >= kMaxDepth) {
    return Rejected(absl::StrCat("the script returned a record nested deeper "
                                 "than ",
                                 kMaxDepth, " levels"));
  }
  if (!lua_checkstack(L_, 6))
    return Rejected("the script's record nests too deep");
  bool marked = false;
  if (lua_getmetatable(L_, index)) {
    lua_rawgeti(L_, LUA_REGISTRYINDEX, array_meta_);
    marked = lua_rawequal(L_, -1, -2);
    lua_pop(L_, 2);
  }
  // One pass over the keys: an array has only the keys 1..n (a marked one
  // may have holes, written as null).
  lua_Integer keys = 0, largest = 0;
  bool integer_keys = true;
  lua_pushnil(L_);
  while (lua_next(L_, index) != 0) {
    lua_pop(L_, 1);
    ++keys;
    if (lua_isinteger(L_, -1) && lua_tointeger(L_, -1) >= 1) {
      largest = std::max(largest, lua_tointeger(L_, -1));
    } else {
      integer_keys = false;
    }
  }
  if (marked && !integer_keys)
    return Rejected("the script returned an array with a field that is not an index");
  bool is_array = marked || (keys > 0 && integer_keys && largest == keys);
  lua_Integer length = largest;
  if (static_cast<size_t>(length) > kMaxOutputBytes)
    return Rejected("the script returned an array too large to write");
  if (is_array) {
    out->push_back('[');
    for (lua_Integer i = 1; i <= length; ++i) {
      if (i > 1) out->push_back(',');
      lua_rawgeti(L_, index, i);
      absl::Status s = lua_isnil(L_, -1) ? (out->append("null"),
                                            absl::OkStatus())
                                         : WriteJson(-1, depth + 1, out);
      lua_pop(L_, 1);
      if (!s.ok()) return s;
      if (out->size() > kMaxOutputBytes) return TooLarge();
    }
    out->push_back(']');
    return absl::OkStatus();
  }
  out->push_back('{');
  bool first = true;
  lua_pushnil(L_);
  while (lua_next(L_, index) != 0) {
    // Key at -2, value at -1; the key is converted on a copy so lua_next
    // still finds its place.
    int key_type = lua_type(L_, -2);
    if (key_type != LUA_TSTRING && key_type != LUA_TNUMBER) {
      lua_pop(L_, 2);
      return Rejected(absl::StrCat("the script returned an object with a ",
                                   lua_typename(L_, key_type), " key"));
    }
    std::string key;
    if (key_type == LUA_TSTRING) {
      size_t size = 0;
      const char* text = lua_tolstring(L_, -2, &size);  // no conversion
      key.assign(text, size);
    } else if (lua_isinteger(L_, -2)) {
      key = absl::StrCat(lua_tointeger(L_, -2));
    } else {
      char text[32];
      std::snprintf(text, sizeof text, "%.17g", lua_tonumber(L_, -2));
      key = text;
    }
    if (!simdjson::validate_utf8(key.data(), key.size())) {
      lua_pop(L_, 2);
      return Rejected("the script returned a field name that is not UTF-8");
    }
    if (!first) out->push_back(',');
    first = false;
    out->append(mapping::JsonQuote(key));
    out->push_back(':');
    absl::Status s = WriteJson(-1, depth + 1, out);
    lua_pop(L_, 1);
    if (s.ok() && out->size() > kMaxOutputBytes) s = TooLarge();
    if (!s.ok()) {
      lua_pop(L_, 1);
      return s;
    }
  }
  out->push_back('}');
  return absl::OkStatus();
}

absl::StatusOr<std::string> Sandbox::Run(element records,
                                         const Context& context) {
  lua_settop(L_, 0);
  Arm();
  lua_pushcfunction(L_, &PushContextRef);
  lua_pushlightuserdata(L_, const_cast<Context*>(&context));
  if (int status = lua_pcall(L_, 1, 0, 0); status != LUA_OK)
    return Failure(status, "its context");
  std::string out = "[";
  bool first = true;
  size_t index = 0;
  auto one = [&](element record) -> absl::Status {
    Arm();
    lua_pushcfunction(L_, &CallTransform);
    lua_pushlightuserdata(L_, &record);
    std::string what = absl::StrCat("record ", index);
    if (int status = lua_pcall(L_, 1, 1, 0);
        status != LUA_OK || stop_ != Stop::kNone)
      return Failure(status, what);
    if (lua_type(L_, -1) == LUA_TTABLE) {
      if (!first) out.push_back(',');
      first = false;
      absl::Status written = WriteJson(-1, 1, &out);
      if (!written.ok()) {
        lua_settop(L_, 0);
        return Rejected(absl::StrCat(written.message(), " for ", what));
      }
    } else if (!lua_isnil(L_, -1)) {
      std::string type = luaL_typename(L_, -1);
      lua_settop(L_, 0);
      return Rejected(absl::StrCat("transform must return a table or nil; it "
                                   "returned a ",
                                   type, " for ", what));
    }
    lua_settop(L_, 0);
    ++index;
    return absl::OkStatus();
  };
  absl::Status status;
  if (records.type() == element_type::ARRAY) {
    for (element record : simdjson::dom::array(records)) {
      status = one(record);
      if (!status.ok()) break;
    }
  } else {
    status = one(records);
  }
  luaL_unref(L_, LUA_REGISTRYINDEX, context_);
  context_ = LUA_NOREF;
  if (used_ > kCollectAbove) Collect();
  if (!status.ok()) return status;
  out.push_back(']');
  return out;
}

// The thread's compiled scripts, most recently used first.
Sandbox* ThreadSandbox(std::string_view scope, std::string_view source,
                       const Limits& limits, absl::Status* error) {
  thread_local std::list<std::unique_ptr<Sandbox>> sandboxes;
  for (auto it = sandboxes.begin(); it != sandboxes.end(); ++it) {
    if ((*it)->Holds(scope, source, limits)) {
      sandboxes.splice(sandboxes.begin(), sandboxes, it);
      return sandboxes.front().get();
    }
  }
  auto created = Sandbox::Create(source, limits, scope);
  if (!created.ok()) {
    *error = created.status();
    return nullptr;
  }
  sandboxes.push_front(*std::move(created));
  if (sandboxes.size() > kStatesPerThread) sandboxes.pop_back();
  return sandboxes.front().get();
}

}  // namespace

absl::Status Check(std::string_view source, const Limits& limits) {
  return Sandbox::Create(source, limits).status();
}

absl::StatusOr<std::string> Transform(std::string_view source,
                                      std::string_view body,
                                      const std::vector<std::string>& root_path,
                                      const Context& context,
                                      const Limits& limits) {
  simdjson::dom::parser& parser = mapping::ThreadParser();
  mapping::ShrinkParserAfterUse shrink{parser};
  auto records = mapping::ParseRecords(parser, body, root_path);
  if (!records.ok()) return records.status();
  absl::Status error;
  Sandbox* sandbox = ThreadSandbox(context.scope, source, limits, &error);
  if (sandbox == nullptr) return error;
  return sandbox->Run(*records, context);
}

}  // namespace sluice::script

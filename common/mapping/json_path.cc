#include "common/mapping/json_path.h"

#include <algorithm>
#include <cstdio>

namespace sluice::mapping {

std::string AppendPath(std::string_view path, std::string_view key) {
  std::string out(path);
  if (!out.empty()) out.push_back('.');
  if (key.empty()) return out + "\\0";
  for (char c : key) {
    if (c == '.' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

std::string JoinPath(const std::vector<std::string>& keys) {
  std::string out;
  for (const std::string& key : keys) out = AppendPath(out, key);
  return out;
}

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> keys;
  if (path.empty()) return keys;
  std::string current;
  for (size_t i = 0; i < path.size(); ++i) {
    char c = path[i];
    if (c == '\\' && i + 1 < path.size()) {
      // "\0" is an empty key; otherwise the next character is literal.
      if (path[++i] != '0') current.push_back(path[i]);
    } else if (c == '.') {
      keys.push_back(std::move(current));
      current.clear();
    } else {
      current.push_back(c);
    }
  }
  keys.push_back(std::move(current));
  return keys;
}

std::string AppendPointer(std::string_view pointer, std::string_view key) {
  std::string out(pointer);
  out.push_back('/');
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string AppendPointerIndex(std::string_view pointer, size_t index) {
  std::string out(pointer);
  out.push_back('/');
  out += std::to_string(index);
  return out;
}

std::string PointerOfPath(std::string_view path) {
  std::string out;
  for (const std::string& key : SplitPath(path)) out = AppendPointer(out, key);
  return out;
}

std::optional<std::vector<std::string>> SplitPointer(std::string_view pointer) {
  std::vector<std::string> segments;
  if (pointer.empty()) return segments;
  if (pointer[0] != '/') return std::nullopt;
  segments.emplace_back();
  for (size_t i = 1; i < pointer.size(); ++i) {
    char c = pointer[i];
    if (c == '/') {
      segments.emplace_back();
    } else if (c != '~') {
      segments.back().push_back(c);
    } else if (i + 1 < pointer.size() &&
               (pointer[i + 1] == '0' || pointer[i + 1] == '1')) {
      segments.back().push_back(pointer[++i] == '0' ? '~' : '/');
    } else {
      return std::nullopt;
    }
  }
  return segments;
}

std::string PointerOfLegacyKey(std::string_view key) {
  std::vector<std::string> keys = SplitUserPath(key);
  if (keys.empty()) keys.push_back("");
  std::string out;
  for (const std::string& k : keys) out = AppendPointer(out, k);
  return out;
}

std::vector<std::string> SplitUserPath(std::string_view path) {
  std::vector<std::string> keys;
  if (path.empty()) return keys;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    keys.emplace_back(
        path.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return keys;
}

bool JsonNestsDeeperThan(std::string_view text, size_t limit) {
  size_t depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > limit) return true;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return false;
}

size_t Utf8Length(std::string_view text) {
  size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

std::string JsonQuote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('"');
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x",
                        static_cast<unsigned char>(c));
          out += buf;
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
  return out;
}

std::string FitUtf8(std::string_view text, size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3
               : (c >> 3) == 30 ? 4 : 0;
    bool valid = n > 0 && i + n <= text.size();
    for (size_t k = 1; valid && k < n; ++k)
      valid = (static_cast<unsigned char>(text[i + k]) >> 6) == 2;
    if (valid && n == 2) valid = c >= 0xC2;
    if (valid && n == 3) {
      unsigned char c1 = static_cast<unsigned char>(text[i + 1]);
      valid = !(c == 0xE0 && c1 < 0xA0) && !(c == 0xED && c1 >= 0xA0);
    }
    if (valid && n == 4) {
      unsigned char c1 = static_cast<unsigned char>(text[i + 1]);
      valid = c <= 0xF4 && !(c == 0xF0 && c1 < 0x90) && !(c == 0xF4 && c1 >= 0x90);
    }
    std::string_view piece =
        valid ? text.substr(i, n) : "\xEF\xBF\xBD";
    if (out.size() + piece.size() > max_bytes) break;
    out.append(piece);
    i += valid ? n : 1;
  }
  return out;
}


}  // namespace sluice::mapping

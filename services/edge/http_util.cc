#include "services/edge/http_util.h"

#include <spdlog/spdlog.h>

#include <functional>
#include <sstream>

#include "absl/strings/ascii.h"
#include "common/ops/metrics.h"
#include "services/edge/webhook_log.h"

namespace sluice::edge {
namespace {

// A response header with any name. Pistache 0.0.5 writes only typed headers
// to the wire (raw ones are dropped), so extra headers need a typed class.
class ExtraHeader : public Pistache::Http::Header::Header {
 public:
  ExtraHeader(std::string name, std::string value)
      : name_(std::move(name)), value_(std::move(value)) {}
  const char* name() const override { return name_.c_str(); }
  void parse(const std::string& data) override { value_ = data; }
  void write(std::ostream& stream) const override { stream << value_; }
#ifdef SAFE_HEADER_CAST
  uint64_t hash() const override { return std::hash<std::string>{}(name_); }
#endif

 private:
  std::string name_;
  std::string value_;
};

}  // namespace

std::optional<std::string> RequestCopy::Header(const std::string& name) const {
  auto it = headers.find(absl::AsciiStrToLower(name));
  if (it == headers.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> RequestCopy::Query(const std::string& name) const {
  auto it = query.find(name);
  if (it == query.end()) return std::nullopt;
  return it->second;
}

std::string PercentDecode(const std::string& text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 &&
        hex(text[i + 2]) >= 0) {
      out.push_back(
          static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2])));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

void SetPath(const std::string& resource, RequestCopy* copy) {
  copy->path = resource;
  copy->segments.clear();
  std::string path = resource;
  if (!path.empty() && path[0] == '/') path.erase(0, 1);
  copy->trailing_slash = !path.empty() && path.back() == '/';
  size_t start = 0;
  while (start <= path.size() && !path.empty()) {
    size_t slash = path.find('/', start);
    std::string segment = path.substr(
        start, slash == std::string::npos ? std::string::npos : slash - start);
    copy->segments.push_back(PercentDecode(segment, false));
    if (slash == std::string::npos) break;
    start = slash + 1;
    if (start == path.size()) break;
  }
}

void SetQuery(const std::string& query, RequestCopy* copy) {
  copy->query.clear();
  size_t start = 0;
  while (start < query.size()) {
    size_t amp = query.find('&', start);
    std::string part = query.substr(
        start, amp == std::string::npos ? std::string::npos : amp - start);
    size_t eq = part.find('=');
    if (!part.empty()) {
      copy->query[PercentDecode(part.substr(0, eq), true)] =
          eq == std::string::npos ? ""
                                  : PercentDecode(part.substr(eq + 1), true);
    }
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
}

RequestCopy CopyRequest(const Pistache::Http::Request& request) {
  RequestCopy copy;
  copy.start = std::chrono::steady_clock::now();
  copy.received = std::chrono::system_clock::now();
  copy.method = Pistache::Http::methodString(request.method());
  SetPath(request.resource(), &copy);
  for (const auto& [name, raw] : request.headers().rawList()) {
    copy.headers[absl::AsciiStrToLower(name)] = raw.value();
  }
  for (const auto& header : request.headers().list()) {
    std::ostringstream value;
    header->write(value);
    copy.headers[absl::AsciiStrToLower(header->name())] = value.str();
  }
  const auto& query = request.query();
  for (auto it = query.parameters_begin(); it != query.parameters_end(); ++it) {
    copy.query[PercentDecode(it->first, true)] =
        PercentDecode(it->second, true);
  }
  copy.body = request.body();
  try {
    copy.client = request.address().host();
  } catch (const std::exception&) {
  }
  if (copy.client == "127.0.0.1" || copy.client == "::1") {
    if (auto forwarded = copy.Header("X-Forwarded-For")) {
      std::string last = forwarded->substr(forwarded->rfind(',') + 1);
      copy.client = std::string(absl::StripAsciiWhitespace(last));
    }
  }
  return copy;
}

void Responder::Finish(int status) {
  sent_ = true;
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_)
          .count();
  if (metrics_ != nullptr)
    metrics_->Record(method_, std::to_string(status), seconds);
  if (log_ != nullptr)
    log_->Finish(status, error_code_, error_message_, seconds);
}

void Responder::AddHeaders(const Headers& headers) {
  for (const auto& [name, value] : headers) {
    try {
      writer_.headers().add(std::make_shared<ExtraHeader>(name, value));
    } catch (const std::exception&) {
      // A header Pistache refuses is left out; the answer still goes.
    }
  }
}

void Responder::Raw(int status, const std::string& body,
                    const std::string& content_type,
                    const Headers& extra_headers) {
  if (sent_) return;
  Finish(status);
  AddHeaders(always_);
  AddHeaders(extra_headers);
  try {
    writer_.send(static_cast<Pistache::Http::Code>(status), body,
                 Pistache::Http::Mime::MediaType::fromString(content_type));
  } catch (const std::exception&) {
    // The client went away; nothing to answer.
  }
}

void Responder::Json(int status, const std::string& body,
                     const Headers& extra_headers) {
  Raw(status, body, "application/json", extra_headers);
}

void Responder::Empty(int status) {
  if (sent_) return;
  Finish(status);
  AddHeaders(always_);
  try {
    writer_.send(static_cast<Pistache::Http::Code>(status));
  } catch (const std::exception&) {
  }
}

void Responder::Error(const HttpError& error, const Headers& extra_headers) {
  if (error.http_status >= 500 && !sent_) {
    spdlog::warn(
        "msg=\"backend error\" method={} path=\"{}\" code={} error=\"{}\"",
        method_, path_, error.code, error.message);
  }
  if (!sent_) {
    error_code_ = error.code;
    error_message_ = error.message;
  }
  Headers headers = extra_headers;
  if (error.retry_after > 0)
    headers.emplace_back("Retry-After", std::to_string(error.retry_after));
  Json(error.http_status, error.ToJson(), headers);
}

}  // namespace sluice::edge

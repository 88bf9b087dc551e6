#ifndef SLUICE_SERVICES_EDGE_HTTP_UTIL_H_
#define SLUICE_SERVICES_EDGE_HTTP_UTIL_H_

#include <pistache/http.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status/http_error.h"

namespace sluice {
class RequestMetrics;
}

namespace sluice::edge {

struct RequestLog;

// Everything a handler needs from a Pistache request after onRequest()
// returns (the request object is reused by the connection).
struct RequestCopy {
  std::string method;
  std::string path;
  std::vector<std::string> segments;  // percent-decoded, split on '/'
  bool trailing_slash = false;
  std::map<std::string, std::string> headers;  // lowercase names
  std::map<std::string, std::string> query;    // percent-decoded
  std::string body;
  // The sender's address: X-Forwarded-For as set by the TLS front when the
  // request came through it (loopback), else the peer address.
  std::string client;
  std::chrono::steady_clock::time_point start;
  std::chrono::system_clock::time_point received;

  std::optional<std::string> Header(const std::string& name) const;
  std::optional<std::string> Query(const std::string& name) const;
};

RequestCopy CopyRequest(const Pistache::Http::Request& request);

// Sets path, segments and trailing_slash from a request path (no query).
void SetPath(const std::string& path, RequestCopy* copy);
// Sets query from a query string ("a=1&b=2", percent-encoded).
void SetQuery(const std::string& query, RequestCopy* copy);

// Decodes %XX escapes (and '+' as space when `plus_is_space`); invalid
// escapes are kept as they are.
std::string PercentDecode(const std::string& text, bool plus_is_space);

// A response owned by a handler until it is sent once, from any thread.
class Responder {
 public:
  // `path` is logged when the answer is a 5xx; it never holds the query
  // string (which may carry a token).
  Responder(Pistache::Http::ResponseWriter writer, RequestMetrics* metrics,
            std::string method, std::string path,
            std::chrono::steady_clock::time_point start)
      : writer_(std::move(writer)),
        metrics_(metrics),
        method_(std::move(method)),
        path_(std::move(path)),
        start_(start) {
    ++in_flight_;
  }
  ~Responder() { --in_flight_; }
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;

  // Requests received and not yet answered, process-wide (for draining).
  static int InFlight() { return in_flight_.load(); }

  using Headers = std::vector<std::pair<std::string, std::string>>;
  void Json(int status, const std::string& body,
            const Headers& extra_headers = {});
  void Error(const HttpError& error, const Headers& extra_headers = {});
  void Empty(int status);
  void Raw(int status, const std::string& body,
           const std::string& content_type, const Headers& extra_headers = {});

  // A header every answer of this request carries, whatever sends it.
  void AlwaysAdd(std::string name, std::string value) {
    always_.emplace_back(std::move(name), std::move(value));
  }

  // Once the request's listener is known: the answer goes to its webhook
  // log and per-listener metrics.
  void Attach(std::shared_ptr<RequestLog> log) { log_ = std::move(log); }
  RequestLog* log() const { return log_.get(); }

 private:
  void Finish(int status);
  void AddHeaders(const Headers& headers);

  Pistache::Http::ResponseWriter writer_;
  RequestMetrics* metrics_;
  std::string method_;
  std::string path_;
  std::chrono::steady_clock::time_point start_;
  bool sent_ = false;
  std::shared_ptr<RequestLog> log_;
  std::string error_code_, error_message_;
  Headers always_;
  static inline std::atomic<int> in_flight_{0};
};

}  // namespace sluice::edge

#endif  // SLUICE_SERVICES_EDGE_HTTP_UTIL_H_

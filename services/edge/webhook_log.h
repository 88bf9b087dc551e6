#ifndef SLUICE_SERVICES_EDGE_WEBHOOK_LOG_H_
#define SLUICE_SERVICES_EDGE_WEBHOOK_LOG_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "common/ops/listener_metrics.h"
#include "services/edge/http_util.h"
#include "sluice/v1/common.pb.h"
#include "sluice/v1/storage.pb.h"

namespace sluice::edge {

// --- Redaction: what of a request may be kept in a log or shown to a script.

// Request headers (lowercase names) without credentials: Authorization,
// cookies, the listener's token header and every signature header.
std::vector<std::pair<std::string, std::string>> HeadersWithoutCredentials(
    const std::map<std::string, std::string>& headers,
    const v1::AuthConfig& auth);

// `path` with its query string, the values of credential parameters (the
// listener's token parameter and common secret names) replaced by
// "[redacted]".
std::string PathForLog(const std::string& path,
                       const std::map<std::string, std::string>& query,
                       const v1::AuthConfig& auth);

// `text` with every occurrence of each secret (8 bytes or longer) replaced
// by "[redacted]".
std::string Redact(std::string text, const std::vector<std::string>& secrets);

// --- The batching sink.

struct WebhookLogOptions {
  // Entries kept per listener (storage keeps the same number); within one
  // flush only the newest this many per listener are sent.
  int keep = 10;
  std::chrono::milliseconds flush_interval{200};
  // Entries waiting at most; over either bound new entries are dropped and
  // counted.
  size_t max_pending_entries = 20000;
  size_t max_pending_bytes = 32 * 1024 * 1024;
  // Bytes per AppendLogs call.
  size_t max_batch_bytes = 4 * 1024 * 1024;
  // Bodies up to this size are kept for replay; larger ones make the entry
  // not replayable.
  size_t max_kept_body_bytes = 1024 * 1024;
};

// Takes log entries off the request path: Add() only queues (constant time,
// one short lock), a thread of its own sends the queue to storage in
// batches. When storage cannot take them, the batch is dropped and counted:
// logging never slows or fails an ingest, and its memory is bounded.
// Thread-safe.
class WebhookLog {
 public:
  using Send = std::function<absl::Status(const v1::AppendLogsRequest&)>;
  WebhookLog(Send send, WebhookLogOptions options);
  ~WebhookLog();
  WebhookLog(const WebhookLog&) = delete;
  WebhookLog& operator=(const WebhookLog&) = delete;

  void Start();
  // Sends what is queued, then stops the thread.
  void Stop();

  void Add(v1::LogEntry entry);
  // Sends what is queued now (tests, shutdown).
  void Flush();

  const WebhookLogOptions& options() const { return options_; }
  std::string RenderMetrics() const;

 private:
  struct Pending {
    std::unordered_map<std::string, std::deque<v1::LogEntry>> by_listener;
    size_t entries = 0;
    size_t bytes = 0;
  };
  static size_t Cost(const v1::LogEntry& entry);

  const Send send_;
  const WebhookLogOptions options_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  Pending pending_;
  bool stopping_ = false;
  std::mutex flush_mu_;  // one flush at a time
  std::thread thread_;
  uint64_t added_ = 0, sent_ = 0, dropped_ = 0, coalesced_ = 0, failed_ = 0;
};

// A request whose listener is known, as its answer is logged and counted.
// Filled in by the ingest path as it goes; Finish() runs once, when the
// answer is sent.
struct RequestLog {
  WebhookLog* sink = nullptr;          // null: not logged
  ListenerMetrics* metrics = nullptr;  // null: not counted
  std::shared_ptr<const RequestCopy> request;
  std::string integration_uuid, listener_uuid, listener_name;
  v1::AuthConfig auth;
  // The credentials passed (or, for a replay, had passed on arrival).
  bool authenticated = false;
  int64_t records = 0;
  int64_t replay_of = 0;

  void Finish(int status, const std::string& error_code,
              const std::string& error_message, double seconds) const;
};

}  // namespace sluice::edge

#endif  // SLUICE_SERVICES_EDGE_WEBHOOK_LOG_H_

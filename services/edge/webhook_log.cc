#include "services/edge/webhook_log.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "common/mapping/json_path.h"

namespace sluice::edge {
namespace {

constexpr const char* kRedacted = "[redacted]";
// Paths, errors and header values are logged up to this many bytes.
constexpr size_t kMaxText = 4096;

// Headers that carry credentials or signatures under any listener.
const std::set<std::string>& CredentialHeaders() {
  static const auto* names = new std::set<std::string>{
      "authorization",        "proxy-authorization", "cookie",
      "set-cookie",           "x-api-key",           "x-api-token",
      "x-auth-token",         "x-hub-signature",     "x-hub-signature-256",
      "stripe-signature",     "x-shopify-hmac-sha256", "webhook-signature",
      "x-signature",          "x-webhook-signature"};
  return *names;
}

// Query parameters treated as credentials under any listener.
const std::set<std::string>& CredentialParameters() {
  static const auto* names = new std::set<std::string>{
      "token",  "access_token", "api_key", "apikey", "secret",
      "password", "sig",        "signature", "auth"};
  return *names;
}

std::string PercentEncode(const std::string& text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' ||
        c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

bool IsCredentialParameter(const std::string& name,
                           const v1::AuthConfig& auth) {
  if (auth.method() == v1::AUTH_METHOD_TOKEN &&
      auth.read_from() == v1::TOKEN_SOURCE_QUERY && name == auth.name()) {
    return true;
  }
  return CredentialParameters().count(absl::AsciiStrToLower(name)) > 0;
}

// `name` is lowercase.
bool IsCredentialHeader(const std::string& name, const v1::AuthConfig& auth) {
  if (CredentialHeaders().count(name)) return true;
  if (auth.method() == v1::AUTH_METHOD_TOKEN &&
      auth.read_from() == v1::TOKEN_SOURCE_HEADER &&
      absl::EqualsIgnoreCase(name, auth.name())) {
    return true;
  }
  return !auth.header().empty() && absl::EqualsIgnoreCase(name, auth.header());
}

}  // namespace

std::vector<std::pair<std::string, std::string>> HeadersWithoutCredentials(
    const std::map<std::string, std::string>& headers,
    const v1::AuthConfig& auth) {
  std::vector<std::pair<std::string, std::string>> kept;
  for (const auto& [name, value] : headers) {
    if (!IsCredentialHeader(name, auth)) kept.emplace_back(name, value);
  }
  return kept;
}

std::string PathForLog(const std::string& path,
                       const std::map<std::string, std::string>& query,
                       const v1::AuthConfig& auth) {
  if (query.empty()) return path;
  std::vector<std::string> parts;
  for (const auto& [name, value] : query) {
    bool secret = IsCredentialParameter(name, auth);
    parts.push_back(absl::StrCat(PercentEncode(name), "=",
                                 secret ? kRedacted : PercentEncode(value)));
  }
  return absl::StrCat(path, "?", absl::StrJoin(parts, "&"));
}

std::string Redact(std::string text, const std::vector<std::string>& secrets) {
  for (const std::string& secret : secrets) {
    if (secret.size() < 8) continue;
    text = absl::StrReplaceAll(text, {{secret, kRedacted}});
  }
  return text;
}

void RequestLog::Finish(int status, const std::string& error_code,
                        const std::string& error_message,
                        double seconds) const {
  const RequestCopy& r = *request;
  if (metrics != nullptr) {
    ListenerMetrics::Sample sample;
    sample.code = std::to_string(status);
    sample.records = status < 300 ? records : 0;
    sample.bytes = static_cast<int64_t>(r.body.size());
    sample.auth_failure = status == 401;
    sample.script_rejection = error_code == "script_rejected";
    sample.seconds = seconds;
    metrics->Record(listener_uuid, sample);
  }
  if (sink == nullptr) return;
  v1::LogEntry e;
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                    r.received.time_since_epoch())
                    .count();
  e.mutable_time()->set_seconds(micros / 1000000);
  e.mutable_time()->set_nanos(static_cast<int32_t>(micros % 1000000) * 1000);
  e.set_integration_uuid(integration_uuid);
  e.set_listener_uuid(listener_uuid);
  e.set_listener_name(listener_name);
  // Protobuf strings must be UTF-8: what a sender put in its path or
  // headers is made so, or it would cost the whole batch.
  e.set_method(r.method);
  e.set_path(mapping::FitUtf8(PathForLog(r.path, r.query, auth), kMaxText));
  e.set_status(status);
  e.set_latency_ms(static_cast<int64_t>(seconds * 1000 + 0.5));
  e.set_bytes(static_cast<int64_t>(r.body.size()));
  e.set_replay_of(replay_of);
  if (status >= 400) {
    // Whatever credentials the request carried never reach the log.
    std::vector<std::string> secrets;
    for (const auto& [name, value] : r.headers) {
      if (IsCredentialHeader(name, auth)) secrets.push_back(value);
    }
    for (const auto& [name, value] : r.query) {
      if (IsCredentialParameter(name, auth)) secrets.push_back(value);
    }
    e.set_error(mapping::FitUtf8(Redact(error_message, secrets), kMaxText));
    if (authenticated && r.body.size() <= sink->options().max_kept_body_bytes) {
      e.set_replayable(true);
      e.set_body(r.body);
      for (auto& [name, value] : HeadersWithoutCredentials(r.headers, auth)) {
        auto* h = e.add_headers();
        h->set_name(mapping::FitUtf8(name, kMaxText));
        h->set_value(mapping::FitUtf8(value, kMaxText));
      }
    }
  }
  sink->Add(std::move(e));
}

WebhookLog::WebhookLog(Send send, WebhookLogOptions options)
    : send_(std::move(send)), options_(options) {}

WebhookLog::~WebhookLog() { Stop(); }

void WebhookLog::Start() {
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stopping_) {
      wake_.wait_for(lock, options_.flush_interval);
      if (pending_.entries == 0) continue;
      lock.unlock();
      Flush();
      lock.lock();
    }
  });
}

void WebhookLog::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  Flush();
}

size_t WebhookLog::Cost(const v1::LogEntry& entry) {
  size_t bytes = 256 + entry.path().size() + entry.error().size() +
                 entry.body().size();
  for (const auto& h : entry.headers()) bytes += h.name().size() + h.value().size();
  return bytes;
}

void WebhookLog::Add(v1::LogEntry entry) {
  size_t cost = Cost(entry);
  std::lock_guard<std::mutex> lock(mu_);
  ++added_;
  if (pending_.entries >= options_.max_pending_entries ||
      pending_.bytes + cost > options_.max_pending_bytes) {
    ++dropped_;
    return;
  }
  auto& queue = pending_.by_listener[entry.listener_uuid()];
  queue.push_back(std::move(entry));
  pending_.entries += 1;
  pending_.bytes += cost;
  // Storage keeps only the newest `keep`: older ones never leave the edge.
  while (queue.size() > static_cast<size_t>(options_.keep)) {
    pending_.bytes -= Cost(queue.front());
    pending_.entries -= 1;
    queue.pop_front();
    ++coalesced_;
  }
}

void WebhookLog::Flush() {
  std::lock_guard<std::mutex> one_at_a_time(flush_mu_);
  Pending taken;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::swap(taken, pending_);
  }
  if (taken.entries == 0) return;
  std::vector<v1::AppendLogsRequest> batches(1);
  size_t batch_bytes = 0;
  for (auto& [listener, queue] : taken.by_listener) {
    for (auto& entry : queue) {
      size_t cost = Cost(entry);
      if (batch_bytes > 0 && batch_bytes + cost > options_.max_batch_bytes) {
        batches.emplace_back();
        batch_bytes = 0;
      }
      batch_bytes += cost;
      *batches.back().add_entries() = std::move(entry);
    }
  }
  for (const auto& batch : batches) {
    absl::Status sent = send_(batch);
    std::lock_guard<std::mutex> lock(mu_);
    if (sent.ok()) {
      sent_ += batch.entries_size();
    } else {
      failed_ += batch.entries_size();
      if (failed_ == static_cast<uint64_t>(batch.entries_size()) ||
          failed_ % 1000 < static_cast<uint64_t>(batch.entries_size())) {
        spdlog::warn("msg=\"webhook log entries dropped\" entries={} error=\"{}\"",
                     batch.entries_size(), std::string(sent.message()));
      }
    }
  }
}

std::string WebhookLog::RenderMetrics() const {
  std::lock_guard<std::mutex> lock(mu_);
  return absl::StrCat(
      "# HELP sluice_edge_log_entries_total Webhook log entries by outcome: "
      "sent to storage, coalesced (older than the newest kept per listener), "
      "dropped (logging fell behind or storage refused them).\n"
      "# TYPE sluice_edge_log_entries_total counter\n"
      "sluice_edge_log_entries_total{outcome=\"sent\"} ", sent_, "\n",
      "sluice_edge_log_entries_total{outcome=\"coalesced\"} ", coalesced_, "\n",
      "sluice_edge_log_entries_total{outcome=\"dropped\"} ", dropped_ + failed_,
      "\n",
      "# HELP sluice_edge_log_entries_dropped_total Webhook log entries lost: "
      "the queue was full or storage could not take them.\n"
      "# TYPE sluice_edge_log_entries_dropped_total counter\n"
      "sluice_edge_log_entries_dropped_total ", dropped_ + failed_, "\n",
      "# HELP sluice_edge_log_entries_pending Webhook log entries waiting.\n"
      "# TYPE sluice_edge_log_entries_pending gauge\n"
      "sluice_edge_log_entries_pending ", pending_.entries, "\n");
}

}  // namespace sluice::edge

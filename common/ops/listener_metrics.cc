#include "common/ops/listener_metrics.h"

#include <vector>

#include "absl/strings/str_cat.h"

namespace sluice {

void ListenerMetrics::Record(const std::string& listener,
                             const Sample& sample) {
  absl::MutexLock lock(&mu_);
  auto it = series_.find(listener);
  if (it == series_.end()) {
    // `other` is not one of the capped values.
    size_t labelled = series_.size() - series_.count(kOther);
    it = series_.try_emplace(labelled < cap_ ? listener : kOther).first;
  }
  Series& s = it->second;
  ++s.requests[sample.code];
  s.records += static_cast<uint64_t>(sample.records);
  s.bytes += static_cast<uint64_t>(sample.bytes);
  if (sample.auth_failure) ++s.auth_failures;
  if (sample.script_rejection) ++s.script_rejections;
  ++s.count;
  s.sum += sample.seconds;
  for (size_t i = 0; i < RequestMetrics::kBuckets.size(); ++i) {
    if (sample.seconds <= RequestMetrics::kBuckets[i]) ++s.buckets[i];
  }
}

size_t ListenerMetrics::labelled() const {
  absl::MutexLock lock(&mu_);
  return series_.size() - series_.count(kOther);
}

std::string ListenerMetrics::Render() const {
  absl::MutexLock lock(&mu_);
  std::string out;
  auto family = [&](const char* suffix, const char* type, const char* help) {
    absl::StrAppend(&out, "# HELP ", prefix_, suffix, " ", help, "\n# TYPE ",
                    prefix_, suffix, " ", type, "\n");
  };
  auto counter = [&](const char* suffix, const char* help,
                     uint64_t Series::*field) {
    family(suffix, "counter", help);
    for (const auto& [listener, s] : series_) {
      absl::StrAppend(&out, prefix_, suffix, "{listener=\"", listener, "\"} ",
                      s.*field, "\n");
    }
  };
  family("_requests_total", "counter", "Requests by listener and status code.");
  for (const auto& [listener, s] : series_) {
    for (const auto& [code, n] : s.requests) {
      absl::StrAppend(&out, prefix_, "_requests_total{listener=\"", listener,
                      "\",code=\"", code, "\"} ", n, "\n");
    }
  }
  counter("_records_total", "Records written.", &Series::records);
  counter("_bytes_total", "Request body bytes received.", &Series::bytes);
  counter("_auth_failures_total", "Requests refused for their credentials.",
          &Series::auth_failures);
  counter("_script_rejections_total",
          "Requests the listener's script rejected.",
          &Series::script_rejections);
  family("_request_seconds", "histogram", "Request latency by listener.");
  for (const auto& [listener, s] : series_) {
    std::string labels = absl::StrCat("listener=\"", listener, "\"");
    for (size_t i = 0; i < RequestMetrics::kBuckets.size(); ++i) {
      absl::StrAppend(&out, prefix_, "_request_seconds_bucket{", labels,
                      ",le=\"", RequestMetrics::kBuckets[i], "\"} ",
                      s.buckets[i], "\n");
    }
    absl::StrAppend(&out, prefix_, "_request_seconds_bucket{", labels,
                    ",le=\"+Inf\"} ", s.count, "\n", prefix_,
                    "_request_seconds_sum{", labels, "} ", s.sum, "\n",
                    prefix_, "_request_seconds_count{", labels, "} ", s.count,
                    "\n");
  }
  family("_label_values", "gauge",
         "Listeners with a label value of their own (the rest are \"other\").");
  absl::StrAppend(&out, prefix_, "_label_values ",
                  series_.size() - series_.count(kOther), "\n");
  family("_label_cap", "gauge", "Most listeners with a label value of their own.");
  absl::StrAppend(&out, prefix_, "_label_cap ", cap_, "\n");
  return out;
}

void Histogram::Observe(double value) {
  absl::MutexLock lock(&mu_);
  ++count_;
  sum_ += value;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    if (value <= bounds_[i]) ++buckets_[i];
  }
}

std::string Histogram::Render() const {
  absl::MutexLock lock(&mu_);
  std::string out = absl::StrCat("# HELP ", name_, " ", help_, "\n# TYPE ",
                                 name_, " histogram\n");
  for (size_t i = 0; i < bounds_.size(); ++i) {
    absl::StrAppend(&out, name_, "_bucket{le=\"", bounds_[i], "\"} ",
                    buckets_[i], "\n");
  }
  absl::StrAppend(&out, name_, "_bucket{le=\"+Inf\"} ", count_, "\n", name_,
                  "_sum ", sum_, "\n", name_, "_count ", count_, "\n");
  return out;
}

}  // namespace sluice

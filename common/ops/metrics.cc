#include "common/ops/metrics.h"

#include "absl/strings/str_cat.h"

namespace sluice {

void RequestMetrics::Record(const std::string& method, const std::string& code,
                            double seconds) {
  absl::MutexLock lock(&mu_);
  Series& s = series_[{method, code}];
  ++s.count;
  s.sum += seconds;
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++s.buckets[i];
  }
}

std::string RequestMetrics::Render() const {
  std::vector<std::function<std::string()>> sections;
  std::string out = RenderRequests(&sections);
  for (const auto& render : sections) out += render();
  return out;
}

std::string RequestMetrics::RenderRequests(
    std::vector<std::function<std::string()>>* sections) const {
  absl::MutexLock lock(&mu_);
  *sections = sections_;
  std::string out =
      "# HELP sluice_requests_total Requests handled, by method and status "
      "code.\n"
      "# TYPE sluice_requests_total counter\n";
  for (const auto& [key, s] : series_) {
    absl::StrAppend(&out, "sluice_requests_total{service=\"", service_,
                    "\",method=\"", key.first, "\",code=\"", key.second, "\"} ",
                    s.count, "\n");
  }
  absl::StrAppend(&out,
                  "# HELP sluice_request_duration_seconds Request latency.\n"
                  "# TYPE sluice_request_duration_seconds histogram\n");
  for (const auto& [key, s] : series_) {
    std::string labels =
        absl::StrCat("service=\"", service_, "\",method=\"", key.first,
                     "\",code=\"", key.second, "\"");
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      absl::StrAppend(&out, "sluice_request_duration_seconds_bucket{", labels,
                      ",le=\"", kBuckets[i], "\"} ", s.buckets[i], "\n");
    }
    absl::StrAppend(&out, "sluice_request_duration_seconds_bucket{", labels,
                    ",le=\"+Inf\"} ", s.count, "\n");
    absl::StrAppend(&out, "sluice_request_duration_seconds_sum{", labels, "} ",
                    s.sum, "\n");
    absl::StrAppend(&out, "sluice_request_duration_seconds_count{", labels,
                    "} ", s.count, "\n");
  }
  return out;
}

}  // namespace sluice

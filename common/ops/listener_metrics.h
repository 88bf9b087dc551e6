#ifndef SLUICE_COMMON_OPS_LISTENER_METRICS_H_
#define SLUICE_COMMON_OPS_LISTENER_METRICS_H_

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>

#include "absl/synchronization/mutex.h"
#include "common/ops/metrics.h"

namespace sluice {

// Per-listener series for /metrics: requests by status code, records,
// bytes, authentication failures, script rejections and a latency
// histogram, each labelled `listener="<uuid>"`. The first `cap` listeners
// seen get a label value of their own; the rest share `listener="other"`,
// so however many listeners a scan touches the series count stays bounded.
// Thread-safe; Record() takes one short lock.
class ListenerMetrics {
 public:
  // `prefix` starts every family name, e.g. "sluice_edge_listener".
  ListenerMetrics(std::string prefix, size_t cap)
      : prefix_(std::move(prefix)), cap_(cap) {}
  ListenerMetrics(const ListenerMetrics&) = delete;
  ListenerMetrics& operator=(const ListenerMetrics&) = delete;

  struct Sample {
    std::string code;  // HTTP or gRPC status
    int64_t records = 0;
    int64_t bytes = 0;
    bool auth_failure = false;
    bool script_rejection = false;
    double seconds = 0;
  };
  void Record(const std::string& listener, const Sample& sample);

  std::string Render() const;
  // Listeners with a label value of their own.
  size_t labelled() const;

  static constexpr const char* kOther = "other";

 private:
  struct Series {
    std::map<std::string, uint64_t> requests;  // by code
    uint64_t records = 0, bytes = 0, auth_failures = 0, script_rejections = 0;
    uint64_t count = 0;
    double sum = 0;
    std::array<uint64_t, RequestMetrics::kBuckets.size()> buckets{};
  };
  const std::string prefix_;
  const size_t cap_;
  mutable absl::Mutex mu_;
  std::unordered_map<std::string, Series> series_ ABSL_GUARDED_BY(mu_);
};

// A histogram without labels (e.g. records per committed transaction).
class Histogram {
 public:
  Histogram(std::string name, std::string help, std::vector<double> bounds)
      : name_(std::move(name)),
        help_(std::move(help)),
        bounds_(std::move(bounds)),
        buckets_(bounds_.size()) {}
  void Observe(double value);
  std::string Render() const;

 private:
  const std::string name_, help_;
  const std::vector<double> bounds_;
  mutable absl::Mutex mu_;
  std::vector<uint64_t> buckets_ ABSL_GUARDED_BY(mu_);
  uint64_t count_ ABSL_GUARDED_BY(mu_) = 0;
  double sum_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace sluice

#endif  // SLUICE_COMMON_OPS_LISTENER_METRICS_H_

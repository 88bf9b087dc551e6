#ifndef SLUICE_COMMON_OPS_METRICS_H_
#define SLUICE_COMMON_OPS_METRICS_H_

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace sluice {

// Request counters and a latency histogram per (method, code), rendered in
// the Prometheus text format. Thread-safe; Record() takes one short lock.
class RequestMetrics {
 public:
  explicit RequestMetrics(std::string service) : service_(std::move(service)) {}
  RequestMetrics(const RequestMetrics&) = delete;
  RequestMetrics& operator=(const RequestMetrics&) = delete;

  // `method` is an RPC or HTTP method name, `code` a gRPC or HTTP status.
  void Record(const std::string& method, const std::string& code,
              double seconds);

  // The exposition text for /metrics: the request series, then each
  // section added.
  std::string Render() const;

  // Adds text rendered on every scrape after the request series (other
  // metric families of the process). Call before serving.
  void AddSection(std::function<std::string()> render) {
    absl::MutexLock lock(&mu_);
    sections_.push_back(std::move(render));
  }

 private:
  std::string RenderRequests(
      std::vector<std::function<std::string()>>* sections) const;

 public:
  static constexpr std::array<double, 12> kBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5};
 private:
  struct Series {
    uint64_t count = 0;
    double sum = 0;
    std::array<uint64_t, kBuckets.size()> buckets{};
  };
  const std::string service_;
  mutable absl::Mutex mu_;
  std::map<std::pair<std::string, std::string>, Series> series_
      ABSL_GUARDED_BY(mu_);
  std::vector<std::function<std::string()>> sections_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sluice

#endif  // SLUICE_COMMON_OPS_METRICS_H_

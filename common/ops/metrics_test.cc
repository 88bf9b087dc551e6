#include "common/ops/metrics.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(RequestMetricsTest, RendersCountersAndHistogram) {
  RequestMetrics metrics("edge");
  metrics.Record("POST", "200", 0.003);
  metrics.Record("POST", "200", 0.2);
  metrics.Record("POST", "401", 0.001);
  std::string text = metrics.Render();
  EXPECT_NE(text.find("sluice_requests_total{service=\"edge\",method=\"POST\","
                      "code=\"200\"} 2"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("code=\"401\"} 1"), std::string::npos);
  EXPECT_NE(text.find("method=\"POST\",code=\"200\",le=\"0.005\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("method=\"POST\",code=\"200\",le=\"+Inf\"} 2"),
            std::string::npos);
}

}  // namespace
}  // namespace sluice

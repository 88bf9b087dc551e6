#include "common/ops/listener_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace sluice {
namespace {

using ::testing::HasSubstr;

size_t SeriesCount(const std::string& text) {
  size_t n = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!line.empty() && line[0] != '#') ++n;
  }
  return n;
}

TEST(ListenerMetrics, CountsPerListener) {
  ListenerMetrics m("sluice_edge_listener", 10);
  m.Record("a", {"200", 3, 1000, false, false, 0.002});
  m.Record("a", {"401", 0, 10, true, false, 0.001});
  m.Record("b", {"422", 0, 50, false, true, 0.003});
  std::string text = m.Render();
  EXPECT_THAT(text, HasSubstr(
                        "sluice_edge_listener_requests_total{listener=\"a\","
                        "code=\"200\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("sluice_edge_listener_records_total{listener="
                              "\"a\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("sluice_edge_listener_bytes_total{listener="
                              "\"a\"} 1010\n"));
  EXPECT_THAT(text, HasSubstr("sluice_edge_listener_auth_failures_total{"
                              "listener=\"a\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("sluice_edge_listener_script_rejections_total{"
                              "listener=\"b\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("sluice_edge_listener_request_seconds_bucket{"
                              "listener=\"b\",le=\"0.005\"} 1\n"));
}

TEST(ListenerMetrics, SeriesStayUnderTheCapWhateverTheListeners) {
  ListenerMetrics m("sluice_edge_listener", 100);
  ListenerMetrics one("sluice_edge_listener", 100);
  one.Record("x", {"200", 1, 1, false, false, 0.001});
  one.Record("x", {"401", 0, 1, true, false, 0.001});
  const size_t per_listener = SeriesCount(one.Render()) - 2;  // less gauges
  for (int i = 0; i < 10000; ++i) {
    m.Record(absl::StrCat("listener-", i), {"200", 1, 1, false, false, 0.001});
    m.Record(absl::StrCat("listener-", i), {"401", 0, 1, true, false, 0.001});
  }
  EXPECT_EQ(m.labelled(), 100u);
  std::string text = m.Render();
  EXPECT_LE(SeriesCount(text), 101 * per_listener + 2);
  EXPECT_THAT(text, HasSubstr("sluice_edge_listener_requests_total{listener="
                              "\"other\",code=\"200\"} 9900\n"));
  // A listener that had its own label keeps it.
  m.Record("listener-5", {"200", 1, 1, false, false, 0.001});
  EXPECT_THAT(m.Render(), HasSubstr("sluice_edge_listener_requests_total{"
                                    "listener=\"listener-5\",code=\"200\"} 2\n"));
}

TEST(Histogram, Buckets) {
  Histogram h("sluice_storage_commit_records", "Records per commit.",
              {1, 10, 100});
  h.Observe(1);
  h.Observe(50);
  std::string text = h.Render();
  EXPECT_THAT(text, HasSubstr("sluice_storage_commit_records_bucket{le=\"1\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("sluice_storage_commit_records_bucket{le=\"100\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("sluice_storage_commit_records_count 2\n"));
}

}  // namespace
}  // namespace sluice

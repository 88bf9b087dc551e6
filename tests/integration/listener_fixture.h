#ifndef SLUICE_TESTS_INTEGRATION_LISTENER_FIXTURE_H_
#define SLUICE_TESTS_INTEGRATION_LISTENER_FIXTURE_H_

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/testing/test_stack.h"

namespace sluice::testing {

// A listener created through the admin API for one test.
struct TestListener {
  std::string integration;
  std::string uuid;
  std::string url;
  std::string token;
  std::string base_name;
  std::string admin_path;  // /api/v1/integrations/{i}/listeners/{l}
};

class ListenerTest : public ::testing::Test {
 protected:
  using json = nlohmann::ordered_json;

  TestStack& stack_ = TestStack::Get();
  HttpsClient client_{stack_.cacert()};

  TestListener CreateListener(json auth, json sample,
                              json primary_key = json::array({"id"}),
                              json extra = json::object(),
                              const std::string& root_path = "") {
    TestListener l;
    l.integration = stack_.CreateIntegration("it");
    l.base_name = Unique("t");
    json body = {{"name", Unique("listener")},
                 {"auth", auth},
                 {"structure",
                  {{"baseName", l.base_name},
                   {"rootPath", root_path},
                   {"primaryKey", primary_key},
                   {"sample", sample}}}};
    for (auto& [k, v] : extra.items()) body[k] = v;
    HttpResponse r = stack_.Admin(
        "POST", "/api/v1/integrations/" + l.integration + "/listeners",
        body.dump());
    EXPECT_EQ(r.status, 201) << r.body << r.error;
    json created = json::parse(r.body, nullptr, false);
    if (!created.is_object() || !created.contains("uuid")) return l;
    l.uuid = created["uuid"];
    if (created.contains("token")) l.token = created["token"];
    // The stack's URL carries its own port; the path is what matters.
    l.url = stack_.IngestUrl("/" + l.integration + "/" + l.uuid);
    l.admin_path =
        "/api/v1/integrations/" + l.integration + "/listeners/" + l.uuid;
    return l;
  }

  TestListener TokenListener() {
    return CreateListener(
        {{"method", "token"}, {"readFrom", "header"}, {"name", "X-Api-Token"}},
        {{"id", 1}, {"name", "a"}, {"score", 1.5}, {"active", true}});
  }

  HttpResponse Send(
      const TestListener& l, const std::string& method, const std::string& body,
      std::vector<std::string> headers = {"Content-Type: application/json"},
      const std::string& suffix = "") {
    if (!l.token.empty()) headers.push_back("X-Api-Token: " + l.token);
    return client_.Send(method, l.url + suffix, body, headers);
  }

  HttpResponse Post(const TestListener& l, const std::string& body,
                    std::vector<std::string> headers = {
                        "Content-Type: application/json"}) {
    return Send(l, "POST", body, std::move(headers));
  }

  std::string Count(const TestListener& l,
                    const std::string& table_suffix = "") {
    return stack_.Query("SELECT COUNT(*) FROM sluice_data.`" + l.base_name +
                        table_suffix + "`")[0][0];
  }

  // What became of acknowledged records (id → anything): each must be a
  // root row of `l` with `children` rows in its `_items` table, read on the
  // MySQL server at `db_port` (the stack's own when 0).
  struct Durability {
    size_t found = 0;  // root rows in the table, acknowledged or not
    std::vector<long long> missing;
    long long incomplete = 0;
  };
  template <typename Value>
  Durability CheckAcknowledged(const TestListener& l,
                               const std::map<long long, Value>& acknowledged,
                               int children, int db_port = 0) {
    const std::string sql =
        "SELECT r.id, COUNT(c.id) FROM sluice_data.`" + l.base_name +
        "` r LEFT JOIN sluice_data.`" + l.base_name +
        "_items` c ON c.id = r.id GROUP BY r.id";
    auto rows = db_port == 0 ? stack_.Query(sql) : stack_.Query(sql, db_port);
    std::map<long long, int> found;
    for (const auto& row : rows) found[std::stoll(row[0])] = std::stoi(row[1]);
    Durability d;
    d.found = found.size();
    for (const auto& entry : acknowledged) {
      auto it = found.find(entry.first);
      if (it == found.end()) {
        d.missing.push_back(entry.first);
      } else if (it->second != children) {
        ++d.incomplete;
      }
    }
    return d;
  }

  // "200:12 503:3 " for a tally of answers.
  static std::string Tally(const std::map<std::string, int>& answers) {
    std::string summary;
    for (const auto& [answer, n] : answers) {
      summary += answer + ":" + std::to_string(n) + " ";
    }
    return summary;
  }

  static void ExpectError(const HttpResponse& r, long status,
                          const std::string& code,
                          const std::string& fragment) {
    EXPECT_EQ(r.status, status) << r.body << r.error;
    json body = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << r.body;
    EXPECT_EQ(body["error"]["code"], code) << r.body;
    EXPECT_NE(body["error"]["message"].get<std::string>().find(fragment),
              std::string::npos)
        << r.body;
    EXPECT_EQ(
        r.headers.count("content-type") ? r.headers.at("content-type") : "",
        "application/json");
  }
};

}  // namespace sluice::testing

#endif  // SLUICE_TESTS_INTEGRATION_LISTENER_FIXTURE_H_

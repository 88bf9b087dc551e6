// Authentication end to end (DESIGN §3, §4, §6 auth): every method and
// preset over HTTPS, rotation within 5 s, 429 after repeated failures,
// and no secret in any service's log.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>

#include "common/crypto/crypto.h"
#include "tests/integration/listener_fixture.h"

namespace sluice::testing {
namespace {

using crypto::Base64Encode;
using crypto::HexEncode;
using crypto::Hmac;

int64_t Now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

using json = nlohmann::ordered_json;
const json kSample = {{"id", 1}, {"v", "x"}};
const std::string kBody = R"({"id":1,"v":"hello"})";

class AuthTest : public ListenerTest {
 protected:
  json CreateRaw(json auth, std::string* admin_path, std::string* url) {
    std::string integration = stack_.CreateIntegration("auth");
    json body = {{"name", Unique("l")},
                 {"auth", auth},
                 {"structure",
                  {{"baseName", Unique("a")},
                   {"primaryKey", {"id"}},
                   {"sample", kSample}}}};
    HttpResponse r = stack_.Admin(
        "POST", "/api/v1/integrations/" + integration + "/listeners",
        body.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    json created = json::parse(r.body);
    *admin_path = "/api/v1/integrations/" + integration + "/listeners/" +
                  created["uuid"].get<std::string>();
    *url = stack_.IngestUrl("/" + integration + "/" +
                            created["uuid"].get<std::string>());
    return created;
  }

  HttpResponse Send(const std::string& url, const std::string& body,
                    std::vector<std::string> headers) {
    headers.push_back("Content-Type: application/json");
    return client_.Send("POST", url, body, headers);
  }

  // Polls until `send` gives `status` or `limit` passes; returns seconds taken
  // or -1.
  double SecondsUntil(long status, const std::function<HttpResponse()>& send,
                      double limit) {
    auto start = std::chrono::steady_clock::now();
    while (true) {
      double elapsed = std::chrono::duration<double>(
                           std::chrono::steady_clock::now() - start)
                           .count();
      if (send().status == status) return elapsed;
      if (elapsed > limit) return -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
};

TEST_F(AuthTest, TokenFromQueryAndAuthorizationPrefix) {
  std::string path, url;
  json q =
      CreateRaw({{"method", "token"}, {"readFrom", "query"}, {"name", "token"}},
                &path, &url);
  std::string token = q["token"];
  EXPECT_EQ(Send(url + "?token=" + token, kBody, {}).status, 200);
  ExpectError(Send(url, kBody, {}), 401, "unauthorized", "missing credentials");
  ExpectError(Send(url + "?token=nope", kBody, {}), 401, "unauthorized",
              "invalid credentials");

  json a = CreateRaw({{"method", "token"},
                      {"readFrom", "authorization"},
                      {"prefix", "Bearer"}},
                     &path, &url);
  token = a["token"];
  EXPECT_EQ(Send(url, kBody, {"Authorization: Bearer " + token}).status, 200);
  ExpectError(Send(url, kBody, {"Authorization: Token " + token}), 401,
              "unauthorized", "invalid");
  ExpectError(Send(url, kBody, {}), 401, "unauthorized", "missing");
}

TEST_F(AuthTest, BasicWithGeneratedAndChosenPasswords) {
  std::string path, url;
  json g = CreateRaw({{"method", "basic"}, {"username", "uxi"}}, &path, &url);
  std::string password = g["password"];
  EXPECT_GE(password.size(), 43u);
  EXPECT_EQ(Send(url, kBody,
                 {"Authorization: Basic " + Base64Encode("uxi:" + password)})
                .status,
            200);
  HttpResponse wrong =
      Send(url, kBody, {"Authorization: Basic " + Base64Encode("uxi:nope")});
  ExpectError(wrong, 401, "unauthorized", "invalid credentials");
  EXPECT_EQ(wrong.headers["www-authenticate"],
            "Basic realm=\"sluice\", charset=\"UTF-8\"");
  ExpectError(Send(url, kBody, {}), 401, "unauthorized", "missing credentials");

  json c = CreateRaw({{"method", "basic"},
                      {"username", "uxi"},
                      {"password", "a chosen password 123"}},
                     &path, &url);
  EXPECT_FALSE(c.contains("password"));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Send(url, kBody,
                   {"Authorization: Basic " +
                    Base64Encode("uxi:a chosen password 123")})
                  .status,
              200);
  }
  ExpectError(Send(url, kBody,
                   {"Authorization: Basic " +
                    Base64Encode("uxi:a chosen password 124")}),
              401, "unauthorized", "invalid credentials");
}

TEST_F(AuthTest, HmacPresets) {
  std::string path, url;
  // GitHub
  json gh = CreateRaw(
      {{"method", "hmac"}, {"preset", "github"}, {"secret", "gh-secret"}},
      &path, &url);
  EXPECT_FALSE(gh.contains("secret"));  // chosen by the user: not echoed
  std::string sig = "sha256=" + HexEncode(Hmac("sha256", "gh-secret", kBody));
  EXPECT_EQ(Send(url, kBody, {"X-Hub-Signature-256: " + sig}).status, 200);
  std::string changed = kBody;
  changed[changed.size() - 3] = 'X';
  ExpectError(Send(url, changed, {"X-Hub-Signature-256: " + sig}), 401,
              "unauthorized", "invalid");
  ExpectError(Send(url, kBody, {}), 401, "unauthorized", "missing");

  // Stripe: generated secret, timestamp tolerance.
  json st = CreateRaw({{"method", "hmac"}, {"preset", "stripe"}}, &path, &url);
  std::string secret = st["secret"];
  auto stripe = [&](int64_t t, const std::string& body) {
    return "Stripe-Signature: t=" + std::to_string(t) + ",v1=" +
           HexEncode(Hmac("sha256", secret, std::to_string(t) + "." + body));
  };
  EXPECT_EQ(Send(url, kBody, {stripe(Now(), kBody)}).status, 200);
  ExpectError(Send(url, kBody, {stripe(Now() - 600, kBody)}), 401,
              "unauthorized", "invalid");
  ExpectError(Send(url, changed, {stripe(Now(), kBody)}), 401, "unauthorized",
              "invalid");

  // Shopify
  json sh =
      CreateRaw({{"method", "hmac"}, {"preset", "shopify"}, {"secret", "shp"}},
                &path, &url);
  EXPECT_EQ(Send(url, kBody,
                 {"X-Shopify-Hmac-Sha256: " +
                  Base64Encode(Hmac("sha256", "shp", kBody))})
                .status,
            200);
  ExpectError(Send(url, changed,
                   {"X-Shopify-Hmac-Sha256: " +
                    Base64Encode(Hmac("sha256", "shp", kBody))}),
              401, "unauthorized", "invalid");

  // Standard Webhooks: generated whsec_ secret; webhook-id also dedupes.
  json sw = CreateRaw({{"method", "hmac"}, {"preset", "standard-webhooks"}},
                      &path, &url);
  std::string whsec = sw["secret"];
  ASSERT_EQ(whsec.rfind("whsec_", 0), 0u);
  std::string key;
  ASSERT_TRUE(crypto::Base64Decode(whsec.substr(6), &key));
  auto standard = [&](const std::string& id, int64_t t,
                      const std::string& body) {
    return std::vector<std::string>{
        "webhook-id: " + id, "webhook-timestamp: " + std::to_string(t),
        "webhook-signature: v1," +
            Base64Encode(Hmac("sha256", key,
                              id + "." + std::to_string(t) + "." + body))};
  };
  HttpResponse first = Send(url, kBody, standard("msg_1", Now(), kBody));
  EXPECT_EQ(first.status, 200);
  HttpResponse replay = Send(url, kBody, standard("msg_1", Now(), kBody));
  EXPECT_EQ(replay.status, 200);
  EXPECT_EQ(replay.headers["idempotent-replayed"], "true");
  ExpectError(Send(url, kBody, standard("msg_2", Now() + 600, kBody)), 401,
              "unauthorized", "invalid");
  ExpectError(Send(url, changed, standard("msg_3", Now(), kBody)), 401,
              "unauthorized", "invalid");

  // Generic
  json ge = CreateRaw({{"method", "hmac"},
                       {"preset", "generic"},
                       {"secret", "gen"},
                       {"header", "X-Sig"},
                       {"algorithm", "sha1"},
                       {"encoding", "base64"},
                       {"prefix", "sha1="}},
                      &path, &url);
  EXPECT_EQ(Send(url, kBody,
                 {"X-Sig: sha1=" + Base64Encode(Hmac("sha1", "gen", kBody))})
                .status,
            200);
  ExpectError(
      Send(url, kBody,
           {"X-Sig: sha1=" + Base64Encode(Hmac("sha1", "gen", changed))}),
      401, "unauthorized", "invalid");
}

// Every preset: accepted; signed with a wrong secret; signature missing;
// body changed by one byte; timestamp outside the tolerance where signed.
TEST_F(AuthTest, EveryPresetRejectsWrongMissingChangedAndStale) {
  struct Preset {
    std::string name;
    json extra;
    std::function<std::vector<std::string>(const std::string& secret,
                                           const std::string& body, int64_t t)>
        sign;
    bool timestamped;
  };
  auto whsec_key = [](const std::string& secret) {
    std::string key;
    if (secret.rfind("whsec_", 0) == 0)
      crypto::Base64Decode(secret.substr(6), &key);
    return key;
  };
  std::vector<Preset> presets = {
      {"github", json::object(),
       [](const std::string& k, const std::string& b, int64_t) {
         return std::vector<std::string>{"X-Hub-Signature-256: sha256=" +
                                         HexEncode(Hmac("sha256", k, b))};
       },
       false},
      {"shopify", json::object(),
       [](const std::string& k, const std::string& b, int64_t) {
         return std::vector<std::string>{"X-Shopify-Hmac-Sha256: " +
                                         Base64Encode(Hmac("sha256", k, b))};
       },
       false},
      {"stripe", json::object(),
       [](const std::string& k, const std::string& b, int64_t t) {
         std::string ts = std::to_string(t);
         return std::vector<std::string>{
             "Stripe-Signature: t=" + ts +
             ",v1=" + HexEncode(Hmac("sha256", k, ts + "." + b))};
       },
       true},
      {"standard-webhooks", json::object(),
       [&](const std::string& k, const std::string& b, int64_t t) {
         std::string ts = std::to_string(t);
         std::string key = whsec_key(k);
         if (key.empty()) key = k;
         return std::vector<std::string>{
             "webhook-id: msg_" + std::to_string(t) + "_" +
                 std::to_string(b.size()),
             "webhook-timestamp: " + ts,
             "webhook-signature: v1," +
                 Base64Encode(Hmac("sha256", key,
                                   "msg_" + std::to_string(t) + "_" +
                                       std::to_string(b.size()) + "." + ts +
                                       "." + b))};
       },
       true},
      {"generic",
       json({{"header", "X-Signature"},
             {"algorithm", "sha512"},
             {"encoding", "hex"}}),
       [](const std::string& k, const std::string& b, int64_t) {
         return std::vector<std::string>{"X-Signature: " +
                                         HexEncode(Hmac("sha512", k, b))};
       },
       false},
  };
  for (const Preset& preset : presets) {
    SCOPED_TRACE(preset.name);
    json auth = {{"method", "hmac"}, {"preset", preset.name}};
    for (auto& [k, v] : preset.extra.items()) auth[k] = v;
    std::string path, url;
    json created = CreateRaw(auth, &path, &url);
    std::string secret = created["secret"];  // generated
    ASSERT_FALSE(secret.empty());
    std::string wrong = preset.name == "standard-webhooks"
                            ? "whsec_" + Base64Encode("not the key at all")
                            : "wrong";
    std::string changed = kBody;
    changed[changed.size() - 3] = 'X';
    EXPECT_EQ(Send(url, kBody, preset.sign(secret, kBody, Now())).status, 200);
    ExpectError(Send(url, kBody, preset.sign(wrong, kBody, Now())), 401,
                "unauthorized", "invalid credentials");
    ExpectError(Send(url, kBody, {}), 401, "unauthorized",
                "missing credentials");
    ExpectError(Send(url, changed, preset.sign(secret, kBody, Now())), 401,
                "unauthorized", "invalid credentials");
    if (preset.timestamped) {
      ExpectError(Send(url, kBody, preset.sign(secret, kBody, Now() - 301)),
                  401, "unauthorized", "invalid");
      ExpectError(Send(url, kBody, preset.sign(secret, kBody, Now() + 301)),
                  401, "unauthorized", "invalid");
    }
  }
}

TEST_F(AuthTest, RotationRetiresTheOldTokenWithinFiveSeconds) {
  std::string path, url;
  json created = CreateRaw(
      {{"method", "token"}, {"readFrom", "header"}, {"name", "X-Api-Token"}},
      &path, &url);
  std::string old_token = created["token"];
  ASSERT_EQ(Send(url, kBody, {"X-Api-Token: " + old_token}).status, 200);
  HttpResponse rotated = stack_.Admin("POST", path + "/token");
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  std::string new_token = json::parse(rotated.body)["token"];
  EXPECT_NE(new_token, old_token);
  double seconds = SecondsUntil(
      401, [&] { return Send(url, kBody, {"X-Api-Token: " + old_token}); }, 6);
  std::cout << "old token refused after " << seconds << " s\n";
  EXPECT_GE(seconds, 0);
  EXPECT_LE(seconds, 5.0);
  EXPECT_EQ(Send(url, kBody, {"X-Api-Token: " + new_token}).status, 200);
  EXPECT_EQ(stack_.Admin("GET", path).body.find(new_token), std::string::npos);

  // A changed method is in force as fast: token → none.
  HttpResponse patched =
      stack_.Admin("PATCH", path, R"({"auth":{"method":"none"}})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_GE(SecondsUntil(
                200, [&] { return Send(url, kBody, {}); }, 6),
            0);
}

TEST_F(AuthTest, RepeatedFailuresAreRateLimited) {
  std::string path, url;
  json created = CreateRaw(
      {{"method", "token"}, {"readFrom", "header"}, {"name", "X-Api-Token"}},
      &path, &url);
  for (int i = 0; i < 21; ++i) {
    ASSERT_EQ(Send(url, kBody, {"X-Api-Token: wrong"}).status, 401) << i;
  }
  HttpResponse limited = Send(url, kBody, {"X-Api-Token: wrong"});
  ExpectError(limited, 429, "rate_limited", "failed authentication");
  int retry_after = std::atoi(limited.headers["retry-after"].c_str());
  EXPECT_GT(retry_after, 0);
  EXPECT_LE(retry_after, 61);
  // Even the right token waits: the client is blocked, not the credential.
  EXPECT_EQ(
      Send(url, kBody, {"X-Api-Token: " + created["token"].get<std::string>()})
          .status,
      429);
  // Another listener is unaffected.
  std::string other_path, other_url;
  json other = CreateRaw(
      {{"method", "token"}, {"readFrom", "header"}, {"name", "X-Api-Token"}},
      &other_path, &other_url);
  EXPECT_EQ(Send(other_url, kBody,
                 {"X-Api-Token: " + other["token"].get<std::string>()})
                .status,
            200);
}

TEST_F(AuthTest, AdminKeyRotatesByReplacingItsFile) {
  std::string key_file = stack_.var_dir() + "/admin-key";
  std::string old_key = stack_.admin_key();
  std::string new_key = "rotated-admin-key-" + Unique("k");
  {
    std::ofstream out(key_file);
    out << new_key << "\n";
  }
  HttpResponse with_new =
      client_.Send("GET", stack_.AdminUrl("/api/v1/integrations"), "",
                   {"Authorization: Bearer " + new_key});
  HttpResponse with_old =
      client_.Send("GET", stack_.AdminUrl("/api/v1/integrations"), "",
                   {"Authorization: Bearer " + old_key});
  {
    std::ofstream out(key_file);
    out << old_key << "\n";
  }
  EXPECT_EQ(with_new.status, 200);
  EXPECT_EQ(with_old.status, 401);
  EXPECT_EQ(stack_.Admin("GET", "/api/v1/integrations").status, 200);
}

TEST_F(AuthTest, TheSealingKeyRotatesWithoutLosingHmacSecrets) {
  std::string path, url;
  CreateRaw({{"method", "hmac"}, {"preset", "github"}, {"secret", "kept"}},
            &path, &url);
  const std::string sig =
      "sha256=" + HexEncode(Hmac("sha256", "kept", kBody));
  auto send = [&] { return Send(url, kBody, {"X-Hub-Signature-256: " + sig}); };
  ASSERT_EQ(send().status, 200);

  const std::string key_file = stack_.var_dir() + "/secret-key";
  std::string old_key;
  std::getline(std::ifstream(key_file) >> std::ws, old_key);
  const std::string new_key = Base64Encode(crypto::RandomBytes(32));
  auto restart_auth_with = [&](const std::string& keys) {
    std::ofstream(key_file) << keys;
    stack_.Stop("auth");
    stack_.Start("auth");
    ASSERT_TRUE(stack_.WaitReady("auth", std::chrono::seconds(30)));
    // Past the edge's verifier cache: the next check asks auth again.
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  };
  // The new key first, the one it replaces after it.
  restart_auth_with(new_key + "\n" + old_key + "\n");
  EXPECT_GE(SecondsUntil(200, send, 10), 0);
  std::ifstream log(stack_.var_dir() + "/log/auth.log");
  std::string text((std::istreambuf_iterator<char>(log)),
                   std::istreambuf_iterator<char>());
  size_t at = text.rfind("HMAC secrets sealed under the current key");
  ASSERT_NE(at, std::string::npos);
  EXPECT_EQ(text.find("resealed=0 ", at), std::string::npos)
      << text.substr(at, 200);
  EXPECT_NE(text.find("under_no_key=0", at), std::string::npos)
      << text.substr(at, 200);
  // Then the old key goes: every secret opens with the new one alone.
  restart_auth_with(new_key + "\n");
  EXPECT_GE(SecondsUntil(200, send, 10), 0);
}

TEST_F(AuthTest, NoSecretEverReachesALog) {
  std::vector<std::string> secrets = {stack_.admin_key()};
  std::string path, url;
  json q =
      CreateRaw({{"method", "token"}, {"readFrom", "query"}, {"name", "token"}},
                &path, &url);
  secrets.push_back(q["token"]);
  Send(url + "?token=" + q["token"].get<std::string>(), kBody, {});
  Send(url + "?token=" + q["token"].get<std::string>(), "{broken", {});
  json b = CreateRaw({{"method", "basic"},
                      {"username", "uxi"},
                      {"password", "logged password 987"}},
                     &path, &url);
  secrets.push_back("logged password 987");
  Send(url, kBody,
       {"Authorization: Basic " + Base64Encode("uxi:logged password 987")});
  json h = CreateRaw({{"method", "hmac"}, {"preset", "stripe"}}, &path, &url);
  secrets.push_back(h["secret"]);
  HttpResponse rotated = stack_.Admin("POST", path + "/token");
  secrets.push_back(json::parse(rotated.body)["secret"]);
  for (const char* part : {"edge", "auth", "schema", "storage", "retention",
                           "nginx", "nginx-error", "mariadb"}) {
    std::ifstream in(stack_.var_dir() + "/log/" + std::string(part) + ".log");
    std::stringstream content;
    content << in.rdbuf();
    for (const std::string& secret : secrets) {
      EXPECT_EQ(content.str().find(secret), std::string::npos)
          << "a secret is in " << part << ".log";
    }
  }
}

}  // namespace
}  // namespace sluice::testing

#include "common/signatures/hmac_presets.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <map>

namespace sluice::signatures {
namespace {

PresentedCredentials Presented(std::map<std::string, std::string> headers,
                               std::string_view body, int64_t now) {
  auto shared = std::make_shared<std::map<std::string, std::string>>(
      std::move(headers));
  return PresentedCredentials{
      [shared](const std::string& name) -> std::optional<std::string> {
        auto it = shared->find(name);
        if (it == shared->end()) return std::nullopt;
        return it->second;
      },
      [](const std::string&) { return std::nullopt; }, body, now};
}

Verdict Verify(const char* name, v1::AuthConfig config,
               const std::string& secret, const PresentedCredentials& p) {
  const HmacPreset* preset = FindHmacPreset(name);
  EXPECT_NE(preset, nullptr);
  config.set_preset(name);
  EXPECT_TRUE(preset->normalize(&config).ok());
  std::string key;
  EXPECT_TRUE(preset->key_of(secret, &key));
  return preset->verify(config, key, p);
}

TEST(HmacPresetsTest, EveryPresetIsFoundByName) {
  for (const char* name :
       {"github", "stripe", "shopify", "standard-webhooks", "generic"}) {
    ASSERT_NE(FindHmacPreset(name), nullptr) << name;
    EXPECT_NE(HmacPresetNames().find(name), std::string::npos);
  }
  EXPECT_EQ(FindHmacPreset("GitHub"), nullptr);
  EXPECT_EQ(FindHmacPreset(""), nullptr);
}

// Test vectors published by GitHub and Standard Webhooks.
TEST(HmacPresetsTest, ProviderTestVectors) {
  EXPECT_EQ(Verify("github", {}, "It's a Secret to Everybody",
                   Presented({{"X-Hub-Signature-256",
                               "sha256=757107ea0eb2509fc211221cce984b8a37570b6"
                               "d7586c22c46f4379c8b043e17"}},
                             "Hello, World!", 0)),
            Verdict::kOk);
  auto standard = [](int64_t now) {
    return Presented(
        {{"webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"},
         {"webhook-timestamp", "1614265330"},
         {"webhook-signature",
          "v1,bogus v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="}},
        R"({"test": 2432232314})", now);
  };
  const std::string whsec = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  EXPECT_EQ(Verify("standard-webhooks", {}, whsec, standard(1614265330)),
            Verdict::kOk);
  EXPECT_EQ(Verify("standard-webhooks", {}, whsec, standard(1614265330 + 301)),
            Verdict::kInvalid);
  EXPECT_EQ(Verify("standard-webhooks", {}, whsec, standard(1614265330 - 301)),
            Verdict::kInvalid);
  EXPECT_EQ(FindHmacPreset("standard-webhooks")->delivery_id_header,
            "webhook-id");
}

TEST(HmacPresetsTest, MissingHeadersAreMissingNotInvalid) {
  for (const char* name : {"github", "stripe", "shopify", "standard-webhooks"}) {
    EXPECT_EQ(Verify(name, {}, "whsec_AAAA", Presented({}, "{}", 0)),
              Verdict::kMissing)
        << name;
  }
}

TEST(HmacPresetsTest, SecretsAndSettingsAreChecked) {
  std::string key;
  EXPECT_FALSE(FindHmacPreset("standard-webhooks")->key_of("abc", &key));
  EXPECT_FALSE(FindHmacPreset("github")->key_of("", &key));
  EXPECT_TRUE(FindHmacPreset("standard-webhooks")
                  ->key_of(FindHmacPreset("standard-webhooks")->new_secret(),
                           &key));
  v1::AuthConfig generic;
  EXPECT_FALSE(FindHmacPreset("generic")->normalize(&generic).ok());
  generic.set_header("X-Sig");
  generic.set_algorithm("md5");
  EXPECT_FALSE(FindHmacPreset("generic")->normalize(&generic).ok());
  generic.clear_algorithm();
  ASSERT_TRUE(FindHmacPreset("generic")->normalize(&generic).ok());
  EXPECT_EQ(generic.algorithm(), "sha256");
  EXPECT_EQ(generic.encoding(), "hex");
}

TEST(HmacPresetsTest, ToleranceNeverOverflows) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  EXPECT_FALSE(WithinTolerance(std::to_string(kMin), 1700000000, 300));
  EXPECT_FALSE(WithinTolerance(std::to_string(kMax), 1700000000, 300));
  EXPECT_FALSE(WithinTolerance("1700000000", kMin, 300));
  EXPECT_FALSE(WithinTolerance("-1", kMax, 300));
  EXPECT_TRUE(WithinTolerance("1700000000", 1700000300, 300));
  EXPECT_FALSE(WithinTolerance("1700000000", 1700000301, 300));
  EXPECT_TRUE(WithinTolerance("1700000300", 1700000000, 300));
  EXPECT_FALSE(WithinTolerance("12x", 12, 300));
}

}  // namespace
}  // namespace sluice::signatures

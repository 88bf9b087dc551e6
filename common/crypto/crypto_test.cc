#include "common/crypto/crypto.h"

#include <gtest/gtest.h>

#include <set>

namespace sluice::crypto {
namespace {

TEST(CryptoTest, Sha256KnownVector) {
  EXPECT_EQ(HexEncode(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(CryptoTest, HmacGithubVector) {
  // GitHub's published example for X-Hub-Signature-256.
  EXPECT_EQ(
      HexEncode(Hmac("sha256", "It's a Secret to Everybody", "Hello, World!")),
      "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
  EXPECT_EQ(Hmac("md5", "k", "d"), "");
}

TEST(CryptoTest, Base64RoundTrip) {
  for (std::string s : {"", "a", "ab", "abc", "abcd", "\xff\x00\x10"}) {
    std::string back;
    ASSERT_TRUE(Base64Decode(Base64Encode(s), &back));
    EXPECT_EQ(back, s);
  }
  std::string out;
  EXPECT_FALSE(Base64Decode("!!!!", &out));
}

TEST(CryptoTest, TokensAreLongAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string t = NewToken();
    EXPECT_EQ(t.size(), 43u);  // 32 bytes, base64url, unpadded
    EXPECT_EQ(t.find_first_of("+/="), std::string::npos);
    seen.insert(t);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(CryptoTest, UuidShape) {
  std::string id = NewUuid();
  EXPECT_TRUE(IsUuid(id));
  EXPECT_EQ(id[14], '4');
  EXPECT_FALSE(IsUuid("not-a-uuid"));
  EXPECT_FALSE(IsUuid("zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz"));
}

TEST(CryptoTest, AesGcmRoundTripAndTamperDetection) {
  std::string key = RandomBytes(32);
  std::string sealed = AesGcmEncrypt(key, "whsec_secret");
  EXPECT_EQ(sealed.find("whsec_secret"), std::string::npos);
  std::string plain;
  ASSERT_TRUE(AesGcmDecrypt(key, sealed, &plain));
  EXPECT_EQ(plain, "whsec_secret");
  sealed[14] ^= 1;
  EXPECT_FALSE(AesGcmDecrypt(key, sealed, &plain));
  EXPECT_FALSE(AesGcmDecrypt(RandomBytes(32), AesGcmEncrypt(key, "x"), &plain));
}

TEST(CryptoTest, PasswordHashVerifies) {
  std::string encoded = HashPassword("correct horse");
  EXPECT_EQ(encoded.rfind("scrypt$32768$8$1$", 0), 0u);
  EXPECT_TRUE(VerifyPassword("correct horse", encoded));
  EXPECT_FALSE(VerifyPassword("correct horsE", encoded));
  EXPECT_FALSE(
      VerifyPassword("x", "scrypt$1048576$8$1$AAAA$AAAA"));  // too costly
  EXPECT_FALSE(VerifyPassword("x", "garbage"));
  EXPECT_NE(HashPassword("same"), HashPassword("same"));  // salted
}

TEST(CryptoTest, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("secret", "secret"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secreT"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secrets"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

}  // namespace
}  // namespace sluice::crypto

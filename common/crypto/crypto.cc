#include "common/crypto/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace sluice::crypto {

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()),
                          static_cast<int>(n)) != 1) {
    std::fputs("fatal: OpenSSL RAND_bytes failed\n", stderr);
    std::abort();
  }
  return out;
}

std::string NewUuid() {
  std::string b = RandomBytes(16);
  b[6] = static_cast<char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<char>((b[8] & 0x3f) | 0x80);
  std::string hex = HexEncode(b);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) +
         "-" + hex.substr(16, 4) + "-" + hex.substr(20, 12);
}

std::string NewToken() { return Base64UrlEncode(RandomBytes(32)); }

std::string Sha256(std::string_view data) {
  std::string out(SHA256_DIGEST_LENGTH, '\0');
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

std::string Hmac(std::string_view algorithm, std::string_view key,
                 std::string_view data) {
  const EVP_MD* md = nullptr;
  if (algorithm == "sha1") {
    md = EVP_sha1();
  } else if (algorithm == "sha256") {
    md = EVP_sha256();
  } else if (algorithm == "sha512") {
    md = EVP_sha512();
  } else {
    return "";
  }
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(md, key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
       &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0x0f]);
  }
  return out;
}

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(n);
  return out;
}

bool Base64Decode(std::string_view text, std::string* out) {
  std::string padded(text);
  while (padded.size() % 4 != 0) padded.push_back('=');
  std::string buf(3 * padded.size() / 4 + 1, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(buf.data()),
                          reinterpret_cast<const unsigned char*>(padded.data()),
                          static_cast<int>(padded.size()));
  if (n < 0) return false;
  // EVP_DecodeBlock counts padding bytes as zeros; drop them.
  size_t pad = 0;
  for (size_t i = padded.size(); i > 0 && padded[i - 1] == '='; --i) ++pad;
  if (pad > 2) return false;
  buf.resize(n - pad);
  *out = std::move(buf);
  return true;
}

std::string Base64UrlEncode(std::string_view bytes) {
  std::string out = Base64Encode(bytes);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string AesGcmEncrypt(std::string_view key, std::string_view plaintext) {
  std::string nonce = RandomBytes(12);
  std::string out = nonce;
  out.resize(12 + plaintext.size() + 16);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int len = 0;
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr,
                     reinterpret_cast<const unsigned char*>(key.data()),
                     reinterpret_cast<const unsigned char*>(nonce.data()));
  EVP_EncryptUpdate(ctx, dst + 12, &len,
                    reinterpret_cast<const unsigned char*>(plaintext.data()),
                    static_cast<int>(plaintext.size()));
  EVP_EncryptFinal_ex(ctx, dst + 12 + len, &len);
  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16,
                      dst + 12 + plaintext.size());
  EVP_CIPHER_CTX_free(ctx);
  return out;
}

bool AesGcmDecrypt(std::string_view key, std::string_view sealed,
                   std::string* plaintext) {
  if (key.size() != 32 || sealed.size() < 28) return false;
  size_t n = sealed.size() - 28;
  std::string out(n, '\0');
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int len = 0;
  const auto* src = reinterpret_cast<const unsigned char*>(sealed.data());
  bool ok =
      EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr,
                         reinterpret_cast<const unsigned char*>(key.data()),
                         src) == 1 &&
      EVP_DecryptUpdate(ctx, reinterpret_cast<unsigned char*>(out.data()), &len,
                        src + 12, static_cast<int>(n)) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16,
                          const_cast<unsigned char*>(src + 12 + n)) == 1 &&
      EVP_DecryptFinal_ex(
          ctx, reinterpret_cast<unsigned char*>(out.data()) + len, &len) == 1;
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) return false;
  *plaintext = std::move(out);
  return true;
}

namespace {

bool Scrypt(std::string_view password, std::string_view salt, uint64_t n,
            uint64_t r, uint64_t p, std::string* out) {
  out->assign(32, '\0');
  return EVP_PBE_scrypt(password.data(), password.size(),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        salt.size(), n, r, p, 64 * 1024 * 1024,
                        reinterpret_cast<unsigned char*>(out->data()),
                        out->size()) == 1;
}

}  // namespace

std::string HashPassword(std::string_view password) {
  std::string salt = RandomBytes(16);
  std::string hash;
  constexpr uint64_t kN = 1 << 15, kR = 8, kP = 1;
  if (!Scrypt(password, salt, kN, kR, kP, &hash)) {
    std::fputs("fatal: scrypt failed\n", stderr);
    std::abort();
  }
  return "scrypt$" + std::to_string(kN) + "$" + std::to_string(kR) + "$" +
         std::to_string(kP) + "$" + Base64Encode(salt) + "$" +
         Base64Encode(hash);
}

bool VerifyPassword(std::string_view password, std::string_view encoded) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t sep = encoded.find('$', start);
    parts.emplace_back(encoded.substr(
        start, sep == std::string_view::npos ? sep : sep - start));
    if (sep == std::string_view::npos) break;
    start = sep + 1;
  }
  if (parts.size() != 6 || parts[0] != "scrypt") return false;
  uint64_t n = std::strtoull(parts[1].c_str(), nullptr, 10);
  uint64_t r = std::strtoull(parts[2].c_str(), nullptr, 10);
  uint64_t p = std::strtoull(parts[3].c_str(), nullptr, 10);
  // Refuse parameters that would cost more than the ones we issue.
  if (n < 2 || n > (1 << 16) || r == 0 || r > 16 || p == 0 || p > 4)
    return false;
  std::string salt, expected, actual;
  if (!Base64Decode(parts[4], &salt) || !Base64Decode(parts[5], &expected))
    return false;
  if (!Scrypt(password, salt, n, r, p, &actual)) return false;
  return ConstantTimeEquals(actual, expected);
}

bool IsUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
                 (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

}  // namespace sluice::crypto

#ifndef SLUICE_COMMON_CRYPTO_CRYPTO_H_
#define SLUICE_COMMON_CRYPTO_CRYPTO_H_

#include <string>
#include <string_view>

namespace sluice::crypto {

// `n` bytes from OpenSSL's CSPRNG. Aborts if the CSPRNG fails: continuing
// with weak randomness would be worse than stopping.
std::string RandomBytes(size_t n);

// A random (version 4) UUID in its canonical lowercase form.
std::string NewUuid();

// A new secret for humans to copy: 32 random bytes, base64url without padding.
std::string NewToken();

// SHA-256 digest (32 raw bytes).
std::string Sha256(std::string_view data);

// HMAC with SHA-1, SHA-256 or SHA-512 ("sha1", "sha256", "sha512"); raw bytes,
// or "" for an unknown algorithm.
std::string Hmac(std::string_view algorithm, std::string_view key,
                 std::string_view data);

std::string HexEncode(std::string_view bytes);
std::string Base64Encode(std::string_view bytes);
// Standard base64 (padding optional). Returns false on malformed input.
bool Base64Decode(std::string_view text, std::string* out);
std::string Base64UrlEncode(std::string_view bytes);

// Compares in time independent of where the inputs differ (lengths may leak).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// True when `s` is a canonical lowercase or uppercase UUID.
bool IsUuid(std::string_view s);

}  // namespace sluice::crypto

#endif  // SLUICE_COMMON_CRYPTO_CRYPTO_H_

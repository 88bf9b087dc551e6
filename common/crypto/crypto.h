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

// AES-256-GCM with a 32-byte key: nonce (12) | ciphertext | tag (16).
// Decrypt returns false when the key is wrong or the data was altered.
std::string AesGcmEncrypt(std::string_view key, std::string_view plaintext);
bool AesGcmDecrypt(std::string_view key, std::string_view sealed,
                   std::string* plaintext);

// A slow, memory-hard password hash (scrypt, N=2^15, r=8, p=1, 16-byte
// salt): "scrypt$N$r$p$<salt b64>$<hash b64>". About 0.1 s and 32 MiB.
std::string HashPassword(std::string_view password);
// Recomputes the hash of `password` with the parameters in `encoded` and
// compares in constant time. False for malformed `encoded`.
bool VerifyPassword(std::string_view password, std::string_view encoded);

// True when `s` is a canonical lowercase or uppercase UUID.
bool IsUuid(std::string_view s);

}  // namespace sluice::crypto

#endif  // SLUICE_COMMON_CRYPTO_CRYPTO_H_

// libFuzzer target for the small parsers that read what senders and admins
// send: Authorization headers (Basic, Bearer with a prefix), the signature
// headers of every HMAC preset (Stripe-Signature, webhook-signature, …),
// listener paths, percent-encoded paths and queries, and retention
// durations. The first byte picks the parser; lines of the rest are its
// inputs. Any crash, hang or sanitizer report is a bug.
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "common/crypto/crypto.h"
#include "services/edge/credential_check.h"
#include "services/edge/http_util.h"
#include "services/edge/ingest_request.h"
#include "services/schema/schema_manager.h"

namespace {

using sluice::edge::Verdict;

sluice::v1::Verifier Hmac(const std::string& preset) {
  sluice::v1::Verifier v;
  v.mutable_config()->set_method(sluice::v1::AUTH_METHOD_HMAC);
  v.mutable_config()->set_preset(preset);
  v.mutable_config()->set_header("X-Sig");
  v.mutable_config()->set_algorithm("sha256");
  v.mutable_config()->set_encoding(preset == "generic" ? "base64" : "");
  v.mutable_config()->set_prefix("sha256=");
  v.mutable_config()->set_tolerance_seconds(300);
  v.set_hmac_key("key");
  return v;
}

std::vector<sluice::v1::Verifier> Verifiers() {
  std::vector<sluice::v1::Verifier> out;
  for (const char* preset :
       {"github", "stripe", "shopify", "standard-webhooks", "generic"}) {
    out.push_back(Hmac(preset));
  }
  sluice::v1::Verifier token;
  token.mutable_config()->set_method(sluice::v1::AUTH_METHOD_TOKEN);
  token.mutable_config()->set_read_from(sluice::v1::TOKEN_SOURCE_AUTHORIZATION);
  token.mutable_config()->set_prefix("Bearer");
  token.set_secret_sha256(sluice::crypto::Sha256("t"));
  out.push_back(token);
  sluice::v1::Verifier basic;
  basic.mutable_config()->set_method(sluice::v1::AUTH_METHOD_BASIC);
  basic.mutable_config()->set_username("uxi");
  basic.set_secret_sha256(sluice::crypto::Sha256("p"));
  out.push_back(basic);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto verifiers = Verifiers();
  if (size == 0) return 0;
  const uint8_t which = data[0] % 4;
  std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  switch (which) {
    case 0: {  // every header any method reads gets a line of the input
      std::map<std::string, std::string> headers;
      const char* names[] = {"Authorization",     "X-Hub-Signature-256",
                             "Stripe-Signature",  "X-Shopify-Hmac-Sha256",
                             "webhook-id",        "webhook-timestamp",
                             "webhook-signature", "X-Sig"};
      for (size_t i = 0; i < lines.size() && i < 8; ++i) {
        headers[names[i]] = lines[i];
      }
      sluice::edge::PresentedCredentials presented{
          [&](const std::string& n) -> std::optional<std::string> {
            auto it = headers.find(n);
            if (it == headers.end()) return std::nullopt;
            return it->second;
          },
          [](const std::string&) { return std::nullopt; }, text, 1700000000};
      for (const auto& v : verifiers) {
        if (sluice::edge::CheckCredentials(v, presented) ==
            Verdict::kNeedsPassword) {
          std::abort();  // no verifier here has a KDF
        }
      }
      (void)sluice::edge::ParseBasic(lines[0]);
      break;
    }
    case 1: {  // listener paths, percent-decoded as the edge splits them
      std::vector<std::string> segments;
      std::vector<std::string> parts = absl::StrSplit(text, '/');
      for (const std::string& s : parts) {
        segments.push_back(sluice::edge::PercentDecode(s, false));
      }
      auto path = sluice::edge::ParseListenerPath(segments);
      if (path.ok()) (void)sluice::edge::CheckMethod(lines[0], *path);
      break;
    }
    case 2:  // query values
      for (const auto& line : lines) {
        (void)sluice::edge::PercentDecode(line, true);
        (void)sluice::edge::CheckJsonContentType(line);
      }
      break;
    default:  // retention durations
      for (const auto& line : lines) {
        auto seconds = sluice::ParseRetention(line);
        if (seconds && *seconds < 0) std::abort();
      }
  }
  return 0;
}

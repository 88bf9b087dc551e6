#ifndef SLUICE_COMMON_LOG_LOG_H_
#define SLUICE_COMMON_LOG_LOG_H_

#include <string>

namespace sluice::log {

// Configures the process-wide spdlog logger: one line per event on stderr,
// logfmt-style (`ts=… level=… service=… msg=…`), UTC timestamps. `level` is
// an spdlog level name ("debug", "info", "warn", …). Call once from main().
//
// Logging rule for every service: never log a secret, a credential, a request
// body, or a query string (it may hold a token).
void Init(const std::string& service, const std::string& level = "info");

}  // namespace sluice::log

#endif  // SLUICE_COMMON_LOG_LOG_H_

#ifndef SLUICE_COMMON_STATUS_STATUS_MACROS_H_
#define SLUICE_COMMON_STATUS_STATUS_MACROS_H_

// Small versions of the macros Debian's abseil (20220623) lacks.

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define SLUICE_CONCAT_INNER_(a, b) a##b
#define SLUICE_CONCAT_(a, b) SLUICE_CONCAT_INNER_(a, b)

// Returns the status from the enclosing function when `expr` is not OK.
#define SLUICE_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::absl::Status sluice_status_ = (expr);          \
    if (!sluice_status_.ok()) return sluice_status_; \
  } while (0)

// `lhs = value of expr`, or returns its status when it holds an error.
#define SLUICE_ASSIGN_OR_RETURN(lhs, expr)                                  \
  SLUICE_ASSIGN_OR_RETURN_IMPL_(SLUICE_CONCAT_(sluice_statusor_, __LINE__), \
                                lhs, expr)
#define SLUICE_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(tmp).value()

#endif  // SLUICE_COMMON_STATUS_STATUS_MACROS_H_

// Status-propagation macros. Abseil 20220623 (Debian 12's) has no
// RETURN_IF_ERROR / ASSIGN_OR_RETURN, so samsa defines its own, once, here.
#pragma once

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Evaluates `expr` (an absl::Status); returns it from the calling function if it
// is not OK.
#define SAMSA_RETURN_IF_ERROR(expr)                                       \
  do {                                                                    \
    if (::absl::Status samsa_status_ = (expr); !samsa_status_.ok()) {     \
      return samsa_status_;                                               \
    }                                                                     \
  } while (0)

#define SAMSA_STATUS_CONCAT_INNER_(a, b) a##b
#define SAMSA_STATUS_CONCAT_(a, b) SAMSA_STATUS_CONCAT_INNER_(a, b)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status from the
// calling function, otherwise moves the value into `lhs` (which may declare a
// variable: `SAMSA_ASSIGN_OR_RETURN(auto file, env->OpenFile(...));`).
#define SAMSA_ASSIGN_OR_RETURN(lhs, rexpr) \
  SAMSA_ASSIGN_OR_RETURN_IMPL_(SAMSA_STATUS_CONCAT_(samsa_statusor_, __LINE__), lhs, rexpr)

#define SAMSA_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                 \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()

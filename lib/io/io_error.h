// IoError: the absl::Status of a failed file-system call, shared by PosixEnv
// and MemEnv so that both report a failure with the same code and message.
//
// Codes: ENOENT -> NotFound, EEXIST -> AlreadyExists, ENOSPC/EDQUOT ->
// ResourceExhausted, everything else -> Internal. Message:
// "<op> <path>: <strerror(err)>", e.g. "open /data/0.log: No such file or
// directory".
//
// Thread-safety: pure functions, thread-safe.
#pragma once

#include <string_view>

#include "absl/status/status.h"

namespace samsa::io {

absl::Status IoError(std::string_view op, std::string_view path, int err);

// The FailedPrecondition of a call on a handle after Close().
absl::Status ClosedFileError(std::string_view op, std::string_view path);

}  // namespace samsa::io

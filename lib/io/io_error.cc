#include "io/io_error.h"

#include <cerrno>
#include <cstring>
#include <string>

#include <fmt/format.h>

namespace samsa::io {
namespace {

// strerror is not thread-safe; pick whichever strerror_r the C library has.
[[maybe_unused]] const char* ErrorText(int /*err*/, const char* gnu_result, char* /*buf*/) {
  return gnu_result;  // GNU strerror_r returns the message
}
[[maybe_unused]] const char* ErrorText(int err, int xsi_result, char* buf) {
  if (xsi_result != 0) return "Unknown error";
  return buf;  // XSI strerror_r fills buf
}

std::string StrError(int err) {
  char buf[256];
  buf[0] = '\0';
  return ErrorText(err, strerror_r(err, buf, sizeof(buf)), buf);
}

}  // namespace

absl::Status IoError(std::string_view op, std::string_view path, int err) {
  std::string message = fmt::format("{} {}: {}", op, path, StrError(err));
  switch (err) {
    case ENOENT:
      return absl::NotFoundError(message);
    case EEXIST:
      return absl::AlreadyExistsError(message);
    case ENOSPC:
    case EDQUOT:
      return absl::ResourceExhaustedError(message);
    default:
      return absl::InternalError(message);
  }
}

absl::Status ClosedFileError(std::string_view op, std::string_view path) {
  return absl::FailedPreconditionError(fmt::format("{} {}: file is closed", op, path));
}

}  // namespace samsa::io

// Internal logging: SAMSA_LOG(kInfo, "opened {} in {} ms", path, ms).
// Formats with fmt only when the level is enabled; sends the line to the sink
// set by samsa::SetLogSink (stderr by default).
#pragma once

#include <string_view>

#include <fmt/format.h>

#include "samsa/logging.h"

namespace samsa::internal {
void EmitLog(LogLevel level, std::string_view message);
}  // namespace samsa::internal

#define SAMSA_LOG(level, ...)                                                          \
  do {                                                                                 \
    if (::samsa::LogLevel::level >= ::samsa::MinLogLevel()) {                          \
      ::samsa::internal::EmitLog(::samsa::LogLevel::level, ::fmt::format(__VA_ARGS__)); \
    }                                                                                  \
  } while (0)

// samsa/logging.h — where samsa's log lines go.
//
// samsa logs a line for things an operator should know about: a log recovered
// after an unclean shutdown, a segment deleted by retention, an unknown config
// key, a client connection dropped for a malformed frame. By default lines at
// kInfo and above go to stderr as "<time> <LEVEL> samsa: <message>".
//
// Thread-safety: all functions are thread-safe; a sink may be called from any
// samsa thread concurrently and must be thread-safe itself.
#pragma once

#include <functional>
#include <string_view>

namespace samsa {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

using LogSink = std::function<void(LogLevel level, std::string_view message)>;

// Replaces the sink; an empty function restores the stderr sink.
void SetLogSink(LogSink sink);
// Lines below `level` are dropped before formatting.
void SetMinLogLevel(LogLevel level);
LogLevel MinLogLevel();

}  // namespace samsa

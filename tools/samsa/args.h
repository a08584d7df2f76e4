// What the `samsa` commands share: walking their arguments the way Kafka's
// shell tools take them (joptsimple: `--name value` or `--name=value`,
// repeatable `--property k=v`), and opening a log dir as an embedded broker.
//
// A usage problem (an unknown flag, a missing value, a bad number) is printed
// as "samsa <command>: <what>" naming the flag; the command's parser then
// returns false and the binary exits with kUsageExit.
//
// Thread-safety: plain values and functions of their arguments.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "samsa/broker.h"
#include "samsa/env.h"

namespace samsa::tools {

inline constexpr int kUsageExit = 2;

// One pass over a command's arguments:
//
//   ArgCursor args("produce", argv, err);
//   while (args.Next()) {
//     if (args.Is("--topic")) { if (!args.Value(&o.topic)) return false; }
//     else if (args.Is("--print-offsets")) { if (!args.NoValue()) return false; o.print_offsets = true; }
//     else return args.Unknown();
//   }
class ArgCursor {
 public:
  ArgCursor(std::string_view command, const std::vector<std::string>& args, std::ostream& err)
      : command_(command), args_(args), err_(err) {}

  // Moves to the next flag; false when the arguments are used up.
  bool Next();
  // The current flag ("--topic"), without any "=value".
  const std::string& flag() const { return flag_; }
  bool Is(std::string_view name) const { return flag_ == name; }

  // The current flag's value: "--flag value" or "--flag=value".
  bool Value(std::string* out);
  // An integer value in [min, max].
  bool Int(int64_t min, int64_t max, int64_t* out);
  template <typename T>
  bool Int(int64_t min, int64_t max, T* out) {
    int64_t v = 0;
    if (!Int(min, max, &v)) return false;
    *out = static_cast<T>(v);
    return true;
  }
  template <typename T>
  bool Int(int64_t min, int64_t max, std::optional<T>* out) {
    int64_t v = 0;
    if (!Int(min, max, &v)) return false;
    *out = static_cast<T>(v);
    return true;
  }
  // A "key=value" value (split at the first '='), stored into `*out`.
  bool KeyValue(std::map<std::string, std::string>* out);
  // For a flag that takes no value: false if it was given "--flag=value".
  bool NoValue();

  // Prints "samsa <command>: <message>" and returns false.
  bool Error(std::string_view message);
  // Error("unknown option '<flag>'").
  bool Unknown();

 private:
  static bool StartsWithDashes(std::string_view a);

  std::string_view command_;
  const std::vector<std::string>& args_;
  std::ostream& err_;
  size_t next_ = 0;
  std::string flag_;
  std::optional<std::string> inline_value_;
};

// Parses a decimal integer (all of `s`); nullopt if it is not one.
std::optional<int64_t> ParseInt64(std::string_view s);
// Kafka's Boolean property reading: "true" in any case is true, anything else false.
bool PropertyIsTrue(std::string_view value);

// Opens `log_dir` as an embedded broker on `env` and its clock. With
// must_exist, a missing dir is an error rather than created (a reader must
// not make an empty log dir out of a typo).
absl::StatusOr<std::unique_ptr<Broker>> OpenLogDir(Env* env, const std::string& log_dir,
                                                   bool must_exist);

// The status's message as a std::string (Abseil's is its own string_view).
inline std::string Message(const absl::Status& s) { return std::string(s.message()); }

// Every command's frame: opens `log_dir` (OpenLogDir), runs `command` on the
// broker, then closes it so the clean-shutdown marker is written. A failed
// open or close prints its message on `err`, after `error_prefix` (the
// command's own error heading, if it has one), and makes the exit code 1.
int WithLogDir(Env* env, const std::string& log_dir, bool must_exist, std::ostream& err,
               const std::function<int(Broker*)>& command, std::string_view error_prefix = "");

}  // namespace samsa::tools

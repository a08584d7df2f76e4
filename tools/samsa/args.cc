#include "args.h"

#include <charconv>

#include <fmt/format.h>

#include "samsa/errors.h"

namespace samsa::tools {

bool ArgCursor::Next() {
  if (next_ >= args_.size()) return false;
  const std::string& a = args_[next_++];
  inline_value_.reset();
  const size_t eq = a.find('=');
  if (StartsWithDashes(a) && eq != std::string::npos) {
    flag_ = a.substr(0, eq);
    inline_value_ = a.substr(eq + 1);
  } else {
    flag_ = a;
  }
  return true;
}

bool ArgCursor::StartsWithDashes(std::string_view a) { return a.size() > 2 && a.substr(0, 2) == "--"; }

bool ArgCursor::Value(std::string* out) {
  if (inline_value_) {
    *out = *std::move(inline_value_);
    inline_value_.reset();
    return true;
  }
  if (next_ >= args_.size()) return Error(fmt::format("option {} requires a value", flag_));
  *out = args_[next_++];
  return true;
}

bool ArgCursor::Int(int64_t min, int64_t max, int64_t* out) {
  std::string text;
  if (!Value(&text)) return false;
  const std::optional<int64_t> v = ParseInt64(text);
  if (!v || *v < min || *v > max) {
    return Error(fmt::format("option {}: '{}' is not an integer in [{}, {}]", flag_, text, min, max));
  }
  *out = *v;
  return true;
}

bool ArgCursor::KeyValue(std::map<std::string, std::string>* out) {
  std::string text;
  if (!Value(&text)) return false;
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    return Error(fmt::format("option {} expects key=value, got '{}'", flag_, text));
  }
  (*out)[text.substr(0, eq)] = text.substr(eq + 1);
  return true;
}

bool ArgCursor::NoValue() {
  if (!inline_value_) return true;
  return Error(fmt::format("option {} takes no value", flag_));
}

bool ArgCursor::Error(std::string_view message) {
  err_ << "samsa " << command_ << ": " << message << "\n";
  return false;
}

bool ArgCursor::Unknown() { return Error(fmt::format("unknown option '{}'", flag_)); }

std::optional<int64_t> ParseInt64(std::string_view s) {
  int64_t v = 0;
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, v);
  if (s.empty() || ec != std::errc() || p != end) return std::nullopt;
  return v;
}

bool PropertyIsTrue(std::string_view value) {
  if (value.size() != 4) return false;
  for (size_t i = 0; i < 4; ++i) {
    if ((value[i] | 0x20) != "true"[i]) return false;
  }
  return true;
}

absl::StatusOr<std::unique_ptr<Broker>> OpenLogDir(Env* env, const std::string& log_dir,
                                                   bool must_exist) {
  if (must_exist && !env->IsDirectory(log_dir)) {
    return absl::NotFoundError(fmt::format("log dir {} does not exist", log_dir));
  }
  BrokerConfig config;
  config.log_dirs = log_dir;
  // A one-shot command: one scheduler thread is plenty.
  config.num_io_threads = 1;
  // The dir is locked to this process, so no other group member can come:
  // a group's first join need not wait for one (Kafka's default is 3 s).
  config.group_initial_rebalance_delay_ms = 0;
  return Broker::Open(config, BrokerOptions{env, env->clock()});
}

int WithLogDir(Env* env, const std::string& log_dir, bool must_exist, std::ostream& err,
               const std::function<int(Broker*)>& command, std::string_view error_prefix) {
  absl::StatusOr<std::unique_ptr<Broker>> broker = OpenLogDir(env, log_dir, must_exist);
  if (!broker.ok()) {
    err << error_prefix << Message(broker.status()) << "\n";
    return 1;
  }
  int rc = command(broker->get());
  if (absl::Status s = (*broker)->Close(); !s.ok()) {
    err << error_prefix << Message(s) << "\n";
    rc = 1;
  }
  return rc;
}

}  // namespace samsa::tools

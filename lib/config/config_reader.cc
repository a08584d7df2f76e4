#include "config/config_reader.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "samsa/errors.h"
#include "util/logging.h"
#include "util/strings.h"

namespace samsa::internal {

absl::Status ConfigReader::Invalid(const std::string& key, const std::string& value,
                                   const std::string& why) {
  return KafkaError(ErrorCode::kInvalidConfig,
                    fmt::format("Invalid value {} for configuration {}: {}", value, key, why));
}

std::optional<std::string> ConfigReader::Raw(const char* key) {
  used_.insert(key);
  auto it = props_.find(key);
  if (it == props_.end()) return std::nullopt;
  return std::string(Trim(it->second));
}

namespace {
template <typename T>
absl::Status ReadInteger(ConfigReader& r, const char* key, T* out, int64_t min, int64_t max,
                         const char* type) {
  std::optional<std::string> raw = r.Raw(key);
  if (!raw) return absl::OkStatus();
  int64_t v = 0;
  if (!absl::SimpleAtoi(*raw, &v)) return ConfigReader::Invalid(key, *raw, fmt::format("Not a number of type {}", type));
  if (v < min) return ConfigReader::Invalid(key, *raw, fmt::format("Value must be at least {}", min));
  if (v > max) return ConfigReader::Invalid(key, *raw, fmt::format("Value must be no more than {}", max));
  *out = static_cast<T>(v);
  return absl::OkStatus();
}
}  // namespace

absl::Status ConfigReader::Int(const char* key, int32_t* out, int64_t min, int64_t max) {
  return ReadInteger(*this, key, out, std::max<int64_t>(min, INT32_MIN), std::min<int64_t>(max, INT32_MAX), "INT");
}
absl::Status ConfigReader::Short(const char* key, int16_t* out, int64_t min, int64_t max) {
  return ReadInteger(*this, key, out, std::max<int64_t>(min, INT16_MIN), std::min<int64_t>(max, INT16_MAX), "SHORT");
}
absl::Status ConfigReader::Long(const char* key, int64_t* out, int64_t min, int64_t max) {
  return ReadInteger(*this, key, out, min, max, "LONG");
}
absl::Status ConfigReader::OptionalInt(const char* key, std::optional<int32_t>* out, int64_t min) {
  if (props_.count(key) == 0) {
    used_.insert(key);
    return absl::OkStatus();
  }
  int32_t v = 0;
  absl::Status s = Int(key, &v, min);
  if (s.ok()) *out = v;
  return s;
}
absl::Status ConfigReader::OptionalLong(const char* key, std::optional<int64_t>* out, int64_t min) {
  if (props_.count(key) == 0) {
    used_.insert(key);
    return absl::OkStatus();
  }
  int64_t v = 0;
  absl::Status s = Long(key, &v, min);
  if (s.ok()) *out = v;
  return s;
}
absl::Status ConfigReader::Double(const char* key, double* out, double min, double max) {
  std::optional<std::string> raw = Raw(key);
  if (!raw) return absl::OkStatus();
  double v = 0;
  if (!absl::SimpleAtod(*raw, &v)) return Invalid(key, *raw, "Not a number of type DOUBLE");
  if (v < min) return Invalid(key, *raw, fmt::format("Value must be at least {}", min));
  if (v > max) return Invalid(key, *raw, fmt::format("Value must be no more than {}", max));
  *out = v;
  return absl::OkStatus();
}
absl::Status ConfigReader::Bool(const char* key, bool* out) {
  std::optional<std::string> raw = Raw(key);
  if (!raw) return absl::OkStatus();
  const std::string lower = absl::AsciiStrToLower(*raw);
  if (lower == "true") {
    *out = true;
  } else if (lower == "false") {
    *out = false;
  } else {
    return Invalid(key, *raw, "Expected value to be either true or false");
  }
  return absl::OkStatus();
}
absl::Status ConfigReader::String(const char* key, std::string* out,
                                  std::initializer_list<const char*> allowed) {
  std::optional<std::string> raw = Raw(key);
  if (!raw) return absl::OkStatus();
  if (allowed.size() == 0) {
    *out = *raw;
    return absl::OkStatus();
  }
  for (const char* a : allowed) {
    if (absl::AsciiStrToLower(*raw) == absl::AsciiStrToLower(a)) {
      *out = a;
      return absl::OkStatus();
    }
  }
  std::vector<std::string> names(allowed.begin(), allowed.end());
  return Invalid(key, *raw, fmt::format("String must be one of: {}", fmt::join(names, ", ")));
}
absl::Status ConfigReader::List(const char* key, std::vector<std::string>* out) {
  std::optional<std::string> raw = Raw(key);
  if (!raw) return absl::OkStatus();
  *out = SplitCommaList(*raw);
  return absl::OkStatus();
}
void ConfigReader::AcceptPrefix(const std::string& prefix) { accepted_prefixes_.push_back(prefix); }

std::vector<std::string> ConfigReader::UnknownKeys() const {
  std::vector<std::string> unknown;
  for (const auto& [key, value] : props_) {
    if (used_.count(key) != 0) continue;
    bool prefixed = false;
    for (const std::string& p : accepted_prefixes_) prefixed = prefixed || key.rfind(p, 0) == 0;
    if (!prefixed) unknown.push_back(key);
  }
  return unknown;
}

void ReportUnknownKeys(const ConfigReader& reader, const char* what,
                       std::vector<std::string>* warnings) {
  for (const std::string& key : reader.UnknownKeys()) {
    std::string warning = fmt::format("{}: the configuration '{}' was supplied but isn't a known config", what, key);
    SAMSA_LOG(kWarning, "{}", warning);
    if (warnings != nullptr) warnings->push_back(std::move(warning));
  }
}

}  // namespace samsa::internal

// ConfigReader: typed reads of a Properties map with Kafka's value rules,
// remembering which keys were read so that the rest can be reported as
// unknown. Bad values are INVALID_CONFIG in Kafka's wording:
// "Invalid value <v> for configuration <key>: <why>".
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "samsa/config.h"

namespace samsa::internal {

class ConfigReader {
 public:
  explicit ConfigReader(const Properties& props) : props_(props) {}

  // Each reads `key` if present (leaving *out as is when absent).
  absl::Status Int(const char* key, int32_t* out, int64_t min = INT32_MIN, int64_t max = INT32_MAX);
  absl::Status Short(const char* key, int16_t* out, int64_t min = INT16_MIN, int64_t max = INT16_MAX);
  absl::Status Long(const char* key, int64_t* out, int64_t min = INT64_MIN, int64_t max = INT64_MAX);
  absl::Status OptionalInt(const char* key, std::optional<int32_t>* out, int64_t min = INT32_MIN);
  absl::Status OptionalLong(const char* key, std::optional<int64_t>* out, int64_t min = INT64_MIN);
  absl::Status Double(const char* key, double* out, double min, double max);
  absl::Status Bool(const char* key, bool* out);
  // A string; when `allowed` is non-empty the value must be one of them
  // (compared case-insensitively; stored as listed in `allowed`).
  absl::Status String(const char* key, std::string* out,
                      std::initializer_list<const char*> allowed = {});
  // A comma-separated list, trimmed, empty items dropped.
  absl::Status List(const char* key, std::vector<std::string>* out);
  // Marks a key as known without reading it (accepted and ignored).
  void Accept(const char* key) { used_.insert(key); }
  // Marks every key starting with `prefix` as known.
  void AcceptPrefix(const std::string& prefix);

  // The raw value, trimmed; nullopt when absent. Marks the key as known.
  std::optional<std::string> Raw(const char* key);
  static absl::Status Invalid(const std::string& key, const std::string& value,
                              const std::string& why);

  // Keys present but never read or accepted.
  std::vector<std::string> UnknownKeys() const;

 private:
  const Properties& props_;
  std::set<std::string> used_;
  std::vector<std::string> accepted_prefixes_;
};

// Logs and returns warnings for unknown keys ("<what>: unknown config '<key>'
// ignored").
void ReportUnknownKeys(const ConfigReader& reader, const char* what,
                       std::vector<std::string>* warnings);

}  // namespace samsa::internal

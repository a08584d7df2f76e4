#include "broker/topic_registry.h"

#include <random>

#include <fmt/format.h>

#include "absl/strings/numbers.h"
#include "samsa/errors.h"
#include "util/logging.h"
#include "util/status_macros.h"

namespace samsa {
namespace {

constexpr size_t kMaxTopicNameLength = 249;

std::string Base64UrlNoPadding(const unsigned char* bytes, size_t n) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (size_t i = 0; i < n; ++i) {
    buffer = (buffer << 8) | bytes[i];
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(buffer >> bits) & 0x3f]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (6 - bits)) & 0x3f]);
  return out;
}

}  // namespace

absl::Status ValidateTopicName(std::string_view name) {
  const auto invalid = [&](std::string_view why) {
    return KafkaError(ErrorCode::kInvalidTopicException,
                      fmt::format("invalid topic name '{}': {}", name, why));
  };
  if (name.empty()) return invalid("Topic name is illegal, it can't be empty");
  if (name == "." || name == "..") return invalid("Topic name cannot be \".\" or \"..\"");
  if (name.size() > kMaxTopicNameLength) {
    return invalid(fmt::format("the length of '{}' is longer than the max allowed length {}",
                               name.size(), kMaxTopicNameLength));
  }
  for (char c : name) {
    const bool legal = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '.' || c == '_' || c == '-';
    if (!legal) {
      return invalid("contains a character other than ASCII alphanumerics, '.', '_' and '-'");
    }
  }
  return absl::OkStatus();
}

bool TopicNamesCollide(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const char x = a[i] == '.' ? '_' : a[i];
    const char y = b[i] == '.' ? '_' : b[i];
    if (x != y) return false;
  }
  return true;
}

std::string NewTopicId() {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  unsigned char bytes[16];
  do {
    for (int i = 0; i < 16; i += 8) {
      const uint64_t r = rng();
      for (int j = 0; j < 8; ++j) bytes[i + j] = static_cast<unsigned char>(r >> (8 * j));
    }
    bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);  // version 4
    bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);  // IETF variant
  } while (bytes[0] == 0 && bytes[1] == 0);  // Kafka reserves ids starting with zeros
  return Base64UrlNoPadding(bytes, 16);
}

absl::Status TopicRegistry::Load(Env* env, const std::vector<std::string>& log_dirs) {
  std::optional<Properties> newest;
  int64_t newest_epoch = -1;
  for (const std::string& dir : log_dirs) {
    const std::string path = JoinPath(dir, kTopicRegistryFile);
    if (!env->FileExists(path)) continue;
    SAMSA_ASSIGN_OR_RETURN(std::string text, ReadFileToString(env, path));
    absl::StatusOr<Properties> props = ParseProperties(text);
    if (!props.ok()) {
      return KafkaError(ErrorCode::kKafkaStorageError,
                        fmt::format("{}: {}", path, std::string(props.status().message())));
    }
    int64_t epoch = 0;
    if (auto it = props->find("epoch"); it != props->end()) absl::SimpleAtoi(it->second, &epoch);
    if (epoch > newest_epoch) {
      newest_epoch = epoch;
      newest = *std::move(props);
    }
  }
  topics_.clear();
  epoch_ = std::max<int64_t>(newest_epoch, 0);
  if (!newest) return absl::OkStatus();
  for (const auto& [key, value] : *newest) {
    const size_t slash = key.find('/');
    if (slash == std::string::npos) continue;
    const std::string topic = key.substr(0, slash);
    const std::string field = key.substr(slash + 1);
    TopicInfo& info = topics_[topic];
    info.name = topic;
    if (field == "id") {
      info.topic_id = value;
    } else if (field == "partitions") {
      if (!absl::SimpleAtoi(value, &info.num_partitions) || info.num_partitions < 0) {
        return KafkaError(ErrorCode::kKafkaStorageError,
                          fmt::format("{}: bad partition count '{}' for topic {}",
                                      kTopicRegistryFile, value, topic));
      }
    } else if (field.rfind("config/", 0) == 0) {
      info.configs[field.substr(7)] = value;
    } else {
      SAMSA_LOG(kWarning, "{}: ignoring unknown entry '{}'", kTopicRegistryFile, key);
    }
  }
  return absl::OkStatus();
}

absl::Status TopicRegistry::Store(Env* env, const std::vector<std::string>& log_dirs) {
  ++epoch_;
  Properties props;
  props["epoch"] = std::to_string(epoch_);
  for (const auto& [name, info] : topics_) {
    if (info.memory) continue;
    props[name + "/id"] = info.topic_id;
    props[name + "/partitions"] = std::to_string(info.num_partitions);
    for (const auto& [key, value] : info.configs) props[name + "/config/" + key] = value;
  }
  const std::string text =
      "# samsa topic metadata: what Kafka keeps in ZooKeeper/KRaft (see broker.h)\n" +
      FormatProperties(props);
  for (const std::string& dir : log_dirs) {
    SAMSA_RETURN_IF_ERROR(WriteFileAtomically(env, JoinPath(dir, kTopicRegistryFile), text));
  }
  return absl::OkStatus();
}

const TopicInfo* TopicRegistry::Find(std::string_view name) const {
  auto it = topics_.find(name);
  return it == topics_.end() ? nullptr : &it->second;
}

TopicInfo* TopicRegistry::FindMutable(std::string_view name) {
  auto it = topics_.find(name);
  return it == topics_.end() ? nullptr : &it->second;
}

void TopicRegistry::Put(TopicInfo info) {
  std::string name = info.name;
  topics_[name] = std::move(info);
}

void TopicRegistry::Erase(std::string_view name) {
  auto it = topics_.find(name);
  if (it != topics_.end()) topics_.erase(it);
}

bool IsInternalTopic(std::string_view name) {
  return name == "__consumer_offsets" || name == "__transaction_state";
}

}  // namespace samsa

// Topic ids between the broker's text form and the wire's Uuid.
#include <cstring>
#include <string>
#include <string_view>

#include "absl/strings/escaping.h"
#include "kafka/server/handler.h"

namespace samsa::kafka {

Uuid TopicIdToUuid(std::string_view topic_id) {
  Uuid uuid;
  std::string bytes;
  // absl accepts the unpadded form Kafka prints.
  if (!absl::WebSafeBase64Unescape(std::string(topic_id), &bytes) || bytes.size() != uuid.bytes.size()) {
    return Uuid{};
  }
  std::memcpy(uuid.bytes.data(), bytes.data(), uuid.bytes.size());
  return uuid;
}

std::string UuidToTopicId(const Uuid& uuid) {
  std::string out;
  absl::WebSafeBase64Escape(std::string(reinterpret_cast<const char*>(uuid.bytes.data()), uuid.bytes.size()),
                            &out);
  return out;
}

}  // namespace samsa::kafka

#include "broker/group/consumer_protocol.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "broker/group/protocol_io.h"
#include "util/status_macros.h"

namespace samsa::group {
namespace {

constexpr std::string_view kSubscription = "ConsumerProtocolSubscription";
constexpr std::string_view kAssignment = "ConsumerProtocolAssignment";

absl::StatusOr<int16_t> CheckEncodeVersion(int16_t version, std::string_view message) {
  if (version < 0) {
    return absl::InvalidArgumentError(fmt::format("{}: unsupported version {}", message, version));
  }
  return version > kConsumerProtocolMaxVersion ? kConsumerProtocolMaxVersion : version;
}

absl::Status WriteTopicPartitions(ProtocolWriter& w, const std::vector<TopicPartitions>& tps,
                                  std::string_view what) {
  w.Int32(static_cast<int32_t>(tps.size()));
  for (const TopicPartitions& tp : tps) {
    SAMSA_RETURN_IF_ERROR(CheckStringLength(tp.topic, fmt::format("{} topic", what)));
    w.String(tp.topic);
    w.Int32(static_cast<int32_t>(tp.partitions.size()));
    for (int32_t p : tp.partitions) w.Int32(p);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<TopicPartitions>> ReadTopicPartitions(ProtocolReader& r,
                                                                 std::string_view what) {
  // Each element is at least a 2-byte topic length and a 4-byte count.
  SAMSA_ASSIGN_OR_RETURN(const int32_t n, r.ArrayCount(what, 6));
  std::vector<TopicPartitions> out;
  out.reserve(static_cast<size_t>(n));
  for (int32_t i = 0; i < n; ++i) {
    TopicPartitions tp;
    SAMSA_ASSIGN_OR_RETURN(tp.topic, r.String(fmt::format("{}[{}].topic", what, i)));
    const std::string partitions_what = fmt::format("{}[{}].partitions", what, i);
    SAMSA_ASSIGN_OR_RETURN(const int32_t np, r.ArrayCount(partitions_what, 4));
    tp.partitions.reserve(static_cast<size_t>(np));
    for (int32_t j = 0; j < np; ++j) {
      SAMSA_ASSIGN_OR_RETURN(const int32_t p, r.Int32(partitions_what));
      tp.partitions.push_back(p);
    }
    out.push_back(std::move(tp));
  }
  return out;
}

std::vector<TopicPartition> Flatten(const std::vector<TopicPartitions>& tps) {
  std::vector<TopicPartition> out;
  for (const TopicPartitions& tp : tps) {
    for (int32_t p : tp.partitions) out.push_back({tp.topic, p});
  }
  return out;
}

}  // namespace

std::vector<TopicPartition> Subscription::OwnedPartitionList() const {
  return Flatten(owned_partitions);
}

std::vector<TopicPartition> Assignment::PartitionList() const { return Flatten(partitions); }

std::vector<TopicPartitions> GroupByTopic(const std::vector<TopicPartition>& partitions) {
  std::vector<TopicPartitions> out;
  for (const TopicPartition& tp : partitions) {
    auto it = std::find_if(out.begin(), out.end(),
                           [&](const TopicPartitions& t) { return t.topic == tp.topic; });
    if (it == out.end()) it = out.insert(out.end(), TopicPartitions{tp.topic, {}});
    it->partitions.push_back(tp.partition);
  }
  return out;
}

absl::StatusOr<std::string> EncodeSubscription(const Subscription& s, int16_t version) {
  SAMSA_ASSIGN_OR_RETURN(version, CheckEncodeVersion(version, kSubscription));
  ProtocolWriter w;
  w.Int16(version);
  w.Int32(static_cast<int32_t>(s.topics.size()));
  for (const std::string& topic : s.topics) {
    SAMSA_RETURN_IF_ERROR(CheckStringLength(topic, "subscription topic"));
    w.String(topic);
  }
  w.NullableBytes(s.user_data);
  if (version >= 1) SAMSA_RETURN_IF_ERROR(WriteTopicPartitions(w, s.owned_partitions, "owned"));
  if (version >= 2) w.Int32(s.generation_id);
  if (version >= 3) {
    if (s.rack_id) SAMSA_RETURN_IF_ERROR(CheckStringLength(*s.rack_id, "rack id"));
    w.NullableString(s.rack_id);
  }
  return std::move(w).Finish();
}

absl::StatusOr<Subscription> DecodeSubscription(std::string_view bytes) {
  ProtocolReader r(bytes, kSubscription);
  SAMSA_ASSIGN_OR_RETURN(const int16_t version, r.Int16("version"));
  if (version < 0) return r.Bad(0, fmt::format("unsupported version {}", version));
  Subscription s;
  SAMSA_ASSIGN_OR_RETURN(const int32_t n, r.ArrayCount("topics", 2));
  s.topics.reserve(static_cast<size_t>(n));
  for (int32_t i = 0; i < n; ++i) {
    SAMSA_ASSIGN_OR_RETURN(std::string topic, r.String("topics"));
    s.topics.push_back(std::move(topic));
  }
  SAMSA_ASSIGN_OR_RETURN(s.user_data, r.NullableBytes("user_data"));
  if (version >= 1) {
    SAMSA_ASSIGN_OR_RETURN(s.owned_partitions, ReadTopicPartitions(r, "owned_partitions"));
  }
  if (version >= 2) {
    SAMSA_ASSIGN_OR_RETURN(s.generation_id, r.Int32("generation_id"));
  }
  if (version >= 3) {
    SAMSA_ASSIGN_OR_RETURN(s.rack_id, r.NullableString("rack_id"));
  }
  return s;
}

absl::StatusOr<std::string> EncodeAssignment(const Assignment& a, int16_t version) {
  SAMSA_ASSIGN_OR_RETURN(version, CheckEncodeVersion(version, kAssignment));
  ProtocolWriter w;
  w.Int16(version);
  SAMSA_RETURN_IF_ERROR(WriteTopicPartitions(w, a.partitions, "assigned"));
  w.NullableBytes(a.user_data);
  return std::move(w).Finish();
}

absl::StatusOr<Assignment> DecodeAssignment(std::string_view bytes) {
  ProtocolReader r(bytes, kAssignment);
  SAMSA_ASSIGN_OR_RETURN(const int16_t version, r.Int16("version"));
  if (version < 0) return r.Bad(0, fmt::format("unsupported version {}", version));
  Assignment a;
  SAMSA_ASSIGN_OR_RETURN(a.partitions, ReadTopicPartitions(r, "assigned_partitions"));
  SAMSA_ASSIGN_OR_RETURN(a.user_data, r.NullableBytes("user_data"));
  return a;
}

absl::StatusOr<int16_t> ConsumerProtocolVersion(std::string_view bytes) {
  ProtocolReader r(bytes, "ConsumerProtocol");
  return r.Int16("version");
}

}  // namespace samsa::group

// The generated codec: every message round-trips at every version; versions,
// nullability, ignorable fields and tagged fields behave as Kafka's schema
// README says; hostile lengths are clean errors.
#include <cstdint>
#include <string>
#include <string_view>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "kafka/messages/messages.h"
#include "kafka/messages/testing.h"
#include "samsa/errors.h"

namespace samsa::kafka {
namespace {

using testing::AllMessageTypes;
using testing::MessageType;

std::string Encode(const auto& message, int16_t version, absl::Status* status = nullptr) {
  Writer w;
  message.Write(w, version);
  if (status != nullptr) *status = w.status();
  return w.Release();
}

template <typename T>
absl::Status Decode(std::string_view bytes, int16_t version, T* out) {
  Reader r(bytes.data(), bytes.size());
  absl::Status s = out->Read(r, version);
  if (s.ok() && !r.empty()) return absl::InternalError("trailing bytes");
  return s;
}

TEST_CASE("every message round-trips at every valid version with every field set", "[kafka][codec]") {
  int checked = 0;
  for (const MessageType& type : AllMessageTypes()) {
    for (int16_t v = type.min_version; v <= type.max_version; ++v) {
      for (uint32_t seed = 0; seed < 4; ++seed) {
        const absl::Status s = type.round_trip(v, seed);
        INFO(type.name << " v" << v << " seed " << seed);
        REQUIRE(s.ok());
        ++checked;
      }
    }
  }
  // 27 APIs x (request + response) + 2 headers, each at all its versions.
  CHECK(AllMessageTypes().size() == 56);
  CHECK(checked > 56 * 4 * 3);
}

TEST_CASE("a populated message is not the default one, so round trips prove something", "[kafka][codec]") {
  for (const MessageType& type : AllMessageTypes()) {
    for (int16_t v = type.min_version; v <= type.max_version; ++v) {
      // The populated encoding differs between seeds: fields really carry values.
      absl::StatusOr<std::string> a = type.populated_bytes(v, 0);
      absl::StatusOr<std::string> b = type.populated_bytes(v, 5);
      REQUIRE(a.ok());
      REQUIRE(b.ok());
      INFO(type.name << " v" << v);
      if (a->size() > 1) CHECK(*a != *b);
    }
  }
}

TEST_CASE("the API table lists every API samsa serves with Kafka's versions", "[kafka][codec]") {
  struct Expect {
    ApiKey key;
    int16_t min, max, flexible;
  };
  const Expect expected[] = {
      {ApiKey::kProduce, 0, 11, 9},          {ApiKey::kFetch, 0, 17, 12},
      {ApiKey::kListOffsets, 0, 10, 6},      {ApiKey::kMetadata, 0, 12, 9},
      {ApiKey::kOffsetCommit, 0, 9, 8},      {ApiKey::kOffsetFetch, 0, 9, 6},
      {ApiKey::kFindCoordinator, 0, 6, 3},   {ApiKey::kJoinGroup, 0, 9, 6},
      {ApiKey::kHeartbeat, 0, 4, 4},         {ApiKey::kLeaveGroup, 0, 5, 4},
      {ApiKey::kSyncGroup, 0, 5, 4},         {ApiKey::kDescribeGroups, 0, 5, 5},
      {ApiKey::kListGroups, 0, 5, 3},        {ApiKey::kSaslHandshake, 0, 1, -1},
      {ApiKey::kApiVersions, 0, 4, 3},       {ApiKey::kCreateTopics, 0, 7, 5},
      {ApiKey::kDeleteTopics, 0, 6, 4},      {ApiKey::kDeleteRecords, 0, 2, 2},
      {ApiKey::kInitProducerId, 0, 5, 2},    {ApiKey::kOffsetForLeaderEpoch, 0, 4, 4},
      {ApiKey::kDescribeConfigs, 0, 4, 4},   {ApiKey::kAlterConfigs, 0, 2, 2},
      {ApiKey::kSaslAuthenticate, 0, 2, 2},  {ApiKey::kCreatePartitions, 0, 3, 2},
      {ApiKey::kDeleteGroups, 0, 2, 2},      {ApiKey::kIncrementalAlterConfigs, 0, 1, 1},
      {ApiKey::kDescribeCluster, 0, 1, 0},
  };
  CHECK(AllApis().size() == std::size(expected));
  for (const Expect& e : expected) {
    const ApiInfo* api = FindApi(static_cast<int16_t>(e.key));
    REQUIRE(api != nullptr);
    INFO(api->name);
    CHECK(api->min_version == e.min);
    CHECK(api->max_version == e.max);
    CHECK(api->first_flexible_version == e.flexible);
  }
  CHECK(static_cast<int16_t>(ApiKey::kDescribeCluster) == 60);
  CHECK(static_cast<int16_t>(ApiKey::kIncrementalAlterConfigs) == 44);
  CHECK(FindApi(1000) == nullptr);
  // ListOffsetsRequest.json says "latestVersionUnstable": false; no API here is unstable.
  for (const ApiInfo& api : AllApis()) CHECK_FALSE(api.latest_version_unstable);
}

TEST_CASE("header versions follow flexibility, and ApiVersions responses always use header v0", "[kafka][codec]") {
  const ApiInfo& fetch = *FindApi(static_cast<int16_t>(ApiKey::kFetch));
  CHECK(RequestHeaderVersion(fetch, 11) == 1);
  CHECK(RequestHeaderVersion(fetch, 12) == 2);
  CHECK(ResponseHeaderVersion(fetch, 11) == 0);
  CHECK(ResponseHeaderVersion(fetch, 12) == 1);
  const ApiInfo& api_versions = *FindApi(static_cast<int16_t>(ApiKey::kApiVersions));
  CHECK(RequestHeaderVersion(api_versions, 3) == 2);
  CHECK(ResponseHeaderVersion(api_versions, 3) == 0);
  const ApiInfo& handshake = *FindApi(static_cast<int16_t>(ApiKey::kSaslHandshake));
  CHECK(RequestHeaderVersion(handshake, 1) == 1);
  CHECK(ResponseHeaderVersion(handshake, 1) == 0);
}

TEST_CASE("defaults come from the schema, including null, hex and negative values", "[kafka][codec]") {
  FetchRequest fetch;
  CHECK(fetch.replica_id == -1);
  CHECK(fetch.max_bytes == 0x7fffffff);
  CHECK(fetch.session_epoch == -1);
  CHECK_FALSE(fetch.cluster_id.has_value());  // "default": "null"
  CHECK(fetch.rack_id.empty());
  MetadataRequest metadata;
  CHECK(metadata.allow_auto_topic_creation);  // "default": "true"
  REQUIRE(metadata.topics.has_value());       // nullable array, default empty
  CHECK(metadata.topics->empty());
  ProduceRequest produce;
  CHECK_FALSE(produce.transactional_id.has_value());
  ApiVersionsResponse api_versions;
  CHECK(api_versions.finalized_features_epoch == -1);
  CHECK(FetchRequest::FetchPartition().current_leader_epoch == -1);
}

TEST_CASE("a non-ignorable field with a non-default value at a version without it is a write error",
          "[kafka][codec][ignorable]") {
  FetchRequest fetch;
  fetch.forgotten_topics_data.emplace_back();  // versions 7+, not ignorable
  absl::Status status;
  Encode(fetch, 6, &status);
  CHECK(ErrorCodeOf(status) == ErrorCode::kInvalidRequest);
  CHECK_THAT(std::string(status.message()), Catch::Contains("FetchRequest v6: field 'forgotten_topics_data'"));
  Encode(fetch, 7, &status);
  CHECK(status.ok());

  MetadataRequest metadata;
  metadata.allow_auto_topic_creation = false;  // 4+, default true, not ignorable
  Encode(metadata, 3, &status);
  CHECK_FALSE(status.ok());
  CHECK_THAT(std::string(status.message()), Catch::Contains("allow_auto_topic_creation"));
  metadata.allow_auto_topic_creation = true;
  Encode(metadata, 3, &status);
  CHECK(status.ok());

  // Nested: LastFetchedEpoch (12+) inside topics[].partitions[].
  FetchRequest nested;
  nested.topics.emplace_back().partitions.emplace_back().last_fetched_epoch = 4;
  Encode(nested, 11, &status);
  CHECK_THAT(std::string(status.message()), Catch::Contains("last_fetched_epoch"));
}

TEST_CASE("an ignorable field with a non-default value is silently dropped at older versions",
          "[kafka][codec][ignorable]") {
  FetchRequest fetch;
  fetch.max_bytes = 1000;       // 3+, ignorable
  fetch.isolation_level = 1;    // 4+, ignorable
  fetch.rack_id = "rack";       // 11+, ignorable
  absl::Status status;
  const std::string v2 = Encode(fetch, 2, &status);
  REQUIRE(status.ok());
  CHECK(v2 == Encode(FetchRequest(), 2));
  FetchRequest back;
  REQUIRE(Decode(v2, 2, &back).ok());
  CHECK(back.max_bytes == 0x7fffffff);
  CHECK(back.rack_id.empty());
}

TEST_CASE("null is written and read only where nullableVersions allow it", "[kafka][codec][nullable]") {
  MetadataRequest all_topics;
  all_topics.topics.reset();
  absl::Status status;
  const std::string v1 = Encode(all_topics, 1, &status);
  REQUIRE(status.ok());
  CHECK(v1 == std::string("\xff\xff\xff\xff", 4));
  Encode(all_topics, 0, &status);  // v0 has no null array
  CHECK_THAT(std::string(status.message()), Catch::Contains("MetadataRequest v0: field 'topics': null"));

  MetadataRequest back;
  absl::Status read = Decode(v1, 0, &back);  // a null array where v0 forbids it
  CHECK(ErrorCodeOf(read) == ErrorCode::kInvalidRequest);
  CHECK_THAT(std::string(read.message()), Catch::Contains("field 'topics': null is not allowed"));
  REQUIRE(Decode(v1, 1, &back).ok());
  CHECK_FALSE(back.topics.has_value());

  // A null non-nullable string.
  const std::string null_group("\xff\xff", 2);
  HeartbeatRequest heartbeat;
  read = Decode(null_group + std::string(10, '\0'), 0, &heartbeat);
  CHECK_THAT(std::string(read.message()), Catch::Contains("HeartbeatRequest v0: field 'group_id': null"));
}

TEST_CASE("unknown tagged fields are kept on read and written back in tag order", "[kafka][codec][tagged]") {
  // HeartbeatRequest v4: group_id "g", generation 1, member "m", instance null, tags.
  const std::string prefix = std::string("\x02g", 2) + std::string("\x00\x00\x00\x01", 4) +
                             std::string("\x02m", 2) + std::string("\x00", 1);
  const std::string tags = std::string("\x02", 1) +             // two tagged fields
                           std::string("\x05\x02\xaa\xbb", 4) +  // tag 5, 2 bytes
                           std::string("\x07\x00", 2);           // tag 7, empty
  HeartbeatRequest heartbeat;
  REQUIRE(Decode(prefix + tags, 4, &heartbeat).ok());
  CHECK(heartbeat.group_id == "g");
  CHECK(heartbeat.generation_id == 1);
  CHECK_FALSE(heartbeat.group_instance_id.has_value());
  REQUIRE(heartbeat.unknown_tagged_fields.size() == 2);
  CHECK(heartbeat.unknown_tagged_fields[0].tag == 5);
  CHECK(heartbeat.unknown_tagged_fields[0].data == "\xaa\xbb");
  CHECK(Encode(heartbeat, 4) == prefix + tags);

  // Known tags interleave with unknown ones by tag number.
  ApiVersionsResponse response;
  response.finalized_features_epoch = 3;  // tag 1
  response.unknown_tagged_fields.push_back({0, "x"});
  response.unknown_tagged_fields.push_back({9, "y"});
  const std::string bytes = Encode(response, 3);
  const std::string expected_tags = std::string("\x03", 1) + std::string("\x00\x01x", 3) +
                                    std::string("\x01\x08\x00\x00\x00\x00\x00\x00\x00\x03", 10) +
                                    std::string("\x09\x01y", 3);
  CHECK(bytes.substr(bytes.size() - expected_tags.size()) == expected_tags);
}

TEST_CASE("a tagged field whose size disagrees with its value is an error", "[kafka][codec][tagged]") {
  // ApiVersionsResponse v3 with FinalizedFeaturesEpoch (tag 1) given 9 bytes.
  const std::string bytes = std::string("\x00\x00", 2) + std::string("\x01", 1) + std::string(4, '\0') +
                            std::string("\x01\x01\x09", 3) + std::string(9, '\x01');
  ApiVersionsResponse response;
  const absl::Status s = Decode(bytes, 3, &response);
  CHECK_THAT(std::string(s.message()), Catch::Contains("finalized_features_epoch"));
}

TEST_CASE("errors name the message, version and field", "[kafka][codec][errors]") {
  FetchRequest fetch;
  fetch.topics.emplace_back().topic = "t";
  const std::string bytes = Encode(fetch, 11);
  // replica_id .. session_epoch = 25 bytes, then the topics count.
  FetchRequest back;
  absl::Status s = Decode(std::string_view(bytes).substr(0, 27), 11, &back);
  CHECK(std::string(s.message()) == "INVALID_REQUEST: FetchRequest v11: field 'topics': truncated");
  // Cut inside the first topic's partitions count.
  s = Decode(std::string_view(bytes).substr(0, 25 + 4 + 3 + 3), 11, &back);
  CHECK(std::string(s.message()) == "INVALID_REQUEST: FetchRequest v11: field 'topics[0].partitions': truncated");
  s = Decode(bytes, 18, &back);
  CHECK(ErrorCodeOf(s) == ErrorCode::kUnsupportedVersion);
}

TEST_CASE("a huge count in a small frame is a clean error, not a huge allocation", "[kafka][codec][hostile]") {
  // ApiVersionsResponse v0: error_code, then api_keys count 2^31-1.
  std::string bytes = std::string("\x00\x00", 2) + std::string("\x7f\xff\xff\xff", 4) + std::string(14, '\x01');
  ApiVersionsResponse response;
  absl::Status s = Decode(bytes, 0, &response);
  CHECK_THAT(std::string(s.message()), Catch::Contains("field 'api_keys': array count exceeds the bytes remaining"));
  // The same in compact form (uvarint 0xffffffff is too big for a length).
  bytes = std::string("\x00\x00", 2) + std::string("\xff\xff\xff\xff\x0f", 5) + std::string(14, '\x01');
  s = Decode(bytes, 3, &response);
  CHECK_FALSE(s.ok());
  // A string length beyond the frame.
  HeartbeatRequest heartbeat;
  s = Decode(std::string("\x7f\xff", 2) + "abc", 0, &heartbeat);
  CHECK_THAT(std::string(s.message()), Catch::Contains("field 'group_id': truncated"));
  // Bytes length beyond the frame, negative length, over-long varint.
  SyncGroupRequest sync;
  s = Decode(std::string("\x00\x01g\x00\x00\x00\x01\x00\x01m\x00\x00\x00\x01\x00\x01x\x7f\x00\x00\x00", 21), 0, &sync);
  CHECK_THAT(std::string(s.message()), Catch::Contains("assignments[0].assignment': truncated"));
  s = Decode(std::string("\xff\xfe", 2), 0, &heartbeat);
  CHECK_THAT(std::string(s.message()), Catch::Contains("negative length"));
  s = Decode(std::string("\xff\xff\xff\xff\xff\x01", 6), 4, &heartbeat);
  CHECK_THAT(std::string(s.message()), Catch::Contains("varint is too long"));
}

TEST_CASE("records are raw nullable bytes", "[kafka][codec]") {
  ProduceRequest produce;
  auto& partition = produce.topic_data.emplace_back().partition_data.emplace_back();
  partition.index = 3;
  CHECK_FALSE(partition.records.has_value());  // records default to null
  partition.records = std::string("\x00\x01\x02", 3);
  CHECK_FALSE(partition.records->is_view());  // built: owns its bytes
  // Decoded records are a view into the bytes read (no copy), valid while
  // those are.
  const std::string encoded = Encode(produce, 9);
  ProduceRequest back;
  REQUIRE(Decode(encoded, 9, &back).ok());
  CHECK(back == produce);
  const std::optional<BytesRef>& records = back.topic_data[0].partition_data[0].records;
  REQUIRE(records.has_value());
  CHECK(records->is_view());
  CHECK(records->data() >= encoded.data());
  CHECK(records->data() + records->size() <= encoded.data() + encoded.size());
  // A copy of a built message owns its own bytes.
  ProduceRequest copy = produce;
  produce.topic_data[0].partition_data[0].records = std::string("zz");
  CHECK(copy.topic_data[0].partition_data[0].records->view() == std::string_view("\x00\x01\x02", 3));
}

TEST_CASE("the writer can splice externally owned bytes for scatter I/O", "[kafka][codec][zerocopy]") {
  const std::string records = "RECORDS";
  Writer w;
  w.WriteInt32(7);
  w.WriteInt32(static_cast<int32_t>(records.size()));
  w.AppendExternal(absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(records.data()), records.size()));
  w.WriteInt16(1);
  CHECK(w.size() == 4 + 4 + 7 + 2);
  CHECK(w.segments().size() == 3);
  CHECK(w.segments()[1].data() == reinterpret_cast<const uint8_t*>(records.data()));
  CHECK(w.Release() == std::string("\x00\x00\x00\x07\x00\x00\x00\x07RECORDS\x00\x01", 17));
}

}  // namespace
}  // namespace samsa::kafka

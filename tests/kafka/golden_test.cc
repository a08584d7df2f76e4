// Golden bytes derived by hand from the schemas (lib/kafka/schemas/*.json)
// and the Kafka protocol guide's primitive encodings: int16/int32 big-endian;
// STRING = int16 length + bytes, null = -1; COMPACT_STRING / COMPACT_ARRAY =
// unsigned varint (length + 1), null = 0; ARRAY = int32 count, null = -1;
// BYTES = int32 length; flexible versions end every struct with a tagged
// field section (uvarint count, then tag/size/value).
#include <cstdint>
#include <string>

#include <catch2/catch.hpp>

#include "kafka/messages/messages.h"

namespace samsa::kafka {
namespace {

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

template <typename T>
void CheckGolden(const T& message, int16_t version, const std::string& golden) {
  Writer w;
  message.Write(w, version);
  REQUIRE(w.status().ok());
  CHECK(w.Release() == golden);
  T back;
  Reader r(golden.data(), golden.size());
  REQUIRE(back.Read(r, version).ok());
  CHECK(r.empty());
  CHECK(back == message);
}

TEST_CASE("golden: RequestHeader v2 keeps a classic STRING client id and ends with tags", "[kafka][golden]") {
  RequestHeader h;
  h.request_api_key = 18;
  h.request_api_version = 3;
  h.correlation_id = 7;
  h.client_id = "cli";
  CheckGolden(h, 2,
              Bytes({0x00, 0x12,                // request_api_key 18
                     0x00, 0x03,                // request_api_version 3
                     0x00, 0x00, 0x00, 0x07,    // correlation_id 7
                     0x00, 0x03, 'c', 'l', 'i',  // client_id: STRING even in v2 ("flexibleVersions": "none")
                     0x00}));                   // no tagged fields
  h.client_id.reset();
  CheckGolden(h, 1, Bytes({0x00, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x07,
                           0xff, 0xff}));  // client_id null
}

TEST_CASE("golden: ResponseHeader v0 and v1", "[kafka][golden]") {
  ResponseHeader h;
  h.correlation_id = 0x01020304;
  CheckGolden(h, 0, Bytes({0x01, 0x02, 0x03, 0x04}));
  CheckGolden(h, 1, Bytes({0x01, 0x02, 0x03, 0x04, 0x00}));
}

TEST_CASE("golden: ApiVersionsRequest v3 uses compact strings", "[kafka][golden]") {
  ApiVersionsRequest r;
  r.client_software_name = "samsa";
  r.client_software_version = "1.0";
  CheckGolden(r, 3,
              Bytes({0x06, 's', 'a', 'm', 's', 'a',  // COMPACT_STRING: length 5 + 1
                     0x04, '1', '.', '0',            // COMPACT_STRING: length 3 + 1
                     0x00}));                        // no tagged fields
  CheckGolden(ApiVersionsRequest(), 0, "");  // v0 has no fields
}

TEST_CASE("golden: ApiVersionsResponse v0 and v3", "[kafka][golden]") {
  ApiVersionsResponse r;
  r.api_keys.push_back({18, 0, 4, {}});
  CheckGolden(r, 0,
              Bytes({0x00, 0x00,                 // error_code 0
                     0x00, 0x00, 0x00, 0x01,     // api_keys: ARRAY of 1
                     0x00, 0x12,                 //   api_key 18
                     0x00, 0x00,                 //   min_version 0
                     0x00, 0x04}));              //   max_version 4
  r.throttle_time_ms = 100;
  r.finalized_features_epoch = 2;
  CheckGolden(r, 3,
              Bytes({0x00, 0x00,                 // error_code 0
                     0x02,                       // api_keys: COMPACT_ARRAY of 1
                     0x00, 0x12, 0x00, 0x00, 0x00, 0x04,
                     0x00,                       //   entry's tagged fields: none
                     0x00, 0x00, 0x00, 0x64,     // throttle_time_ms 100
                     0x01,                       // one tagged field
                     0x01, 0x08,                 //   tag 1 (FinalizedFeaturesEpoch), 8 bytes
                     0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02}));
}

TEST_CASE("golden: MetadataRequest v1 null topics, v9 compact", "[kafka][golden]") {
  MetadataRequest all;
  all.topics.reset();
  CheckGolden(all, 1, Bytes({0xff, 0xff, 0xff, 0xff}));  // topics: null ARRAY = all topics
  CheckGolden(all, 9, Bytes({0x00,           // topics: null COMPACT_ARRAY
                             0x01,           // allow_auto_topic_creation true (default)
                             0x00,           // include_cluster_authorized_operations false
                             0x00,           // include_topic_authorized_operations false
                             0x00}));        // no tagged fields
  MetadataRequest one;
  one.topics->push_back({});
  one.topics->back().name = "t";
  one.include_topic_authorized_operations = true;
  CheckGolden(one, 9, Bytes({0x02,           // topics: COMPACT_ARRAY of 1
                             0x02, 't',      //   name "t" (topic_id is v10+)
                             0x00,           //   topic's tagged fields
                             0x01, 0x00, 0x01,
                             0x00}));
}

TEST_CASE("golden: ProduceRequest v3 with raw records", "[kafka][golden]") {
  ProduceRequest p;
  p.acks = 1;
  p.timeout_ms = 30000;
  auto& topic = p.topic_data.emplace_back();
  topic.name = "t";
  auto& partition = topic.partition_data.emplace_back();
  partition.index = 2;
  partition.records = "abc";
  CheckGolden(p, 3,
              Bytes({0xff, 0xff,                // transactional_id null (default "null")
                     0x00, 0x01,                // acks 1
                     0x00, 0x00, 0x75, 0x30,    // timeout_ms 30000
                     0x00, 0x00, 0x00, 0x01,    // topic_data: 1 topic
                     0x00, 0x01, 't',           //   name "t"
                     0x00, 0x00, 0x00, 0x01,    //   partition_data: 1
                     0x00, 0x00, 0x00, 0x02,    //     index 2
                     0x00, 0x00, 0x00, 0x03,    //     records: BYTES of 3
                     'a', 'b', 'c'}));
}

TEST_CASE("golden: FetchRequest v12 with a tagged cluster id", "[kafka][golden]") {
  FetchRequest f;
  f.cluster_id = "c";
  f.max_wait_ms = 500;
  f.min_bytes = 1;
  auto& topic = f.topics.emplace_back();
  topic.topic = "t";
  auto& partition = topic.partitions.emplace_back();
  partition.partition = 0;
  partition.fetch_offset = 5;
  partition.partition_max_bytes = 1024;
  CheckGolden(f, 12,
              Bytes({0xff, 0xff, 0xff, 0xff,    // replica_id -1
                     0x00, 0x00, 0x01, 0xf4,    // max_wait_ms 500
                     0x00, 0x00, 0x00, 0x01,    // min_bytes 1
                     0x7f, 0xff, 0xff, 0xff,    // max_bytes default 0x7fffffff
                     0x00,                      // isolation_level 0
                     0x00, 0x00, 0x00, 0x00,    // session_id 0
                     0xff, 0xff, 0xff, 0xff,    // session_epoch -1
                     0x02,                      // topics: COMPACT_ARRAY of 1
                     0x02, 't',                 //   topic "t"
                     0x02,                      //   partitions: 1
                     0x00, 0x00, 0x00, 0x00,    //     partition 0
                     0xff, 0xff, 0xff, 0xff,    //     current_leader_epoch -1
                     0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,  // fetch_offset 5
                     0xff, 0xff, 0xff, 0xff,    //     last_fetched_epoch -1
                     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // log_start_offset -1
                     0x00, 0x00, 0x04, 0x00,    //     partition_max_bytes 1024
                     0x00,                      //     partition's tagged fields
                     0x00,                      //   topic's tagged fields
                     0x01,                      // forgotten_topics_data: empty
                     0x01,                      // rack_id ""
                     0x01,                      // one tagged field
                     0x00, 0x02, 0x02, 'c'}));  //   tag 0 (ClusterId), 2 bytes: COMPACT_STRING "c"
}

}  // namespace
}  // namespace samsa::kafka

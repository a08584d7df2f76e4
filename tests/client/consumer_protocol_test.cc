// ConsumerProtocol codec: bytes laid out by hand from Kafka's schemas
// (ConsumerProtocolSubscription.json / ConsumerProtocolAssignment.json, non-
// flexible, big-endian), version handling as Kafka's ConsumerProtocol, named
// malformed inputs, and a seeded mutation fuzz.
#include "broker/group/consumer_protocol.h"

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "fuzz_mutate.h"

#include "client/group/sticky_assignor.h"

namespace samsa::client {
namespace {

// Bytes from a list of small ints (each one byte).
std::string B(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

TEST_CASE("a v0 subscription is version, topics and nullable user data", "[consumer_protocol]") {
  Subscription s;
  s.topics = {"t"};
  const std::string want = B({0, 0,                      // version 0
                              0, 0, 0, 1,                // 1 topic
                              0, 1, 't',                 // "t"
                              0xff, 0xff, 0xff, 0xff});  // user_data null
  auto bytes = EncodeSubscription(s, 0);
  REQUIRE(bytes.ok());
  CHECK(*bytes == want);
  auto back = DecodeSubscription(want);
  REQUIRE(back.ok());
  CHECK(back->topics == std::vector<std::string>{"t"});
  CHECK_FALSE(back->user_data.has_value());
  CHECK(back->owned_partitions.empty());
  CHECK(back->generation_id == -1);
  CHECK_FALSE(back->rack_id.has_value());
}

TEST_CASE("a v3 subscription carries owned partitions, generation and rack",
          "[consumer_protocol]") {
  Subscription s;
  s.topics = {"foo", "bar"};
  s.user_data = B({1, 2});
  s.owned_partitions = {{"foo", {0, 2}}};
  s.generation_id = 7;
  s.rack_id = "r1";
  const std::string want =
      B({0, 3,                                                                          // version 3
         0, 0, 0,   2,   0,   3, 'f', 'o', 'o', 0, 3, 'b', 'a', 'r', 0, 0, 0, 2, 1, 2,  // user_data
         0, 0, 0,   1,                         // 1 owned topic
         0, 3, 'f', 'o', 'o', 0, 0,   0,   2,  // "foo", 2 partitions
         0, 0, 0,   0,   0,   0, 0,   2,       // 0, 2
         0, 0, 0,   7,                         // generation 7
         0, 2, 'r', '1'});                     // rack "r1"
  auto bytes = EncodeSubscription(s, 3);
  REQUIRE(bytes.ok());
  CHECK(*bytes == want);
  auto back = DecodeSubscription(want);
  REQUIRE(back.ok());
  CHECK(*back == s);
}

TEST_CASE("encoding at an older version drops the fields it lacks", "[consumer_protocol]") {
  Subscription s;
  s.topics = {"a"};
  s.owned_partitions = {{"a", {1}}};
  s.generation_id = 4;
  s.rack_id = "r";
  for (int16_t version = 0; version <= 3; ++version) {
    INFO("version " << version);
    auto bytes = EncodeSubscription(s, version);
    REQUIRE(bytes.ok());
    CHECK(*ConsumerProtocolVersion(*bytes) == version);
    auto back = DecodeSubscription(*bytes);
    REQUIRE(back.ok());
    CHECK(back->owned_partitions.size() == (version >= 1 ? 1u : 0u));
    CHECK(back->generation_id == (version >= 2 ? 4 : -1));
    CHECK(back->rack_id.has_value() == (version >= 3));
  }
  // v1: version, topics, user data, owned.
  CHECK(*EncodeSubscription(s, 1) ==
        B({0, 1, 0, 0, 0, 1, 0,   1, 'a', 0xff, 0xff, 0xff, 0xff,  //
           0, 0, 0, 1, 0, 1, 'a', 0, 0,   0,    1,    0,    0,    0, 1}));
}

TEST_CASE("a version above 3 is written as 3 and read with the v3 layout", "[consumer_protocol]") {
  Subscription s;
  s.topics = {"a"};
  s.generation_id = 9;
  auto bytes = EncodeSubscription(s, 7);
  REQUIRE(bytes.ok());
  CHECK(*ConsumerProtocolVersion(*bytes) == 3);

  // A future v4 subscription: the v3 fields, then a field we do not know.
  std::string v4 = *bytes;
  v4[1] = 4;
  v4 += B({0, 0, 0, 42, 0x7f});
  auto back = DecodeSubscription(v4);
  REQUIRE(back.ok());
  CHECK(back->topics == std::vector<std::string>{"a"});
  CHECK(back->generation_id == 9);

  std::string assignment_v9 = B({0, 9, 0, 0, 0, 0, 0, 0, 0, 1, 'x', 1, 2, 3});
  auto a = DecodeAssignment(assignment_v9);
  REQUIRE(a.ok());
  CHECK(a->partitions.empty());
  CHECK(a->user_data == std::optional<std::string>("x"));
}

TEST_CASE("an assignment is version, topic partitions and user data", "[consumer_protocol]") {
  Assignment a;
  a.partitions = {{"t", {3, 1}}, {"u", {}}};
  a.user_data = "";
  const std::string want = B({0, 1,          // version 1
                              0, 0, 0,   2,  // 2 topics
                              0, 1, 't', 0, 0,   0, 2, 0, 0, 0, 3, 0, 0,
                              0, 1, 0,   1, 'u', 0, 0, 0, 0, 0, 0, 0, 0});  // empty user data
  auto bytes = EncodeAssignment(a, 1);
  REQUIRE(bytes.ok());
  CHECK(*bytes == want);
  auto back = DecodeAssignment(want);
  REQUIRE(back.ok());
  CHECK(*back == a);
  CHECK(back->PartitionList() == std::vector<TopicPartition>{{"t", 3}, {"t", 1}});
}

TEST_CASE("malformed consumer protocol bytes give InvalidArgument", "[consumer_protocol]") {
  struct Case {
    const char* name;
    std::string bytes;
    bool subscription;
  };
  const std::vector<Case> cases = {
      {"Empty", "", true},
      {"OneByte", B({0}), true},
      {"NegativeVersion", B({0xff, 0xff, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}), true},
      {"NullTopicArray", B({0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}), true},
      {"NullTopicName", B({0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}), true},
      {"HugeTopicCount", B({0, 0, 0x7f, 0xff, 0xff, 0xff, 0, 1, 'a'}), true},
      {"TopicNameTooLong", B({0, 0, 0, 0, 0, 1, 0, 9, 'a', 'b'}), true},
      {"UserDataTooLong", B({0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 1}), true},
      {"MissingUserData", B({0, 0, 0, 0, 0, 0}), true},
      {"V1MissingOwned", B({0, 1, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}), true},
      {"V2MissingGeneration", B({0, 2, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0}),
       true},
      {"V3MissingRack", B({0, 3, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 1}),
       true},
      {"AssignmentNullPartitions",
       B({0, 0, 0, 0, 0, 1, 0, 1, 't', 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}), false},
      {"AssignmentTruncatedPartition", B({0, 0, 0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 1, 0, 0}), false},
      {"AssignmentNegativeVersion", B({0x80, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}), false},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    const absl::Status status =
        c.subscription ? DecodeSubscription(c.bytes).status() : DecodeAssignment(c.bytes).status();
    CHECK(status.code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(status.message()),
               Catch::Contains(c.subscription ? "ConsumerProtocolSubscription"
                                              : "ConsumerProtocolAssignment"));
  }
  CHECK(EncodeSubscription(Subscription{}, -1).status().code() ==
        absl::StatusCode::kInvalidArgument);
  Subscription long_topic;
  long_topic.topics = {std::string(40000, 'x')};
  CHECK(EncodeSubscription(long_topic).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("every truncation of a valid subscription is rejected", "[consumer_protocol]") {
  Subscription s;
  s.topics = {"alpha", "beta"};
  s.user_data = "ud";
  s.owned_partitions = {{"alpha", {0, 5}}, {"beta", {1}}};
  s.generation_id = 3;
  s.rack_id = "rack";
  const std::string full = *EncodeSubscription(s, 3);
  for (size_t n = 0; n < full.size(); ++n) {
    INFO("length " << n);
    CHECK_FALSE(DecodeSubscription(std::string_view(full).substr(0, n)).ok());
  }
  CHECK(DecodeSubscription(full).ok());
}

TEST_CASE("sticky assignor user data is Kafka's STICKY_ASSIGNOR_USER_DATA_V1",
          "[consumer_protocol][sticky]") {
  StickyAssignorUserData data{{{"t", {0, 2}}}, 5};
  const std::string want = B({0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 2,  //
                              0, 0, 0, 5});
  CHECK(EncodeStickyAssignorUserData(data) == want);
  auto back = DecodeStickyAssignorUserData(want);
  REQUIRE(back.ok());
  CHECK(back->previous_assignment == data.previous_assignment);
  CHECK(back->generation == std::optional<int32_t>(5));

  // Version 0 (no generation) is still read.
  auto v0 = DecodeStickyAssignorUserData(want.substr(0, want.size() - 4));
  REQUIRE(v0.ok());
  CHECK(v0->previous_assignment == data.previous_assignment);
  CHECK_FALSE(v0->generation.has_value());

  CHECK_FALSE(DecodeStickyAssignorUserData(B({0, 0, 0, 1, 0})).ok());
  // Unparseable user data means "owned nothing, default generation", as Kafka.
  StickyAssignor assignor;
  Subscription s;
  s.topics = {"t"};
  s.user_data = B({0, 0, 0, 9});
  const auto md = assignor.GetMemberData(s);
  CHECK(md.partitions.empty());
  CHECK(md.generation == std::optional<int32_t>(-1));
}

// Random structured values, encoded, then mutated: decoding never crashes; a
// successful decode re-encodes at its version to bytes that decode the same.
TEST_CASE("mutated consumer protocol bytes never crash the decoder", "[consumer_protocol][fuzz]") {
  const uint64_t seed = samsa::testing::FuzzSeed(20261125);
  const int iterations = samsa::testing::FuzzIterations(3000);
  std::mt19937_64 rng(seed);
  const auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  const auto random_string = [&](int max) {
    std::string s(static_cast<size_t>(pick(max + 1)), '\0');
    for (char& c : s) c = static_cast<char>(pick(256));
    return s;
  };

  int decoded_ok = 0;
  for (int it = 0; it < iterations; ++it) {
    INFO("seed " << seed << " (SAMSA_FUZZ_SEED), iteration " << it);
    const int16_t version = static_cast<int16_t>(pick(4));
    const bool subscription = pick(2) == 0;
    std::string bytes;
    if (subscription) {
      Subscription s;
      for (int i = pick(4); i > 0; --i) s.topics.push_back(random_string(6));
      if (pick(2)) s.user_data = random_string(8);
      for (int i = pick(3); i > 0; --i)
        s.owned_partitions.push_back({random_string(4), {pick(9), pick(9)}});
      s.generation_id = pick(100) - 1;
      if (pick(2)) s.rack_id = random_string(3);
      bytes = *EncodeSubscription(s, version);
    } else {
      Assignment a;
      for (int i = pick(3); i > 0; --i) a.partitions.push_back({random_string(4), {pick(9)}});
      if (pick(2)) a.user_data = random_string(8);
      bytes = *EncodeAssignment(a, version);
    }
    for (int m = 1 + pick(4); m > 0; --m) {
      switch (pick(4)) {
        case 0:  // flip a byte
          if (!bytes.empty())
            bytes[static_cast<size_t>(pick(static_cast<int>(bytes.size())))] ^=
                static_cast<char>(1 + pick(255));
          break;
        case 1:  // truncate
          bytes.resize(static_cast<size_t>(pick(static_cast<int>(bytes.size()) + 1)));
          break;
        case 2:  // set a byte to 0xff (turns lengths negative)
          if (!bytes.empty())
            bytes[static_cast<size_t>(pick(static_cast<int>(bytes.size())))] = '\xff';
          break;
        default:  // insert a random byte
          bytes.insert(bytes.begin() + pick(static_cast<int>(bytes.size()) + 1),
                       static_cast<char>(pick(256)));
      }
    }
    auto v = ConsumerProtocolVersion(bytes);
    if (subscription) {
      auto s = DecodeSubscription(bytes);
      if (!s.ok()) continue;
      ++decoded_ok;
      REQUIRE(v.ok());
      auto again = EncodeSubscription(*s, *v);
      REQUIRE(again.ok());
      auto s2 = DecodeSubscription(*again);
      REQUIRE(s2.ok());
      CHECK(*s2 == *s);
    } else {
      auto a = DecodeAssignment(bytes);
      if (!a.ok()) continue;
      ++decoded_ok;
      auto again = EncodeAssignment(*a, *v);
      REQUIRE(again.ok());
      auto a2 = DecodeAssignment(*again);
      REQUIRE(a2.ok());
      CHECK(*a2 == *a);
    }
  }
  // The mutations leave some inputs decodable, so both paths above ran.
  CHECK(decoded_ok > 0);
  CHECK(decoded_ok < iterations);
}

}  // namespace
}  // namespace samsa::client

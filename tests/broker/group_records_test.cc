// __consumer_offsets record codecs and the group -> partition mapping.
//
// Expected bytes come from outside samsa: the "kafka-python" vectors were
// produced with kafka-python's own primitive encoders
// (kafka.protocol.types.Schema of Int16/Int32/Int64/String/Bytes/Array,
// /usr/bin/python3), laid out field by field as the Kafka JSON schemas
// (OffsetCommitKey.json, ...) define each version; the flexible v4 vectors
// are built by hand from the schema and Kafka's compact encoding rules.
#include <random>
#include <string>

#include <catch2/catch.hpp>

#include "broker/group/offsets_records.h"
#include "samsa/errors.h"

namespace samsa::group {
namespace {

std::string Hex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

constexpr int64_t kTs = 1700000000000;  // 0x0000018bcfe56800

TEST_CASE("PartitionForGroup follows Java's String.hashCode and Utils.abs", "[groups][records]") {
  CHECK(JavaStringHashCode("") == 0);
  CHECK(JavaStringHashCode("a") == 97);
  CHECK(JavaStringHashCode("hello") == 99162322);
  CHECK(JavaStringHashCode("polygenelubricants") == INT32_MIN);
  // "ü" is one UTF-16 unit, 0x00FC.
  CHECK(JavaStringHashCode("\xc3\xbc") == 252);
  // U+1F600 is the surrogate pair 0xD83D 0xDE00: 0xD83D*31 + 0xDE00
  // = 55357*31 + 56832.
  CHECK(JavaStringHashCode("\xf0\x9f\x98\x80") == 1772899);
  // Overflow wraps as Java's int does: "Aa" and "BB" collide (2112).
  CHECK(JavaStringHashCode("Aa") == 2112);
  CHECK(JavaStringHashCode("BB") == 2112);

  CHECK(PartitionForGroup("", 50) == 0);
  CHECK(PartitionForGroup("a", 50) == 97 % 50);
  CHECK(PartitionForGroup("hello", 50) == 99162322 % 50);
  // Utils.abs(Integer.MIN_VALUE) = 0 (not Math.abs, which stays negative).
  CHECK(PartitionForGroup("polygenelubricants", 50) == 0);
  CHECK(PartitionForGroup("\xf0\x9f\x98\x80", 50) == 1772899 % 50);
  // Whatever the sign of the hash, the partition is in range.
  for (const char* id : {"my-group", "console-consumer-12345", "\xff\xfe", "x\xe2\x82"}) {
    const int32_t p = PartitionForGroup(id, 50);
    CHECK(p >= 0);
    CHECK(p < 50);
  }
}

TEST_CASE("malformed UTF-8 hashes as U+FFFD, as Java decodes it", "[groups][records]") {
  // A stray continuation byte -> one U+FFFD (65533).
  CHECK(JavaStringHashCode("\x80") == 65533);
  // A truncated 3-byte sequence at the end -> one U+FFFD.
  CHECK(JavaStringHashCode("\xe2\x82") == 65533);
  CHECK(JavaStringHashCode("a\xff") == 97 * 31 + 65533);
}

TEST_CASE("OffsetCommitKey v1 and GroupMetadataKey v2 match Kafka's layout", "[groups][records]") {
  // kafka-python: Schema(version Int16, group String, topic String, partition Int32)
  //   .encode([1, 'my-group', 'orders', 7])
  const std::string offset_key = Hex("0001" "0008" "6d792d67726f7570" "0006" "6f7264657273" "00000007");
  CHECK(EncodeOffsetCommitKey({"my-group", "orders", 7}) == offset_key);
  // kafka-python: Schema(version Int16, group String).encode([2, 'my-group'])
  const std::string group_key = Hex("0002" "0008" "6d792d67726f7570");
  CHECK(EncodeGroupMetadataKey({"my-group"}) == group_key);

  auto k1 = DecodeCoordinatorKey(offset_key);
  REQUIRE(k1.ok());
  CHECK(std::get<OffsetCommitKey>(*k1) == OffsetCommitKey{"my-group", "orders", 7});
  // Version 0 has the same fields.
  auto k0 = DecodeCoordinatorKey(Hex("0000" "0001" "67" "0001" "74" "ffffffff"));
  REQUIRE(k0.ok());
  CHECK(std::get<OffsetCommitKey>(*k0) == OffsetCommitKey{"g", "t", -1});
  auto k2 = DecodeCoordinatorKey(group_key);
  REQUIRE(k2.ok());
  CHECK(std::get<GroupMetadataKey>(*k2).group == "my-group");
}

TEST_CASE("OffsetCommitValue: v3 by default, v1 with an expire timestamp", "[groups][records]") {
  // kafka-python: Schema(version, offset Int64, leaderEpoch Int32, metadata String,
  //   commitTimestamp Int64).encode([3, 42, 5, 'meta', 1700000000000])
  const std::string v3 =
      Hex("0003" "000000000000002a" "00000005" "0004" "6d657461" "0000018bcfe56800");
  const OffsetCommitValue value{42, 5, "meta", kTs, -1};
  CHECK(EncodeOffsetCommitValue(value) == v3);
  auto d3 = DecodeOffsetCommitValue(v3);
  REQUIRE(d3.ok());
  CHECK(*d3 == value);

  // kafka-python: Schema(version, offset, metadata, commitTimestamp, expireTimestamp)
  //   .encode([1, 42, '', 1700000000000, 1700000060000])
  const std::string v1 =
      Hex("0001" "000000000000002a" "0000" "0000018bcfe56800" "0000018bcfe65260");
  const OffsetCommitValue expiring{42, -1, "", kTs, kTs + 60000};
  CHECK(EncodeOffsetCommitValue(expiring) == v1);
  auto d1 = DecodeOffsetCommitValue(v1);
  REQUIRE(d1.ok());
  CHECK(*d1 == expiring);

  // v0 and v2: offset, metadata, commitTimestamp.
  for (const char* version : {"0000", "0002"}) {
    auto d = DecodeOffsetCommitValue(Hex(std::string(version) + "0000000000000007" "0001" "6d" +
                                         "0000018bcfe56800"));
    REQUIRE(d.ok());
    CHECK(*d == OffsetCommitValue{7, -1, "m", kTs, -1});
  }
}

TEST_CASE("OffsetCommitValue v4 is flexible: compact strings and tagged fields",
          "[groups][records]") {
  // version 4 | offset 42 | leaderEpoch 5 | metadata compact (len+1 = 5) "meta"
  // | commitTimestamp | tagged fields: count 0
  const std::string v4 = Hex("0004" "000000000000002a" "00000005" "05" "6d657461"
                             "0000018bcfe56800" "00");
  const OffsetCommitValue value{42, 5, "meta", kTs, -1};
  CHECK(EncodeOffsetCommitValue(value, 4) == v4);
  auto d = DecodeOffsetCommitValue(v4);
  REQUIRE(d.ok());
  CHECK(*d == value);
  // An unknown tagged field (count 1, tag 7, size 2, 2 bytes) is skipped.
  auto tagged = DecodeOffsetCommitValue(Hex("0004" "000000000000002a" "00000005" "05" "6d657461"
                                            "0000018bcfe56800" "01" "07" "02" "aabb"));
  REQUIRE(tagged.ok());
  CHECK(*tagged == value);
}

GroupMetadataValue SampleGroup() {
  GroupMetadataValue v;
  v.protocol_type = "consumer";
  v.generation = 4;
  v.protocol = "range";
  v.leader = "c-1";
  v.current_state_timestamp = kTs;
  v.members.push_back({"c-1", "inst-a", "c", "/10.0.0.1", 300000, 45000,
                       std::string("\x00\x01sub", 5), std::string("\x00\x02" "as", 4)});
  v.members.push_back({"c-2", std::nullopt, "c", "/10.0.0.2", 60000, 10000, "", ""});
  return v;
}

TEST_CASE("GroupMetadataValue v3 matches Kafka's layout", "[groups][records]") {
  // kafka-python: Schema(version, protocolType, generation Int32, protocol, leader,
  //   currentStateTimestamp Int64, members Array(memberId, groupInstanceId, clientId,
  //   clientHost, rebalanceTimeout Int32, sessionTimeout Int32, subscription Bytes,
  //   assignment Bytes)).encode(...)
  const std::string v3 = Hex(
      "0003" "0008636f6e73756d6572" "00000004" "000572616e6765" "0003632d31" "0000018bcfe56800"
      "00000002"
      "0003632d31" "0006696e73742d61" "000163" "00092f31302e302e302e31" "000493e0" "0000afc8"
      "00000005" "0001737562" "00000004" "00026173"
      "0003632d32" "ffff" "000163" "00092f31302e302e302e32" "0000ea60" "00002710"
      "00000000" "00000000");
  CHECK(EncodeGroupMetadataValue(SampleGroup()) == v3);
  auto d = DecodeGroupMetadataValue(v3);
  REQUIRE(d.ok());
  CHECK(*d == SampleGroup());

  // An empty group: null protocol and leader.
  // kafka-python: .encode([3, 'consumer', 5, None, None, 1700000001000, []])
  const std::string empty =
      Hex("0003" "0008636f6e73756d6572" "00000005" "ffff" "ffff" "0000018bcfe56be8" "00000000");
  GroupMetadataValue e;
  e.protocol_type = "consumer";
  e.generation = 5;
  e.current_state_timestamp = kTs + 1000;
  CHECK(EncodeGroupMetadataValue(e) == empty);
  auto de = DecodeGroupMetadataValue(empty);
  REQUIRE(de.ok());
  CHECK(*de == e);
}

TEST_CASE("GroupMetadataValue v0, v1, v2 and flexible v4 decode", "[groups][records]") {
  // v0: no rebalanceTimeout, no currentStateTimestamp, no groupInstanceId.
  const std::string v0 = Hex("0000" "0008636f6e73756d6572" "00000001" "000572616e6765"
                             "0001" "6d" "00000001"
                             "00016d" "000163" "000168" "00002710" "00000001" "73" "00000001" "61");
  auto d0 = DecodeGroupMetadataValue(v0);
  REQUIRE(d0.ok());
  REQUIRE(d0->members.size() == 1);
  CHECK(d0->members[0].member_id == "m");
  CHECK(d0->members[0].rebalance_timeout_ms == -1);
  CHECK(d0->members[0].session_timeout_ms == 10000);
  CHECK(d0->members[0].subscription == "s");
  CHECK(d0->members[0].assignment == "a");
  CHECK(d0->current_state_timestamp == -1);
  // v1: rebalanceTimeout after clientHost.
  const std::string v1 = Hex("0001" "0008636f6e73756d6572" "00000001" "000572616e6765"
                             "0001" "6d" "00000001"
                             "00016d" "000163" "000168" "00007530" "00002710" "00000000" "00000000");
  auto d1 = DecodeGroupMetadataValue(v1);
  REQUIRE(d1.ok());
  CHECK(d1->members[0].rebalance_timeout_ms == 30000);
  // v2: currentStateTimestamp before members.
  const std::string v2 = Hex("0002" "0008636f6e73756d6572" "00000001" "ffff" "ffff"
                             "0000018bcfe56800" "00000000");
  auto d2 = DecodeGroupMetadataValue(v2);
  REQUIRE(d2.ok());
  CHECK(d2->current_state_timestamp == kTs);
  CHECK(!d2->protocol.has_value());

  // v4 (flexible), hand-built: compact strings (len+1), compact array
  // (n+1), compact bytes (len+1), a tagged-field count ending each struct.
  const std::string v4 = Hex(
      "0004" "09636f6e73756d6572" "00000004" "0672616e6765" "04632d31" "0000018bcfe56800"
      "02"  // one member
      "04632d31" "00" "0263" "0a2f31302e302e302e31" "000493e0" "0000afc8"
      "060001737562" "0500026173" "00"  // member's tagged fields
      "00");                           // value's tagged fields
  GroupMetadataValue one = SampleGroup();
  one.members.resize(1);
  one.members[0].group_instance_id.reset();
  CHECK(EncodeGroupMetadataValue(one, 4) == v4);
  auto d4 = DecodeGroupMetadataValue(v4);
  REQUIRE(d4.ok());
  CHECK(*d4 == one);
}

TEST_CASE("bad __consumer_offsets records are rejected with CORRUPT_MESSAGE", "[groups][records]") {
  const std::string v3 = EncodeOffsetCommitValue({42, 5, "meta", kTs, -1});
  // Truncated at every length.
  for (size_t n = 0; n < v3.size(); ++n) {
    auto d = DecodeOffsetCommitValue(std::string_view(v3).substr(0, n));
    CHECK(ErrorCodeOf(d.status()) == ErrorCode::kCorruptMessage);
  }
  // Trailing bytes.
  CHECK(ErrorCodeOf(DecodeOffsetCommitValue(v3 + "x").status()) == ErrorCode::kCorruptMessage);
  // Unknown versions.
  CHECK(!DecodeOffsetCommitValue(Hex("0005" "000000000000002a")).ok());
  CHECK(!DecodeGroupMetadataValue(Hex("ffff")).ok());
  CHECK(!DecodeCoordinatorKey(Hex("0003" "0001" "67")).ok());
  // A null required string, a negative bytes length, a huge member count.
  CHECK(!DecodeCoordinatorKey(Hex("0002" "ffff")).ok());
  CHECK(!DecodeGroupMetadataValue(Hex("0003" "0001" "63" "00000001" "ffff" "ffff"
                                      "0000000000000000" "7fffffff"))
             .ok());
  const std::string group = EncodeGroupMetadataValue(SampleGroup());
  for (size_t n = 0; n < group.size(); ++n) {
    CHECK(!DecodeGroupMetadataValue(std::string_view(group).substr(0, n)).ok());
  }
  // A flexible varint that never ends.
  CHECK(!DecodeOffsetCommitValue(Hex("0004" "000000000000002a" "00000005"
                                     "ffffffffffffffffffffff"))
             .ok());
}


TEST_CASE("mutated records never crash the decoders", "[groups][records][fuzz]") {
  const std::vector<std::string> seeds = {
      EncodeOffsetCommitKey({"my-group", "orders", 7}),
      EncodeGroupMetadataKey({"my-group"}),
      EncodeOffsetCommitValue({42, 5, "meta", kTs, -1}),
      EncodeOffsetCommitValue({42, 5, "meta", kTs, -1}, 4),
      EncodeOffsetCommitValue({42, -1, "", kTs, kTs + 1}),
      EncodeGroupMetadataValue(SampleGroup()),
      EncodeGroupMetadataValue(SampleGroup(), 4),
      EncodeGroupMetadataValue(SampleGroup(), 0),
  };
  const uint32_t seed = 20240601;
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  for (int i = 0; i < 20000; ++i) {
    std::string bytes = seeds[rng() % seeds.size()];
    const int edits = 1 + rng() % 4;
    for (int e = 0; e < edits && !bytes.empty(); ++e) {
      const size_t pos = rng() % bytes.size();
      switch (rng() % 3) {
        case 0: bytes[pos] = static_cast<char>(rng()); break;
        case 1: bytes.erase(pos, 1 + rng() % 3); break;
        default: bytes.insert(pos, 1, static_cast<char>(rng())); break;
      }
    }
    // Whatever the outcome, no crash, and a failure is CORRUPT_MESSAGE.
    for (const absl::Status& s : {DecodeCoordinatorKey(bytes).status(),
                                  DecodeOffsetCommitValue(bytes).status(),
                                  DecodeGroupMetadataValue(bytes).status()}) {
      if (!s.ok()) REQUIRE(ErrorCodeOf(s) == ErrorCode::kCorruptMessage);
    }
  }
}

}  // namespace
}  // namespace samsa::group

// group_interop_tool: samsa's half of the consumer-group interoperability test
// with kafka-python (kafka_python_group_interop.py drives it).
//
//   group_interop_tool REQUESTS.json RESPONSES.json
//
// REQUESTS.json is a JSON array; each element has an "op" and the answer, in
// the same position of RESPONSES.json, is {"ok": true, ...} or {"ok": false,
// "error": "..."}. Bytes travel as lowercase hex, null as JSON null.
//
//   {"op": "decode_subscription", "hex": H}
//       -> {"version", "topics", "user_data", "owned_partitions": [[topic, [p...]]...],
//           "generation_id", "rack_id"}
//   {"op": "encode_subscription", "version": V, "topics": [...], "user_data": H|null,
//    "owned_partitions": [[topic, [p...]]...], "generation_id": G, "rack_id": S|null}
//       -> {"hex": H}
//   {"op": "decode_assignment", "hex": H} -> {"version", "partitions", "user_data"}
//   {"op": "encode_assignment", "version": V, "partitions": [[topic, [p...]]...],
//    "user_data": H|null} -> {"hex": H}
//   {"op": "decode_sticky_user_data", "hex": H}
//       -> {"previous_assignment": [[topic, [p...]]...], "generation": G|null}
//   {"op": "encode_sticky_user_data", "previous_assignment": [...], "generation": G}
//       -> {"hex": H}
//   {"op": "assign", "assignor": NAME, "partitions": {topic: count},
//    "members": {member_id: {"topics": [...], "user_data": H|null}}}
//       -> {"assignment": {member_id: [[topic, partition]...]}}   (sorted)
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "broker/group/consumer_protocol.h"
#include "client/group/partition_assignor.h"
#include "client/group/sticky_assignor.h"

namespace samsa::client {
namespace {

using nlohmann::json;

std::string ToHex(std::string_view bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::string FromHex(const std::string& hex) {
  const auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    throw std::runtime_error("bad hex digit");
  };
  if (hex.size() % 2) throw std::runtime_error("odd hex length");
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    out.push_back(static_cast<char>(nibble(hex[i]) * 16 + nibble(hex[i + 1])));
  }
  return out;
}

json OptionalHex(const std::optional<std::string>& b) {
  return b ? json(ToHex(*b)) : json(nullptr);
}
std::optional<std::string> OptionalFromHex(const json& j) {
  if (j.is_null()) return std::nullopt;
  return FromHex(j.get<std::string>());
}

json TopicPartitionsJson(const std::vector<TopicPartitions>& tps) {
  json out = json::array();
  for (const auto& tp : tps) out.push_back(json::array({tp.topic, tp.partitions}));
  return out;
}
std::vector<TopicPartitions> TopicPartitionsFrom(const json& j) {
  std::vector<TopicPartitions> out;
  for (const auto& e : j) {
    out.push_back({e.at(0).get<std::string>(), e.at(1).get<std::vector<int32_t>>()});
  }
  return out;
}

json Fail(const absl::Status& s) { return {{"ok", false}, {"error", std::string(s.message())}}; }

json Handle(const json& req) {
  const std::string op = req.at("op").get<std::string>();
  if (op == "decode_subscription") {
    const std::string bytes = FromHex(req.at("hex").get<std::string>());
    auto s = DecodeSubscription(bytes);
    if (!s.ok()) return Fail(s.status());
    return {{"ok", true},
            {"version", *ConsumerProtocolVersion(bytes)},
            {"topics", s->topics},
            {"user_data", OptionalHex(s->user_data)},
            {"owned_partitions", TopicPartitionsJson(s->owned_partitions)},
            {"generation_id", s->generation_id},
            {"rack_id", s->rack_id ? json(*s->rack_id) : json(nullptr)}};
  }
  if (op == "encode_subscription") {
    Subscription s;
    s.topics = req.at("topics").get<std::vector<std::string>>();
    s.user_data = OptionalFromHex(req.at("user_data"));
    if (req.contains("owned_partitions")) {
      s.owned_partitions = TopicPartitionsFrom(req.at("owned_partitions"));
    }
    if (req.contains("generation_id")) s.generation_id = req.at("generation_id").get<int32_t>();
    if (req.contains("rack_id") && !req.at("rack_id").is_null()) {
      s.rack_id = req.at("rack_id").get<std::string>();
    }
    auto bytes = EncodeSubscription(s, req.at("version").get<int16_t>());
    if (!bytes.ok()) return Fail(bytes.status());
    return {{"ok", true}, {"hex", ToHex(*bytes)}};
  }
  if (op == "decode_assignment") {
    const std::string bytes = FromHex(req.at("hex").get<std::string>());
    auto a = DecodeAssignment(bytes);
    if (!a.ok()) return Fail(a.status());
    return {{"ok", true},
            {"version", *ConsumerProtocolVersion(bytes)},
            {"partitions", TopicPartitionsJson(a->partitions)},
            {"user_data", OptionalHex(a->user_data)}};
  }
  if (op == "encode_assignment") {
    Assignment a;
    a.partitions = TopicPartitionsFrom(req.at("partitions"));
    a.user_data = OptionalFromHex(req.at("user_data"));
    auto bytes = EncodeAssignment(a, req.at("version").get<int16_t>());
    if (!bytes.ok()) return Fail(bytes.status());
    return {{"ok", true}, {"hex", ToHex(*bytes)}};
  }
  if (op == "decode_sticky_user_data") {
    auto d = DecodeStickyAssignorUserData(FromHex(req.at("hex").get<std::string>()));
    if (!d.ok()) return Fail(d.status());
    return {{"ok", true},
            {"previous_assignment", TopicPartitionsJson(d->previous_assignment)},
            {"generation", d->generation ? json(*d->generation) : json(nullptr)}};
  }
  if (op == "encode_sticky_user_data") {
    StickyAssignorUserData d;
    d.previous_assignment = TopicPartitionsFrom(req.at("previous_assignment"));
    d.generation = req.at("generation").get<int32_t>();
    return {{"ok", true}, {"hex", ToHex(EncodeStickyAssignorUserData(d))}};
  }
  if (op == "assign") {
    auto assignor = MakePartitionAssignor(req.at("assignor").get<std::string>());
    if (!assignor.ok()) return Fail(assignor.status());
    PartitionsPerTopic ppt;
    for (const auto& [topic, count] : req.at("partitions").items())
      ppt[topic] = count.get<int32_t>();
    GroupSubscription subs;
    for (const auto& [member, m] : req.at("members").items()) {
      Subscription s;
      s.topics = m.at("topics").get<std::vector<std::string>>();
      s.user_data = OptionalFromHex(m.at("user_data"));
      subs[member] = std::move(s);
    }
    auto result = (*assignor)->Assign(ppt, subs);
    if (!result.ok()) return Fail(result.status());
    json assignment = json::object();
    for (const auto& [member, a] : *result) {
      json tps = json::array();
      for (const auto& tp : a.PartitionList()) tps.push_back(json::array({tp.topic, tp.partition}));
      assignment[member] = tps;
    }
    return {{"ok", true}, {"assignment", assignment}};
  }
  return {{"ok", false}, {"error", "unknown op " + op}};
}

}  // namespace
}  // namespace samsa::client

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s REQUESTS.json RESPONSES.json\n", argv[0]);
    return 2;
  }
  try {
    std::ifstream in(argv[1]);
    const nlohmann::json requests = nlohmann::json::parse(in);
    nlohmann::json responses = nlohmann::json::array();
    for (const auto& req : requests) responses.push_back(samsa::client::Handle(req));
    std::ofstream out(argv[2]);
    out << responses.dump();
    return out.good() ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "group_interop_tool: %s\n", e.what());
    return 1;
  }
}

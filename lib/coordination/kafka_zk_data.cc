#include "coordination/kafka_zk_data.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace samsa::kafka_zk {
namespace {

using Json = nlohmann::json;                // parsing
using OrderedJson = nlohmann::ordered_json;  // writing, in Kafka's key order

std::string Dump(const OrderedJson& json) {
  // Compact, UTF-8 as is (as Jackson writes); invalid UTF-8 is replaced
  // rather than thrown.
  return json.dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
}

absl::Status Malformed(std::string_view what, std::string_view why) {
  return absl::InvalidArgumentError(fmt::format("malformed {} JSON: {}", what, why));
}

// Field readers: each returns a status naming the node kind and the field.
class Reader {
 public:
  Reader(std::string_view what, const Json& object) : what_(what), object_(object) {}

  absl::Status Error(std::string_view why) const { return Malformed(what_, why); }

  bool Has(const char* key) const { return object_.contains(key) && !object_.at(key).is_null(); }
  const Json& At(const char* key) const { return object_.at(key); }

  absl::StatusOr<int64_t> Int(const char* key, int64_t min, int64_t max) const {
    if (!object_.contains(key)) return Error(fmt::format("missing \"{}\"", key));
    return IntValue(object_.at(key), key, min, max);
  }
  absl::StatusOr<int32_t> Int32(const char* key) const {
    auto v = Int(key, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max());
    if (!v.ok()) return v.status();
    return static_cast<int32_t>(*v);
  }
  absl::StatusOr<int64_t> IntValue(const Json& v, std::string_view key, int64_t min,
                                   int64_t max) const {
    if (!v.is_number_integer()) return Error(fmt::format("\"{}\" is not an integer", key));
    if (v.is_number_unsigned()) {
      const auto u = v.get<uint64_t>();
      if (u > static_cast<uint64_t>(max)) return Error(fmt::format("\"{}\" out of range", key));
      return static_cast<int64_t>(u);
    }
    const auto i = v.get<int64_t>();
    if (i < min || i > max) return Error(fmt::format("\"{}\" out of range", key));
    return i;
  }
  absl::StatusOr<std::string> String(const char* key) const {
    if (!object_.contains(key)) return Error(fmt::format("missing \"{}\"", key));
    if (!object_.at(key).is_string()) return Error(fmt::format("\"{}\" is not a string", key));
    return object_.at(key).get<std::string>();
  }
  absl::StatusOr<std::vector<int32_t>> IntList(const Json& v, std::string_view key) const {
    if (!v.is_array()) return Error(fmt::format("\"{}\" is not an array", key));
    std::vector<int32_t> out;
    for (const Json& e : v) {
      auto i = IntValue(e, key, std::numeric_limits<int32_t>::min(),
                        std::numeric_limits<int32_t>::max());
      if (!i.ok()) return i.status();
      out.push_back(static_cast<int32_t>(*i));
    }
    return out;
  }
  // A millisecond timestamp Kafka writes as a decimal string.
  absl::StatusOr<int64_t> TimestampString(const char* key) const {
    if (!object_.contains(key)) return Error(fmt::format("missing \"{}\"", key));
    const Json& v = object_.at(key);
    if (v.is_number_integer()) return IntValue(v, key, 0, std::numeric_limits<int64_t>::max());
    if (!v.is_string()) return Error(fmt::format("\"{}\" is not a string", key));
    const auto s = v.get<std::string>();
    int64_t ms = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), ms);
    if (ec != std::errc() || end != s.data() + s.size() || s.empty()) {
      return Error(fmt::format("\"{}\" is not a decimal number: \"{}\"", key, s));
    }
    return ms;
  }

 private:
  std::string_view what_;
  const Json& object_;
};

// Parses `text` as a JSON object; never throws.
absl::StatusOr<Json> ParseObject(std::string_view what, std::string_view text) {
  Json json = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return Malformed(what, fmt::format("not JSON: \"{}\"", text));
  if (!json.is_object()) return Malformed(what, "not a JSON object");
  return json;
}

// Runs a decoder body, turning any nlohmann exception into a status.
template <typename F>
auto Guard(std::string_view what, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const nlohmann::json::exception& e) {
    return Malformed(what, e.what());
  }
}

int32_t JavaStringHashCode(std::string_view utf8) {
  uint32_t h = 0;
  auto add = [&h](uint32_t unit) { h = 31 * h + unit; };
  for (size_t i = 0; i < utf8.size();) {
    const auto c = static_cast<unsigned char>(utf8[i]);
    uint32_t cp = c;
    size_t len = 1;
    if (c >= 0xf0 && i + 3 < utf8.size()) {
      cp = ((c & 0x07u) << 18) | ((utf8[i + 1] & 0x3fu) << 12) | ((utf8[i + 2] & 0x3fu) << 6) |
           (utf8[i + 3] & 0x3fu);
      len = 4;
    } else if (c >= 0xe0 && i + 2 < utf8.size()) {
      cp = ((c & 0x0fu) << 12) | ((utf8[i + 1] & 0x3fu) << 6) | (utf8[i + 2] & 0x3fu);
      len = 3;
    } else if (c >= 0xc0 && i + 1 < utf8.size()) {
      cp = ((c & 0x1fu) << 6) | (utf8[i + 1] & 0x3fu);
      len = 2;
    }
    if (cp >= 0x10000) {  // a surrogate pair in UTF-16
      cp -= 0x10000;
      add(0xd800 + (cp >> 10));
      add(0xdc00 + (cp & 0x3ff));
    } else {
      add(cp);
    }
    i += len;
  }
  return static_cast<int32_t>(h);
}

int64_t ScalaTableSizeFor(int64_t capacity) {
  int64_t x = std::max<int64_t>(capacity - 1, 4);
  int64_t highest = 1;
  while (highest * 2 <= x) highest *= 2;
  return std::min<int64_t>(highest * 2, int64_t{1} << 30);
}

// java.util.Properties (a ConcurrentHashMap inside since Java 9, created with
// capacity 8: a table of 16) iterates by bin; keys within a bin in the given
// (here: sorted) order, which is Kafka's when they were inserted so.
std::vector<std::string> PropertiesOrder(const std::map<std::string, std::string>& config) {
  int64_t table = 16;
  while (static_cast<int64_t>(config.size()) >= table - (table >> 2)) table *= 2;
  std::vector<std::string> keys;
  for (const auto& [k, v] : config) keys.push_back(k);
  std::stable_sort(keys.begin(), keys.end(), [table](const std::string& a, const std::string& b) {
    auto bin = [table](const std::string& k) {
      const auto h = static_cast<uint32_t>(JavaStringHashCode(k));
      return static_cast<int64_t>((h ^ (h >> 16)) & 0x7fffffffu) & (table - 1);
    };
    return bin(a) < bin(b);
  });
  return keys;
}

OrderedJson ReplicaMap(const std::map<int32_t, std::vector<int32_t>>& replicas) {
  std::vector<std::string> keys;
  for (const auto& [p, list] : replicas) keys.push_back(std::to_string(p));
  OrderedJson out = OrderedJson::object();
  for (const std::string& key : ScalaMutableHashMapOrder(keys)) {
    out[key] = replicas.at(std::stoi(key));
  }
  return out;
}

absl::StatusOr<std::map<int32_t, std::vector<int32_t>>> ReadReplicaMap(const Reader& reader,
                                                                      const Json& v,
                                                                      std::string_view key) {
  if (!v.is_object()) return reader.Error(fmt::format("\"{}\" is not an object", key));
  std::map<int32_t, std::vector<int32_t>> out;
  for (const auto& [partition, replicas] : v.items()) {
    int32_t p = 0;
    auto [end, ec] = std::from_chars(partition.data(), partition.data() + partition.size(), p);
    if (ec != std::errc() || end != partition.data() + partition.size() || p < 0) {
      return reader.Error(fmt::format("\"{}\" has a bad partition \"{}\"", key, partition));
    }
    auto list = reader.IntList(replicas, key);
    if (!list.ok()) return list.status();
    out[p] = std::move(*list);
  }
  return out;
}

}  // namespace

std::vector<std::string> ScalaMutableHashMapOrder(const std::vector<std::string>& keys,
                                                  int known_size) {
  // Table size: HashMap.from's size hint, else the default 16; put0 doubles
  // the table when the entry to add would reach 0.75 of it.
  int64_t table = known_size > 0
                      ? ScalaTableSizeFor(static_cast<int64_t>((known_size + 1) / 0.75))
                      : 16;
  for (size_t n = 1; n <= keys.size(); ++n) {
    if (static_cast<int64_t>(n) >= static_cast<int64_t>(table * 0.75)) table *= 2;
  }
  auto improved = [](const std::string& key) {
    const auto h = static_cast<uint32_t>(JavaStringHashCode(key));
    return static_cast<int32_t>(h ^ (h >> 16));
  };
  // Iteration: buckets in index order; within a bucket, nodes sorted by hash
  // (signed), equal hashes in insertion order.
  std::vector<std::string> order = keys;
  std::stable_sort(order.begin(), order.end(), [&](const std::string& a, const std::string& b) {
    const int32_t ha = improved(a);
    const int32_t hb = improved(b);
    const int64_t ba = static_cast<uint32_t>(ha) & (table - 1);
    const int64_t bb = static_cast<uint32_t>(hb) & (table - 1);
    return ba != bb ? ba < bb : ha < hb;
  });
  return order;
}

// --- endpoints ---

std::string BrokerEndpoint::ConnectionString() const {
  const std::string host_port = host.find(':') != std::string::npos
                                    ? fmt::format("[{}]:{}", host, port)
                                    : fmt::format("{}:{}", host, port);
  return fmt::format("{}://{}", listener_name, host_port);
}

absl::StatusOr<BrokerEndpoint> ParseBrokerEndpoint(
    std::string_view connection_string,
    const std::map<std::string, std::string>& security_protocol_map) {
  auto bad = [&] {
    return absl::InvalidArgumentError(fmt::format(
        "bad broker endpoint \"{}\": want <listener>://<host>:<port>", connection_string));
  };
  const size_t scheme = connection_string.find("://");
  if (scheme == std::string_view::npos || scheme == 0) return bad();
  BrokerEndpoint endpoint;
  endpoint.listener_name = std::string(connection_string.substr(0, scheme));
  std::string_view rest = connection_string.substr(scheme + 3);
  const size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos) return bad();
  std::string_view host = rest.substr(0, colon);
  const std::string_view port = rest.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), endpoint.port);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size()) return bad();
  endpoint.host = std::string(host);
  auto protocol = security_protocol_map.find(endpoint.listener_name);
  endpoint.security_protocol =
      protocol != security_protocol_map.end() ? protocol->second : endpoint.listener_name;
  return endpoint;
}

// --- /brokers/ids/<id> ---

std::string EncodeBrokerRegistration(const BrokerRegistration& broker) {
  // BrokerIdZNode.encode: a mutable.Map of six entries, then rack,
  // listener_security_protocol_map and features are added.
  const BrokerEndpoint* plaintext = nullptr;
  for (const BrokerEndpoint& e : broker.endpoints) {
    if (e.security_protocol == "PLAINTEXT") {
      plaintext = &e;
      break;
    }
  }
  std::map<std::string, OrderedJson> fields;
  fields["version"] = 5;
  fields["host"] = plaintext != nullptr ? OrderedJson(plaintext->host) : OrderedJson(nullptr);
  fields["port"] = plaintext != nullptr ? plaintext->port : -1;
  OrderedJson endpoints = OrderedJson::array();
  for (const BrokerEndpoint& e : broker.endpoints) endpoints.push_back(e.ConnectionString());
  fields["endpoints"] = std::move(endpoints);
  fields["jmx_port"] = broker.jmx_port;
  fields["timestamp"] = std::to_string(broker.timestamp_ms);
  std::vector<std::string> keys = {"version", "host", "port", "endpoints", "jmx_port", "timestamp"};
  if (broker.rack.has_value()) {
    fields["rack"] = *broker.rack;
    keys.push_back("rack");
  }
  // An immutable Map built from the endpoints: insertion order (exact up to
  // four listeners, Scala's Map1..Map4).
  OrderedJson protocols = OrderedJson::object();
  for (const BrokerEndpoint& e : broker.endpoints) protocols[e.listener_name] = e.security_protocol;
  fields["listener_security_protocol_map"] = std::move(protocols);
  keys.push_back("listener_security_protocol_map");
  OrderedJson features = OrderedJson::object();
  for (const auto& [name, range] : broker.features) {
    features[name] = OrderedJson{{"min_version", range.min_version},
                                 {"max_version", range.max_version}};
  }
  fields["features"] = std::move(features);
  keys.push_back("features");

  OrderedJson out = OrderedJson::object();
  for (const std::string& key : ScalaMutableHashMapOrder(keys, /*known_size=*/6)) {
    out[key] = std::move(fields.at(key));
  }
  return Dump(out);
}

absl::StatusOr<BrokerRegistration> DecodeBrokerRegistration(std::string_view json) {
  constexpr std::string_view kWhat = "broker registration (/brokers/ids/<id>)";
  return Guard(kWhat, [&]() -> absl::StatusOr<BrokerRegistration> {
    auto parsed = ParseObject(kWhat, json);
    if (!parsed.ok()) return parsed.status();
    const Reader r(kWhat, *parsed);
    BrokerRegistration broker;
    auto version = r.Int32("version");
    if (!version.ok()) return version.status();
    if (*version < 1 || *version > 5) {
      return r.Error(fmt::format("unsupported version {}", *version));
    }
    broker.version = *version;
    if (r.Has("host")) {
      auto host = r.String("host");
      if (!host.ok()) return host.status();
      broker.host = std::move(*host);
    }
    if (r.Has("port")) {
      auto port = r.Int32("port");
      if (!port.ok()) return port.status();
      broker.port = *port;
    }
    if (r.Has("jmx_port")) {
      auto jmx = r.Int32("jmx_port");
      if (!jmx.ok()) return jmx.status();
      broker.jmx_port = *jmx;
    }
    if (r.Has("timestamp")) {
      auto ts = r.TimestampString("timestamp");
      if (!ts.ok()) return ts.status();
      broker.timestamp_ms = *ts;
    }
    if (r.Has("rack")) {
      auto rack = r.String("rack");
      if (!rack.ok()) return rack.status();
      broker.rack = std::move(*rack);
    }
    std::map<std::string, std::string> protocols;
    if (r.Has("listener_security_protocol_map")) {
      const Json& map = r.At("listener_security_protocol_map");
      if (!map.is_object()) return r.Error("\"listener_security_protocol_map\" is not an object");
      for (const auto& [listener, protocol] : map.items()) {
        if (!protocol.is_string()) {
          return r.Error(fmt::format("security protocol of {} is not a string", listener));
        }
        protocols[listener] = protocol.get<std::string>();
      }
    }
    if (r.Has("endpoints")) {
      const Json& list = r.At("endpoints");
      if (!list.is_array()) return r.Error("\"endpoints\" is not an array");
      for (const Json& e : list) {
        if (!e.is_string()) return r.Error("an endpoint is not a string");
        auto endpoint = ParseBrokerEndpoint(e.get<std::string>(), protocols);
        if (!endpoint.ok()) return r.Error(std::string(endpoint.status().message()));
        broker.endpoints.push_back(std::move(*endpoint));
      }
    } else if (broker.version == 1) {
      if (!broker.host.has_value() || broker.port < 0) return r.Error("version 1 needs host and port");
      broker.endpoints.push_back({"PLAINTEXT", *broker.host, broker.port, "PLAINTEXT"});
    } else {
      return r.Error("missing \"endpoints\"");
    }
    if (r.Has("features")) {
      const Json& features = r.At("features");
      if (!features.is_object()) return r.Error("\"features\" is not an object");
      for (const auto& [name, range] : features.items()) {
        if (!range.is_object()) return r.Error(fmt::format("feature {} is not an object", name));
        const Reader fr(kWhat, range);
        auto min = fr.Int("min_version", std::numeric_limits<int16_t>::min(),
                          std::numeric_limits<int16_t>::max());
        if (!min.ok()) return min.status();
        auto max = fr.Int("max_version", std::numeric_limits<int16_t>::min(),
                          std::numeric_limits<int16_t>::max());
        if (!max.ok()) return max.status();
        broker.features[name] = {static_cast<int16_t>(*min), static_cast<int16_t>(*max)};
      }
    }
    return broker;
  });
}

// --- /brokers/topics/<topic> ---

std::string EncodeTopicAssignment(const TopicAssignment& topic) {
  // TopicZNode.encode: mutable.Map(version, partitions, adding_replicas,
  // removing_replicas) += topic_id.
  std::map<std::string, OrderedJson> fields;
  fields["version"] = 3;
  fields["partitions"] = ReplicaMap(topic.partitions);
  std::map<int32_t, std::vector<int32_t>> adding, removing;
  for (const auto& [p, r] : topic.adding_replicas) {
    if (!r.empty()) adding[p] = r;
  }
  for (const auto& [p, r] : topic.removing_replicas) {
    if (!r.empty()) removing[p] = r;
  }
  fields["adding_replicas"] = ReplicaMap(adding);
  fields["removing_replicas"] = ReplicaMap(removing);
  std::vector<std::string> keys = {"version", "partitions", "adding_replicas", "removing_replicas"};
  if (topic.topic_id.has_value()) {
    fields["topic_id"] = *topic.topic_id;
    keys.push_back("topic_id");
  }
  OrderedJson out = OrderedJson::object();
  for (const std::string& key : ScalaMutableHashMapOrder(keys, /*known_size=*/4)) {
    out[key] = std::move(fields.at(key));
  }
  return Dump(out);
}

absl::StatusOr<TopicAssignment> DecodeTopicAssignment(std::string_view json) {
  constexpr std::string_view kWhat = "topic assignment (/brokers/topics/<topic>)";
  return Guard(kWhat, [&]() -> absl::StatusOr<TopicAssignment> {
    auto parsed = ParseObject(kWhat, json);
    if (!parsed.ok()) return parsed.status();
    const Reader r(kWhat, *parsed);
    TopicAssignment topic;
    auto version = r.Int32("version");
    if (!version.ok()) return version.status();
    if (*version < 1 || *version > 3) {
      return r.Error(fmt::format("unsupported version {}", *version));
    }
    topic.version = *version;
    if (!r.Has("partitions")) return r.Error("missing \"partitions\"");
    auto partitions = ReadReplicaMap(r, r.At("partitions"), "partitions");
    if (!partitions.ok()) return partitions.status();
    topic.partitions = std::move(*partitions);
    if (r.Has("adding_replicas")) {
      auto adding = ReadReplicaMap(r, r.At("adding_replicas"), "adding_replicas");
      if (!adding.ok()) return adding.status();
      topic.adding_replicas = std::move(*adding);
    }
    if (r.Has("removing_replicas")) {
      auto removing = ReadReplicaMap(r, r.At("removing_replicas"), "removing_replicas");
      if (!removing.ok()) return removing.status();
      topic.removing_replicas = std::move(*removing);
    }
    if (r.Has("topic_id")) {
      auto id = r.String("topic_id");
      if (!id.ok()) return id.status();
      topic.topic_id = std::move(*id);
    }
    return topic;
  });
}

// --- /brokers/topics/<topic>/partitions/<p>/state ---

std::string EncodePartitionState(const PartitionState& state) {
  // An immutable Scala Map of five (six) entries is a CHAMP trie, iterated by
  // the keys' improved hashes: this order (worked out from
  // scala.collection.immutable.HashMap and matching Kafka's documented bytes).
  OrderedJson out = OrderedJson::object();
  out["controller_epoch"] = state.controller_epoch;
  out["leader"] = state.leader;
  out["version"] = 1;
  if (state.leader_recovery_state != 0) out["leader_recovery_state"] = state.leader_recovery_state;
  out["leader_epoch"] = state.leader_epoch;
  out["isr"] = state.isr;
  return Dump(out);
}

absl::StatusOr<PartitionState> DecodePartitionState(std::string_view json) {
  constexpr std::string_view kWhat = "partition state (/brokers/topics/<topic>/partitions/<p>/state)";
  return Guard(kWhat, [&]() -> absl::StatusOr<PartitionState> {
    auto parsed = ParseObject(kWhat, json);
    if (!parsed.ok()) return parsed.status();
    const Reader r(kWhat, *parsed);
    PartitionState state;
    auto leader = r.Int32("leader");
    if (!leader.ok()) return leader.status();
    state.leader = *leader;
    auto epoch = r.Int32("leader_epoch");
    if (!epoch.ok()) return epoch.status();
    state.leader_epoch = *epoch;
    auto controller_epoch = r.Int32("controller_epoch");
    if (!controller_epoch.ok()) return controller_epoch.status();
    state.controller_epoch = *controller_epoch;
    if (!r.Has("isr")) return r.Error("missing \"isr\"");
    auto isr = r.IntList(r.At("isr"), "isr");
    if (!isr.ok()) return isr.status();
    state.isr = std::move(*isr);
    if (r.Has("leader_recovery_state")) {
      auto recovery = r.Int("leader_recovery_state", 0, 1);
      if (!recovery.ok()) return recovery.status();
      state.leader_recovery_state = static_cast<int32_t>(*recovery);
    }
    return state;
  });
}

// --- /controller, /controller_epoch ---

std::string EncodeController(const ControllerRegistration& controller) {
  OrderedJson out = OrderedJson::object();  // Map3: insertion order
  out["version"] = 1;
  out["brokerid"] = controller.broker_id;
  out["timestamp"] = std::to_string(controller.timestamp_ms);
  return Dump(out);
}

absl::StatusOr<ControllerRegistration> DecodeController(std::string_view json) {
  constexpr std::string_view kWhat = "controller (/controller)";
  return Guard(kWhat, [&]() -> absl::StatusOr<ControllerRegistration> {
    auto parsed = ParseObject(kWhat, json);
    if (!parsed.ok()) return parsed.status();
    const Reader r(kWhat, *parsed);
    ControllerRegistration controller;
    auto id = r.Int32("brokerid");
    if (!id.ok()) return id.status();
    controller.broker_id = *id;
    if (r.Has("timestamp")) {
      auto ts = r.TimestampString("timestamp");
      if (!ts.ok()) return ts.status();
      controller.timestamp_ms = *ts;
    }
    return controller;
  });
}

std::string EncodeControllerEpoch(int32_t epoch) { return std::to_string(epoch); }

absl::StatusOr<int32_t> DecodeControllerEpoch(std::string_view data) {
  int32_t epoch = 0;
  auto [end, ec] = std::from_chars(data.data(), data.data() + data.size(), epoch);
  if (data.empty() || ec != std::errc() || end != data.data() + data.size()) {
    return absl::InvalidArgumentError(
        fmt::format("malformed controller epoch (/controller_epoch): \"{}\"", data));
  }
  return epoch;
}

// --- /config ---

std::string EncodeEntityConfig(const EntityConfig& config) {
  OrderedJson values = OrderedJson::object();
  for (const std::string& key : PropertiesOrder(config.config)) values[key] = config.config.at(key);
  OrderedJson out = OrderedJson::object();  // Map2: insertion order
  out["version"] = 1;
  out["config"] = std::move(values);
  return Dump(out);
}

absl::StatusOr<EntityConfig> DecodeEntityConfig(std::string_view json) {
  constexpr std::string_view kWhat = "entity config (/config/<type>/<name>)";
  return Guard(kWhat, [&]() -> absl::StatusOr<EntityConfig> {
    auto parsed = ParseObject(kWhat, json);
    if (!parsed.ok()) return parsed.status();
    const Reader r(kWhat, *parsed);
    auto version = r.Int32("version");
    if (!version.ok()) return version.status();
    if (*version != 1) return r.Error(fmt::format("unsupported version {}", *version));
    EntityConfig config;
    if (!r.Has("config")) return config;
    const Json& values = r.At("config");
    if (!values.is_object()) return r.Error("\"config\" is not an object");
    for (const auto& [key, value] : values.items()) {
      if (!value.is_string()) return r.Error(fmt::format("config \"{}\" is not a string", key));
      config.config[key] = value.get<std::string>();
    }
    return config;
  });
}

std::string EncodeConfigChangeNotification(std::string_view entity_path) {
  OrderedJson out = OrderedJson::object();  // Map2: insertion order
  out["version"] = 2;
  out["entity_path"] = std::string(entity_path);
  return Dump(out);
}

absl::StatusOr<std::string> DecodeConfigChangeNotification(std::string_view json) {
  constexpr std::string_view kWhat = "config change notification (/config/changes/config_change_<n>)";
  return Guard(kWhat, [&]() -> absl::StatusOr<std::string> {
    auto parsed = ParseObject(kWhat, json);
    if (!parsed.ok()) return parsed.status();
    const Reader r(kWhat, *parsed);
    auto version = r.Int32("version");
    if (!version.ok()) return version.status();
    if (*version != 2) return r.Error(fmt::format("unsupported version {}", *version));
    return r.String("entity_path");
  });
}

}  // namespace samsa::kafka_zk

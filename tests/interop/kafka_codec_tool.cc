// kafka_codec_tool: samsa's half of the kafka-python wire-codec interop test
// (kafka_codec_interop.py drives it).
//
// Reads one JSON request per line on stdin and answers one JSON line each:
//   {"op": "decode", "api_key": 3, "request": true, "version": 1, "hex": "..."}
//       -> {"ok": true, "value": <positional JSON>} : the message decoded by
//          samsa's codec (every byte must be consumed)
//   {"op": "encode", "api_key": 3, "request": true, "version": 1, "value": ...}
//       -> {"ok": true, "hex": "..."} : samsa's encoding of the value
// Errors answer {"ok": false, "error": "..."}.
//
// Positional JSON: the wire-order tokens of the non-tagged fields present at
// the version; a nested struct's tokens are spliced into its parent's (Kafka
// does not box structs); an array is one token {"items": [[element tokens],
// ...]}; bytes/records/uuid are {"hex": "..."}; null is null.
#include <cstdio>
#include <iostream>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "kafka/messages/testing.h"

namespace {

using samsa::kafka::testing::AllMessageTypes;
using samsa::kafka::testing::MessageType;

const MessageType* Find(int api_key, bool request) {
  for (const MessageType& t : AllMessageTypes()) {
    if (t.api_key == api_key && t.is_request == request) return &t;
  }
  return nullptr;
}

nlohmann::json Handle(const nlohmann::json& in) {
  const MessageType* type = Find(in.at("api_key").get<int>(), in.at("request").get<bool>());
  if (type == nullptr) return {{"ok", false}, {"error", "unknown api key"}};
  const auto version = in.at("version").get<int16_t>();
  const std::string op = in.at("op").get<std::string>();
  if (op == "decode") {
    const std::string hex = in.at("hex").get<std::string>();
    std::string bytes;
    for (size_t i = 0; i + 1 < hex.size(); i += 2) bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    absl::StatusOr<nlohmann::json> value = type->decode_positional(
        absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), version);
    if (!value.ok()) return {{"ok", false}, {"error", std::string(value.status().message())}};
    return {{"ok", true}, {"value", *value}};
  }
  if (op == "encode") {
    absl::StatusOr<std::string> bytes = type->encode_positional(in.at("value"), version);
    if (!bytes.ok()) return {{"ok", false}, {"error", std::string(bytes.status().message())}};
    std::string hex;
    for (unsigned char c : *bytes) hex += fmt::format("{:02x}", c);
    return {{"ok", true}, {"hex", hex}};
  }
  return {{"ok", false}, {"error", "unknown op " + op}};
}

}  // namespace

int main() {
  std::string line;
  while (std::getline(std::cin, line)) {
    nlohmann::json out;
    try {
      out = Handle(nlohmann::json::parse(line));
    } catch (const std::exception& e) {
      out = {{"ok", false}, {"error", std::string("bad request line: ") + e.what()}};
    }
    std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n" << std::flush;
  }
  return 0;
}

"""Test support for the generated Kafka codec (kafka_codegen.py --testing).

Emits kafka/messages/testing.{h,cc}:
  Populate(m, version, seed)   every field present at `version` gets a
                               non-default value (tagged ones included; a
                               nullable one may be null, depending on seed),
                               and flexible structs get an unknown tagged field
  ToPositional / FromPositional  the non-tagged fields present at a version as
                               a flat JSON array of wire-order tokens (nested
                               structs spliced in, arrays as {"items":
                               [[element tokens]...]}, bytes as {"hex": ...})
  AllMessageTypes()            every message with type-erased helpers
"""

import os


def present_range(f, gen):
    r = f.versions
    if f.tagged is not None:
        r = r.intersect(f.tagged) if f.tagged.lo <= f.versions.lo else r
    return r


def nontagged_range(f, gen):
    if f.tagged is None:
        return f.versions
    return f.versions.intersect(gen.Range("0-%d" % (f.tagged.lo - 1)))


def value_lines(f, dst, k, gen, msg, indent, in_array=False):
    pad = " " * indent
    elem_default = "{}"
    if f.elem in gen.PRIMS:
        t = gen.PRIMS[f.elem][0]
        if f.elem == "bool":
            d = f.default_expr() if not in_array else None
            return [pad + "%s = %s;" % (dst, "false" if d == "true" else "true")]
        if f.elem == "uuid":
            return [pad + "%s = UuidValue(seed + %d);" % (dst, k)]
        if f.elem == "float64":
            return [pad + "%s = 1.5 + seed + %d;" % (dst, k)]
        d = (f.default_expr() if not in_array else None) or "0"
        return [pad + "%s = IntValue<%s>(seed * 31 + %d, %s);" % (dst, t, k, d)]
    if f.elem == "string":
        return [pad + "%s = StringValue(seed, %d);" % (dst, k)]
    return [pad + "%s = BytesValue(seed, %d);" % (dst, k)]


def populate_struct(s, msg, gen):
    out = ["void Populate(%s& m, int16_t version, uint32_t seed) {" % s.qualified]
    used = False
    for k, f in enumerate(s.fields):
        cond = present_range(f, gen).cond(msg.valid)
        if cond == "false":
            continue
        used = True
        body = []
        nullable_cond = f.nullable.cond(msg.valid) if f.is_optional() else "false"
        null_ok = f.is_optional() and nullable_cond != "false" and f.default != "null"
        if null_ok:
            body.append("if (seed %% 3 == 1%s) {" % ("" if nullable_cond == "" else " && " + nullable_cond))
            body.append("  m.%s.reset();" % f.cpp)
            body.append("} else {")
            inner = 2
        else:
            inner = 0
        ipad = " " * inner
        if f.is_array:
            vec = "m." + f.cpp
            if f.is_optional():
                body.append(ipad + "m.%s.emplace();" % f.cpp)
                vec = "(*m.%s)" % f.cpp
            body.append(ipad + "%s.clear();" % vec)
            body.append(ipad + "for (uint32_t i = 0; i < 2; ++i) {")
            body.append(ipad + "  %s.emplace_back();" % vec)
            if f.struct is not None:
                body.append(ipad + "  Populate(%s.back(), version, seed * 7 + i + %d);" % (vec, k))
            else:
                body += value_lines(f, "%s.back()" % vec, k, gen, msg, inner + 2, in_array=True)
                body[-1] = body[-1].replace("seed * 31 + %d" % k, "seed * 31 + %d + i" % k).replace(
                    "(seed, %d)" % k, "(seed + i, %d)" % k).replace("(seed + %d)" % k, "(seed + i + %d)" % k)
            body.append(ipad + "}")
        elif f.struct is not None:
            body.append(ipad + "Populate(m.%s, version, seed + %d);" % (f.cpp, k))
        else:
            body += value_lines(f, "m." + f.cpp, k, gen, msg, inner)
        if null_ok:
            body.append("}")
        body = ["  " + l for l in body]
        out += gen.guard(cond, body, 2)
    if not msg.flexible.empty():
        c = msg.flexible.cond(msg.valid)
        used = True
        out += gen.guard(c, ["    m.unknown_tagged_fields.push_back({1000 + seed % 5, BytesValue(seed, 99)});"], 2) \
            if c else ["  m.unknown_tagged_fields.push_back({1000 + seed % 5, BytesValue(seed, 99)});"]
    if not used:
        out.append("  (void)m;")
    out.append("}")
    return out


def to_json_value(f, src, gen):
    if f.uuid_or_bytes == "uuid":
        return "UuidJson(%s)" % src
    if f.uuid_or_bytes == "bytes":
        return "HexJson(%s)" % src
    return "nlohmann::json(%s)" % src


def kind(f):
    f.uuid_or_bytes = "uuid" if f.elem == "uuid" else ("bytes" if f.elem in ("bytes", "records") else "")


def positional_struct(s, msg, gen):
    """Positional form: the wire-order tokens of the non-tagged fields. A
    nested struct's tokens are spliced into its parent's (Kafka does not box
    structs); an array is one token {"items": [[element tokens], ...]}."""
    out = ["void ToPositional(const %s& m, int16_t version, nlohmann::json& out) {" % s.qualified]
    for f in s.fields:
        kind(f)
        cond = nontagged_range(f, gen).cond(msg.valid)
        if cond == "false":
            continue
        body = []
        if f.is_array:
            vec = "m." + f.cpp
            if f.is_optional():
                body.append("if (!m.%s.has_value()) {" % f.cpp)
                body.append("  out.push_back(nullptr);")
                body.append("} else {")
                vec = "(*m.%s)" % f.cpp
            else:
                body.append("{")
            body.append("  nlohmann::json items = nlohmann::json::array();")
            body.append("  for (const auto& e : %s) {" % vec)
            body.append("    nlohmann::json element = nlohmann::json::array();")
            if f.struct is not None:
                body.append("    ToPositional(e, version, element);")
            else:
                body.append("    element.push_back(%s);" % to_json_value(f, "e", gen))
            body.append("    items.push_back(element);")
            body.append("  }")
            body.append("  out.push_back(nlohmann::json{{\"items\", items}});")
            body.append("}")
        elif f.struct is not None:
            body.append("ToPositional(m.%s, version, out);" % f.cpp)
        elif f.is_optional():
            body.append("if (!m.%s.has_value()) {" % f.cpp)
            body.append("  out.push_back(nullptr);")
            body.append("} else {")
            body.append("  out.push_back(%s);" % to_json_value(f, "*m." + f.cpp, gen))
            body.append("}")
        else:
            body.append("out.push_back(%s);" % to_json_value(f, "m." + f.cpp, gen))
        out += gen.guard(cond, ["  " + l for l in body], 2)
    out += ["  (void)m;", "  (void)version;", "  (void)out;", "}", ""]

    out += ["absl::Status FromPositional(const nlohmann::json& in, size_t& at, int16_t version, %s* m) {" % s.qualified,
            "  (void)in;", "  (void)at;", "  (void)version;", "  (void)m;"]
    for f in s.fields:
        kind(f)
        cond = nontagged_range(f, gen).cond(msg.valid)
        if cond == "false":
            continue
        if f.struct is not None and not f.is_array:
            body = ["SAMSA_RETURN_IF_ERROR(FromPositional(in, at, version, &m->%s));" % f.cpp]
            out += gen.guard(cond, ["  " + l for l in body], 2)
            continue
        body = ["if (at >= in.size()) return absl::InvalidArgumentError(\"%s: missing %s\");" % (s.name, f.cpp),
                "const nlohmann::json& v = in[at++];"]
        if f.is_array:
            p = ""
            vec = "m->" + f.cpp
            if f.is_optional():
                body.append("if (v.is_null()) {")
                body.append("  m->%s.reset();" % f.cpp)
                body.append("} else {")
                body.append("  m->%s.emplace();" % f.cpp)
                vec = "(*m->%s)" % f.cpp
                p = "  "
            body.append(p + "if (!v.is_object() || !v.contains(\"items\")) return absl::InvalidArgumentError(\"%s: %s is not an array\");" % (s.name, f.cpp))
            body.append(p + "for (const nlohmann::json& e : v[\"items\"]) {")
            body.append(p + "  %s.emplace_back();" % vec)
            body.append(p + "  size_t e_at = 0;")
            if f.struct is not None:
                body.append(p + "  SAMSA_RETURN_IF_ERROR(FromPositional(e, e_at, version, &%s.back()));" % vec)
            else:
                body.append(p + "  if (!e.is_array() || e.size() != 1) return absl::InvalidArgumentError(\"%s: bad element\");" % s.name)
                body.append(p + "  " + from_json_value(f, "e[e_at++]", "%s.back()" % vec))
            body.append(p + "  if (e_at != e.size()) return absl::InvalidArgumentError(\"%s: element of %s has too many values\");" % (s.name, f.cpp))
            body.append(p + "}")
            if f.is_optional():
                body.append("}")
        elif f.is_optional():
            body.append("if (v.is_null()) {")
            body.append("  m->%s.reset();" % f.cpp)
            body.append("} else {")
            body.append("  m->%s.emplace();" % f.cpp)
            body.append("  " + from_json_value(f, "v", "*m->" + f.cpp))
            body.append("}")
        else:
            body.append(from_json_value(f, "v", "m->" + f.cpp))
        out += gen.guard(cond, ["  " + l for l in ["{"] + ["  " + b for b in body] + ["}"]], 2)
    out += ["  return absl::OkStatus();", "}", ""]
    return out


def from_json_value(f, src, dst):
    if f.elem == "uuid":
        return "SAMSA_RETURN_IF_ERROR(UuidFromJson(%s, &%s));" % (src, dst)
    if f.elem in ("bytes", "records"):
        return "SAMSA_RETURN_IF_ERROR(HexFromJson(%s, &%s));" % (src, dst)
    return "SAMSA_RETURN_IF_ERROR(Get(%s, &%s));" % (src, dst)


HEADER = """// Test support for the generated Kafka codec: populated messages, positional
// JSON (for kafka-python interop) and a table of every message type.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "kafka/messages/messages.h"

namespace samsa::kafka::testing {

struct MessageType {
  std::string_view name;
  int16_t api_key;  // -1 for headers
  bool is_request;
  int16_t min_version;
  int16_t max_version;
  int16_t first_flexible_version;  // -1: none
  // Populate(version, seed), Write, Read back: fails unless equal and the
  // re-encoding has the same bytes.
  std::function<absl::Status(int16_t version, uint32_t seed)> round_trip;
  // The populated message's bytes (and the Write status).
  std::function<absl::StatusOr<std::string>(int16_t version, uint32_t seed)> populated_bytes;
  // Read the whole of `bytes` (trailing bytes are an error).
  std::function<absl::Status(absl::Span<const uint8_t> bytes, int16_t version)> decode;
  std::function<absl::StatusOr<nlohmann::json>(absl::Span<const uint8_t> bytes, int16_t version)> decode_positional;
  std::function<absl::StatusOr<std::string>(const nlohmann::json& positional, int16_t version)> encode_positional;
};

absl::Span<const MessageType> AllMessageTypes();
const MessageType* FindMessageType(std::string_view name);

}  // namespace samsa::kafka::testing
"""

PRELUDE = """#include "kafka/messages/testing.h"

#include <string>
#include <vector>

#include <fmt/format.h>

#include "util/status_macros.h"

namespace samsa::kafka::testing {
namespace {

template <typename T>
T IntValue(uint32_t n, T def) {
  const uint64_t x = (static_cast<uint64_t>(n) + 1) * 0x9E3779B97F4A7C15ULL;
  T v = static_cast<T>(x >> (64 - 8 * sizeof(T)));
  if (v == def) v = static_cast<T>(v + 1);
  return v;
}

Uuid UuidValue(uint32_t n) {
  Uuid u;
  for (size_t i = 0; i < u.bytes.size(); ++i) u.bytes[i] = static_cast<uint8_t>(n * 17 + i * 3 + 1);
  return u;
}

std::string StringValue(uint32_t seed, int k) {
  return seed % 4 == 3 ? fmt::format("s{}-{}-\\u00e9\\u65e5", seed, k) : fmt::format("s{}-{}", seed, k);
}

std::string BytesValue(uint32_t seed, int k) {
  std::string b = {'\\0', '\\xff', static_cast<char>(seed), static_cast<char>(k)};
  b += fmt::format("b{}", seed);
  return b;
}

nlohmann::json HexJson(std::string_view s) {
  std::string hex;
  for (unsigned char c : s) hex += fmt::format("{:02x}", c);
  return nlohmann::json{{"hex", hex}};
}

nlohmann::json UuidJson(const Uuid& u) {
  return HexJson(std::string(reinterpret_cast<const char*>(u.bytes.data()), u.bytes.size()));
}

absl::Status HexFromJson(const nlohmann::json& j, std::string* out) {
  if (!j.is_object() || !j.contains("hex") || !j["hex"].is_string()) {
    return absl::InvalidArgumentError("expected {\\"hex\\": ...}");
  }
  const std::string hex = j["hex"].get<std::string>();
  if (hex.size() % 2 != 0) return absl::InvalidArgumentError("odd hex length");
  out->clear();
  for (size_t i = 0; i < hex.size(); i += 2) out->push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return absl::OkStatus();
}

absl::Status HexFromJson(const nlohmann::json& j, BytesRef* out) {
  std::string bytes;
  SAMSA_RETURN_IF_ERROR(HexFromJson(j, &bytes));
  *out = BytesRef(std::move(bytes));
  return absl::OkStatus();
}

absl::Status UuidFromJson(const nlohmann::json& j, Uuid* out) {
  std::string bytes;
  SAMSA_RETURN_IF_ERROR(HexFromJson(j, &bytes));
  if (bytes.size() != 16) return absl::InvalidArgumentError("uuid is not 16 bytes");
  for (size_t i = 0; i < 16; ++i) out->bytes[i] = static_cast<uint8_t>(bytes[i]);
  return absl::OkStatus();
}

template <typename T>
absl::Status Get(const nlohmann::json& j, T* out) {
  if constexpr (std::is_same_v<T, bool>) {
    if (!j.is_boolean()) return absl::InvalidArgumentError("expected a bool: " + j.dump());
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!j.is_string()) return absl::InvalidArgumentError("expected a string: " + j.dump());
  } else {
    if (!j.is_number()) return absl::InvalidArgumentError("expected a number: " + j.dump());
  }
  *out = j.get<T>();
  return absl::OkStatus();
}

"""

TABLE = """
template <typename T>
MessageType Make(int16_t api_key, bool is_request) {
  MessageType t;
  t.name = T::kName;
  t.api_key = api_key;
  t.is_request = is_request;
  t.min_version = T::kMinVersion;
  t.max_version = T::kMaxVersion;
  t.first_flexible_version = T::kFirstFlexibleVersion;
  t.populated_bytes = [](int16_t version, uint32_t seed) -> absl::StatusOr<std::string> {
    T m;
    Populate(m, version, seed);
    Writer w;
    m.Write(w, version);
    SAMSA_RETURN_IF_ERROR(w.status());
    return w.Release();
  };
  t.round_trip = [](int16_t version, uint32_t seed) -> absl::Status {
    T m;
    Populate(m, version, seed);
    Writer w;
    m.Write(w, version);
    SAMSA_RETURN_IF_ERROR(w.status());
    const std::string bytes = w.Release();
    Reader r(bytes.data(), bytes.size());
    T back;
    SAMSA_RETURN_IF_ERROR(back.Read(r, version));
    if (!r.empty()) return absl::InternalError(fmt::format("{} v{}: {} bytes left after Read", T::kName, version, r.remaining()));
    if (!(back == m)) return absl::InternalError(fmt::format("{} v{}: read back differs from what was written", T::kName, version));
    Writer again;
    back.Write(again, version);
    if (again.Release() != bytes) return absl::InternalError(fmt::format("{} v{}: re-encoding differs", T::kName, version));
    return absl::OkStatus();
  };
  t.decode = [](absl::Span<const uint8_t> bytes, int16_t version) -> absl::Status {
    T m;
    Reader r(bytes);
    SAMSA_RETURN_IF_ERROR(m.Read(r, version));
    if (!r.empty()) return absl::InvalidArgumentError(fmt::format("{} trailing bytes", r.remaining()));
    return absl::OkStatus();
  };
  t.decode_positional = [](absl::Span<const uint8_t> bytes, int16_t version) -> absl::StatusOr<nlohmann::json> {
    T m;
    Reader r(bytes);
    SAMSA_RETURN_IF_ERROR(m.Read(r, version));
    if (!r.empty()) return absl::InvalidArgumentError(fmt::format("{} trailing bytes", r.remaining()));
    nlohmann::json tokens = nlohmann::json::array();
    ToPositional(m, version, tokens);
    return tokens;
  };
  t.encode_positional = [](const nlohmann::json& j, int16_t version) -> absl::StatusOr<std::string> {
    T m;
    if (!j.is_array()) return absl::InvalidArgumentError("expected an array of tokens");
    size_t at = 0;
    SAMSA_RETURN_IF_ERROR(FromPositional(j, at, version, &m));
    if (at != j.size()) return absl::InvalidArgumentError(fmt::format("{} tokens left over", j.size() - at));
    Writer w;
    m.Write(w, version);
    SAMSA_RETURN_IF_ERROR(w.status());
    return w.Release();
  };
  return t;
}

}  // namespace

absl::Span<const MessageType> AllMessageTypes() {
  static const std::vector<MessageType>* const kTypes = new std::vector<MessageType>{
%s
  };
  return absl::MakeConstSpan(*kTypes);
}

const MessageType* FindMessageType(std::string_view name) {
  for (const MessageType& t : AllMessageTypes()) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

}  // namespace samsa::kafka::testing
"""


def generate(groups, out_dir, gen):
    msgs = [m for g in sorted(groups) for m in groups[g]]
    body = [PRELUDE]
    decls = []
    for m in msgs:
        for s in m.structs:
            s.qualified = "%s::%s" % (m.name, s.name)
        m.root.qualified = m.name
        for s in m.all_structs():
            decls.append("void Populate(%s& m, int16_t version, uint32_t seed);" % s.qualified)
            decls.append("[[maybe_unused]] void ToPositional(const %s& m, int16_t version, nlohmann::json& out);" % s.qualified)
            decls.append("[[maybe_unused]] absl::Status FromPositional(const nlohmann::json& in, size_t& at, int16_t version, %s* m);" % s.qualified)
    body += decls + [""]
    for m in msgs:
        for s in m.all_structs():
            body += populate_struct(s, m, gen) + [""]
            body += positional_struct(s, m, gen)
    entries = []
    for m in msgs:
        entries.append("      Make<%s>(%d, %s)," % (m.name, m.api_key if m.api_key is not None else -1,
                                                   "true" if m.kind in ("request",) or m.name == "RequestHeader" else "false"))
    body.append(TABLE % "\n".join(entries))
    gen.write_if_changed(os.path.join(out_dir, "testing.h"), HEADER)
    gen.write_if_changed(os.path.join(out_dir, "testing.cc"), "\n".join(body))

#!/usr/bin/env python3
"""Generates samsa's Kafka message codec from Apache Kafka's JSON schemas.

  kafka_codegen.py --out DIR SCHEMA.json...            library code
  kafka_codegen.py --testing --out DIR SCHEMA.json...  test support

Library output (DIR/kafka/messages/):
  <api>.h / <api>.cc   one pair per API: a struct for the request and the
                       response (nested structs inside), with Read/Write
  headers.h / .cc      RequestHeader and ResponseHeader
  api_keys.h / .cc     the ApiKey enum and the table of every API's versions
  messages.h           includes all of the above

Test-support output (DIR/kafka/messages/testing.{h,cc}): Populate() (a value
with a non-default value in every field present at a version), positional
JSON conversion (for the kafka-python interop test), and a table of every
message type.

The schema semantics implemented are those of Kafka's README
(clients/src/main/resources/common/message/README.md, copied into
lib/kafka/schemas/README.md): per-field "versions", "nullableVersions",
"taggedVersions"/"tag", "ignorable", "default", "flexibleVersions" (message and
field level). Standard library only.
"""

import argparse
import json
import os
import re
import sys

MAX_VERSION = 32767

PRIMS = {
    "bool": ("bool", "Bool", 1),
    "int8": ("int8_t", "Int8", 1),
    "int16": ("int16_t", "Int16", 2),
    "uint16": ("uint16_t", "Uint16", 2),
    "int32": ("int32_t", "Int32", 4),
    "uint32": ("uint32_t", "Uint32", 4),
    "int64": ("int64_t", "Int64", 8),
    "float64": ("double", "Float64", 8),
    "uuid": ("Uuid", "Uuid", 16),
}
VARLEN = {"string", "bytes", "records"}

# Fields decoded as a view into the buffer read rather than a copy
# (kafka::BytesRef, kafka/protocol/wire_types.h): (message, field). A
# ProduceRequest's records are most of a produce frame; the broker appends
# them from the request frame itself.
ZERO_COPY = {("ProduceRequest", "Records")}

CPP_KEYWORDS = {
    "alignas", "alignof", "and", "asm", "auto", "bool", "break", "case", "catch", "char", "class",
    "const", "continue", "default", "delete", "do", "double", "else", "enum", "explicit", "export",
    "extern", "false", "float", "for", "friend", "goto", "if", "inline", "int", "long", "mutable",
    "namespace", "new", "noexcept", "not", "nullptr", "operator", "or", "private", "protected",
    "public", "register", "return", "short", "signed", "sizeof", "static", "struct", "switch",
    "template", "this", "throw", "true", "try", "typedef", "typeid", "typename", "union",
    "unsigned", "using", "virtual", "void", "volatile", "while", "xor",
    # names used by the generated code itself
    "version", "reader", "writer", "flexible", "m", "unknown_tagged_fields",
}


class Range:
    def __init__(self, text):
        text = text.strip()
        if text == "none":
            self.lo, self.hi = 1, 0
        elif text.endswith("+"):
            self.lo, self.hi = int(text[:-1]), MAX_VERSION
        elif "-" in text:
            a, b = text.split("-")
            self.lo, self.hi = int(a), int(b)
        else:
            self.lo = self.hi = int(text)

    def empty(self):
        return self.lo > self.hi

    def contains(self, v):
        return self.lo <= v <= self.hi

    def intersect(self, other):
        r = Range("none")
        r.lo, r.hi = max(self.lo, other.lo), min(self.hi, other.hi)
        return r

    def covers(self, other):
        """True when every version of `other` is in self."""
        return other.empty() or (self.lo <= other.lo and other.hi <= self.hi)

    def cond(self, within):
        """A C++ condition on `version` for this range, given that `version`
        is known to be in `within` ("" when always true, "false" if never)."""
        r = self.intersect(within)
        if r.empty():
            return "false"
        parts = []
        if r.lo > within.lo:
            parts.append("version >= %d" % r.lo)
        if r.hi < within.hi:
            parts.append("version <= %d" % r.hi)
        return " && ".join(parts)


def snake(name):
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    s = s.lower()
    if s in CPP_KEYWORDS:
        s += "_"
    return s


def load_json(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    lines = [l for l in text.split("\n") if not l.strip().startswith("//")]
    return json.loads("\n".join(lines))


class Field:
    def __init__(self, spec, msg, parent_versions):
        self.name = spec["name"]
        self.cpp = snake(self.name)
        self.type = spec["type"]
        self.is_array = self.type.startswith("[]")
        self.elem = self.type[2:] if self.is_array else self.type
        self.versions = Range(spec.get("versions", "0+")).intersect(parent_versions)
        self.nullable = Range(spec.get("nullableVersions", "none"))
        self.tagged = Range(spec["taggedVersions"]) if "taggedVersions" in spec else None
        self.tag = spec.get("tag")
        self.ignorable = bool(spec.get("ignorable", False))
        self.default = spec.get("default")
        if isinstance(self.default, bool):
            self.default = "true" if self.default else "false"
        elif self.default is not None and not isinstance(self.default, str):
            self.default = str(self.default)
        self.flex_override = Range(spec["flexibleVersions"]) if "flexibleVersions" in spec else None
        self.about = spec.get("about", "")
        self.struct = None
        if self.elem in PRIMS or self.elem in VARLEN:
            if "fields" in spec:
                raise SystemExit("%s: primitive field %s has fields" % (msg.name, self.name))
        else:
            if "fields" in spec:
                self.struct = msg.add_struct(self.elem, spec["fields"], self.versions)
            elif self.elem in msg.common:
                self.struct = msg.common[self.elem]
            else:
                raise SystemExit("%s: unknown type %s" % (msg.name, self.type))
            if not self.is_array and not self.nullable.empty():
                raise SystemExit("%s: nullable struct field %s is not supported" % (msg.name, self.name))
        if self.elem == "records" and self.nullable.empty():
            self.nullable = Range("0+")  # records are nullable bytes on the wire
        self.zero_copy = (msg.name, self.name) in ZERO_COPY
        if self.zero_copy and (self.is_array or self.elem not in ("bytes", "records") or self.nullable.empty()):
            raise SystemExit("%s: zero-copy field %s must be nullable bytes or records" % (msg.name, self.name))
        if self.tag is not None and self.tagged is None:
            raise SystemExit("%s: field %s has a tag but no taggedVersions" % (msg.name, self.name))

    # ---- C++ types and defaults ---------------------------------------------------

    def is_optional(self):
        """Whether the C++ member is std::optional (nullable in some version)."""
        return (self.is_array or self.elem in VARLEN) and not self.nullable.empty()

    def elem_cpp(self):
        if self.struct is not None:
            return self.struct.name
        if self.elem in PRIMS:
            return PRIMS[self.elem][0]
        if self.zero_copy:
            return "BytesRef"
        return "std::string"

    def cpp_type(self):
        t = self.elem_cpp()
        if self.is_array:
            t = "std::vector<%s>" % t
        if self.is_optional():
            t = "std::optional<%s>" % t
        return t

    def default_expr(self):
        """C++ expression of the default, or None for value-initialisation."""
        d = self.default
        if self.is_array:
            if d == "null":
                return None  # nullopt
            return "%s{}" % self.cpp_type()[len("std::optional<"):-1] if self.is_optional() else None
        if self.elem in ("string", "bytes", "records"):
            if d == "null" or self.elem == "records":
                return None
            if self.is_optional():
                return "std::string(%s)" % (json.dumps(d) if d else "")
            return json.dumps(d) if d else None
        if self.elem == "bool":
            return "true" if d == "true" else None
        if self.elem == "uuid" or self.struct is not None:
            return None
        if self.elem == "float64":
            return repr(float(d)) if d else None
        if d is None:
            return None
        v = int(d, 0)
        if v == 0:
            return None
        bits = {"int8": 8, "int16": 16, "int32": 32, "int64": 64, "uint16": 16, "uint32": 32}[self.elem]
        if self.elem.startswith("int") and v == -(1 << (bits - 1)):
            return "std::numeric_limits<%s>::min()" % PRIMS[self.elem][0]
        return str(v) + ("LL" if self.elem == "int64" and abs(v) > 0x7fffffff else "")

    def is_default_expr(self, member):
        """C++ expression true when `member` holds the field's default."""
        d = self.default_expr()
        if self.is_array:
            if self.is_optional():
                return ("!%s.has_value()" % member) if d is None else ("(%s.has_value() && %s->empty())" % (member, member))
            return "%s.empty()" % member
        if self.elem in VARLEN:
            if self.is_optional():
                if d is None:
                    return "!%s.has_value()" % member
                return "(%s.has_value() && *%s == %s)" % (member, member, json.dumps(self.default or ""))
            return ("%s.empty()" % member) if d is None else ("%s == %s" % (member, d))
        if self.elem == "uuid":
            return "%s.IsZero()" % member
        if self.struct is not None:
            return "%s == %s{}" % (member, self.struct.qualified or self.struct.name)
        if self.elem == "bool":
            return ("!%s" % member) if d is None else member
        return "%s == %s" % (member, d if d is not None else "0")


class Struct:
    def __init__(self, name, fields, msg, versions):
        self.name = name
        self.qualified = None
        self.versions = versions
        self.fields = [Field(f, msg, versions) for f in fields]
        tags = [f.tag for f in self.fields if f.tag is not None]
        if len(tags) != len(set(tags)):
            raise SystemExit("%s: duplicate tags in %s" % (msg.name, name))


class Message:
    def __init__(self, spec, path):
        self.spec = spec
        self.path = path
        self.name = spec["name"]
        self.kind = spec["type"]  # request, response, header
        self.api_key = spec.get("apiKey")
        self.valid = Range(spec["validVersions"])
        self.flexible = Range(spec.get("flexibleVersions", "none"))
        self.unstable_latest = bool(spec.get("latestVersionUnstable", False))
        self.structs = []  # innermost first
        self.common = {}
        for cs in spec.get("commonStructs", []):
            self.common[cs["name"]] = self.add_struct(cs["name"], cs["fields"], self.valid)
        self.root = Struct(self.name, spec["fields"], self, self.valid)

    def add_struct(self, name, fields, versions):
        for s in self.structs:
            if s.name == name:
                raise SystemExit("%s: struct %s defined twice" % (self.name, name))
        s = Struct(name, fields, self, versions)
        self.structs.append(s)
        return s

    def all_structs(self):
        return self.structs + [self.root]


# ---- helpers for code emission ------------------------------------------------------


def guard(cond, body, indent):
    """Wraps lines `body` (already indented by `indent`) in `if (cond)`."""
    if cond == "":
        return body
    if cond == "false":
        return []
    pad = " " * indent
    return [pad + "if (%s) {" % cond] + ["  " + l for l in body] + [pad + "}"]


def field_compact(f, msg):
    """C++ expression: whether `f` uses compact encodings at `version`."""
    if f.flex_override is not None:
        c = f.flex_override.cond(msg.valid)
        return "true" if c == "" else ("false" if c == "false" else "(%s)" % c)
    return "false" if msg.flexible.empty() else "flexible"


def nullable_expr(f, msg):
    c = f.nullable.cond(msg.valid)
    return "true" if c == "" else ("false" if c == "false" else "(%s)" % c)


def min_size(struct, v, flexible, seen=()):
    """Minimum encoded size of `struct` at version v (for count checks)."""
    n = 0
    for f in struct.fields:
        if not f.versions.contains(v) or (f.tagged is not None and f.tagged.contains(v)):
            continue
        if f.is_array or f.elem in VARLEN:
            compact = flexible.contains(v) and not (f.flex_override and not f.flex_override.contains(v))
            n += 1 if compact else (2 if f.elem == "string" and not f.is_array else 4)
        elif f.struct is not None:
            n += min_size(f.struct, v, flexible)
        else:
            n += PRIMS[f.elem][2]
    if flexible.contains(v):
        n += 1
    return n


class Emitter:
    def __init__(self, msg):
        self.msg = msg

    def fn(self, s):
        return "Read" + s.name if s is not self.msg.root else "ReadMessage"

    # Reading one value of field f into lvalue `dst` from reader `rd`; `err`
    # is the C++ expression giving the field name for errors.
    def read_value(self, f, dst, rd, indent, name):
        msg = self.msg
        pad = " " * indent
        compact = field_compact(f, msg)
        out = []
        if f.is_array:
            elem_min = 1
            cnt = "%s_count" % f.cpp.rstrip("_")
            if f.struct is not None:
                out.append(pad + "int32_t %s;" % cnt)
                out.append(pad + "if (!%s.ReadArrayLength(&%s, %s, %s, k%sMinSize[version])) return %s.Error(\"%s\");"
                           % (rd, cnt, compact, nullable_expr(f, msg) if f.is_optional() else "false", f.struct.name, rd, name))
            else:
                elem_min = PRIMS[f.elem][2] if f.elem in PRIMS else 1
                out.append(pad + "int32_t %s;" % cnt)
                out.append(pad + "if (!%s.ReadArrayLength(&%s, %s, %s, %d)) return %s.Error(\"%s\");"
                           % (rd, cnt, compact, nullable_expr(f, msg) if f.is_optional() else "false", elem_min, rd, name))
            vec = dst
            if f.is_optional():
                out.append(pad + "if (%s < 0) {" % cnt)
                out.append(pad + "  %s.reset();" % dst)
                out.append(pad + "} else {")
                out.append(pad + "  %s.emplace();" % dst)
                vec = "(*%s)" % dst
                inner = pad + "  "
            else:
                inner = pad
            # Grow as elements are read: memory follows the bytes actually present.
            out.append(inner + "%s.reserve(std::min<size_t>(static_cast<size_t>(%s), kMaxReserve));" % (vec, cnt))
            out.append(inner + "for (int32_t i = 0; i < %s; ++i) {" % cnt)
            out.append(inner + "  %s.emplace_back();" % vec)
            elem = "%s.back()" % vec
            if f.struct is not None:
                out.append(inner + "  if (absl::Status s = %s(%s, %s, version); !s.ok()) return NestReadError(\"%s\", i, s);"
                           % (self.fn(f.struct), elem, rd, name))
            else:
                out += self.read_scalar(f, elem, rd, indent + (4 if f.is_optional() else 2), name, compact)
            out.append(inner + "}")
            if f.is_optional():
                out.append(pad + "}")
            return out
        if f.struct is not None:
            out.append(pad + "if (absl::Status s = %s(%s, %s, version); !s.ok()) return NestReadError(\"%s\", -1, s);"
                       % (self.fn(f.struct), dst, rd, name))
            return out
        return self.read_scalar(f, dst, rd, indent, name, compact)

    def read_scalar(self, f, dst, rd, indent, name, compact):
        pad = " " * indent
        msg = self.msg
        if f.elem in PRIMS:
            call = "Read%s(&%s)" % (PRIMS[f.elem][1], dst)
        elif f.elem == "string":
            if f.is_optional() and not f.is_array:
                call = "ReadNullableString(&%s, %s, %s)" % (dst, compact, nullable_expr(f, msg))
            else:
                call = "ReadString(&%s, %s)" % (dst, compact)
        else:  # bytes, records
            if f.is_optional() and not f.is_array:
                call = "ReadNullableBytes(&%s, %s, %s)" % (dst, compact, nullable_expr(f, msg))
            else:
                call = "ReadBytes(&%s, %s)" % (dst, compact)
        return [pad + "if (!%s.%s) return %s.Error(\"%s\");" % (rd, call, rd, name)]

    def write_value(self, f, src, indent, name):
        msg = self.msg
        pad = " " * indent
        compact = field_compact(f, msg)
        out = []
        if f.is_array:
            vec = src
            inner = pad
            if f.is_optional():
                out.append(pad + "if (!%s.has_value()) {" % src)
                out.append(pad + "  if (!%s) writer.Fail(\"%s\", \"null is not allowed at this version\");"
                           % (nullable_expr(f, msg), name))
                out.append(pad + "  writer.WriteNullArray(%s);" % compact)
                out.append(pad + "} else {")
                vec = "(*%s)" % src
                inner = pad + "  "
            out.append(inner + "writer.WriteArrayLength(%s.size(), %s);" % (vec, compact))
            out.append(inner + "for (const auto& element : %s) {" % vec)
            if f.struct is not None:
                out.append(inner + "  Write%s(element, writer, version);" % f.struct.name)
            else:
                out += self.write_scalar(f, "element", len(inner) + 2, name, compact, in_array=True)
            out.append(inner + "}")
            if f.is_optional():
                out.append(pad + "}")
            return out
        if f.struct is not None:
            return [pad + "Write%s(%s, writer, version);" % (f.struct.name, src)]
        return self.write_scalar(f, src, indent, name, compact, in_array=False)

    def write_scalar(self, f, src, indent, name, compact, in_array):
        pad = " " * indent
        msg = self.msg
        if f.elem in PRIMS:
            return [pad + "writer.Write%s(%s);" % (PRIMS[f.elem][1], src)]
        nullable = f.is_optional() and not in_array
        if f.elem == "string":
            if nullable:
                return [pad + "writer.WriteNullableString(%s, %s, %s, \"%s\");" % (src, compact, nullable_expr(f, msg), name)]
            return [pad + "writer.WriteString(%s, %s, \"%s\");" % (src, compact, name)]
        if nullable:
            return [pad + "writer.WriteNullableBytes(%s, %s, %s, \"%s\");" % (src, compact, nullable_expr(f, msg), name)]
        return [pad + "writer.WriteBytes(%s, %s);" % (src, compact)]

    def struct_read(self, s):
        msg = self.msg
        out = []
        out.append("absl::Status %s(%s& m, Reader& reader, int16_t version) {" % (self.fn(s), s.qualified))
        out.append("  m = %s();" % s.qualified)
        if not msg.flexible.empty():
            c = msg.flexible.cond(msg.valid)
            out.append("  const bool flexible = %s;" % ("true" if c == "" else c))
        for f in s.fields:
            present = f.versions
            if f.tagged is not None:
                present = f.versions.intersect(Range("0-%d" % (f.tagged.lo - 1)))  # tagged-only otherwise
            if present.empty():
                continue
            body = self.read_value(f, "m." + f.cpp, "reader", 2, f.cpp)
            out += guard(present.cond(msg.valid), body, 2)
        if not msg.flexible.empty():
            out.append("  if (flexible) {")
            out.append("    uint32_t num_tagged;")
            out.append("    if (!reader.ReadTaggedFieldCount(&num_tagged)) return reader.Error(\"tagged fields\");")
            out.append("    for (uint32_t t = 0; t < num_tagged; ++t) {")
            out.append("      uint32_t tag;")
            out.append("      Reader body(nullptr, 0);")
            out.append("      if (!reader.ReadTaggedField(&tag, &body)) return reader.Error(\"tagged fields\");")
            tagged = [f for f in s.fields if f.tag is not None]
            if tagged:
                out.append("      switch (tag) {")
                for f in sorted(tagged, key=lambda f: f.tag):
                    cond = f.versions.intersect(f.tagged).cond(msg.valid)
                    if cond == "false":
                        continue
                    out.append("        case %d: {" % f.tag)
                    inner = self.read_value(f, "m." + f.cpp, "body", 10, f.cpp)
                    check = ["          if (!body.empty()) {",
                             "            body.Fail(\"tagged field longer than its value\");",
                             "            return body.Error(\"%s\");" % f.cpp,
                             "          }",
                             "          continue;"]
                    if cond:
                        out.append("          if (%s) {" % cond)
                        out += ["  " + l for l in inner + check]
                        out.append("          }")
                        out.append("          break;")
                    else:
                        out += inner + check
                    out.append("        }")
                out.append("        default:")
                out.append("          break;")
                out.append("      }")
            out.append("      const absl::Span<const uint8_t> raw = body.rest();")
            out.append("      m.unknown_tagged_fields.push_back({tag, std::string(reinterpret_cast<const char*>(raw.data()), raw.size())});")
            out.append("    }")
            out.append("  }")
        out.append("  return absl::OkStatus();")
        out.append("}")
        return out

    def struct_write(self, s):
        msg = self.msg
        out = []
        out.append("void Write%s(const %s& m, Writer& writer, int16_t version) {" % (s.name, s.qualified))
        if not msg.flexible.empty():
            c = msg.flexible.cond(msg.valid)
            out.append("  const bool flexible = %s;" % ("true" if c == "" else c))
        for f in s.fields:
            present = f.versions
            if f.tagged is not None:
                present = f.versions.intersect(Range("0-%d" % (f.tagged.lo - 1)))
            cond = present.cond(msg.valid)
            if f.tag is not None and cond == "false":
                continue  # written only in the tagged section
            body = self.write_value(f, "m." + f.cpp, 2, f.cpp)
            absent = self.absent_check(f, present) if f.tag is None else []
            if cond == "":
                out += body
            elif cond == "false":
                out += ["  " + l for l in absent]
            else:
                out += guard(cond, body, 2)[:-1]
                if absent:
                    out.append("  } else {")
                    out += ["    " + l for l in absent]
                out.append("  }")
        if not msg.flexible.empty():
            tagged = sorted([f for f in s.fields if f.tag is not None], key=lambda f: f.tag)
            out.append("  if (flexible) {")
            out.append("    size_t num_tagged = m.unknown_tagged_fields.size();")
            for f in tagged:
                cond = f.versions.intersect(f.tagged).cond(msg.valid)
                c = "!(%s)" % f.is_default_expr("m." + f.cpp)
                if cond == "false":
                    continue
                if cond:
                    c = "(%s) && %s" % (cond, c)
                out.append("    const bool write_%s = %s;" % (f.cpp, c))
                out.append("    num_tagged += write_%s;" % f.cpp)
            out.append("    writer.WriteUnsignedVarint(static_cast<uint32_t>(num_tagged));")
            out.append("    size_t u = 0;")
            for f in tagged:
                cond = f.versions.intersect(f.tagged).cond(msg.valid)
                if cond == "false":
                    continue
                if f.tag > 0:
                    out.append("    for (; u < m.unknown_tagged_fields.size() && m.unknown_tagged_fields[u].tag < %d; ++u) {" % f.tag)
                    out.append("      WriteRawTaggedField(m.unknown_tagged_fields[u], writer);")
                    out.append("    }")
                out.append("    if (write_%s) {" % f.cpp)
                out.append("      Writer field;")
                out += ["      " + l.replace("writer.", "field.").replace(", writer, ", ", field, ")
                        for l in self.write_value(f, "m." + f.cpp, 0, f.cpp)]
                out.append("      WriteTaggedField(%d, field, writer);" % f.tag)
                out.append("    }")
            out.append("    for (; u < m.unknown_tagged_fields.size(); ++u) WriteRawTaggedField(m.unknown_tagged_fields[u], writer);")
            out.append("  }")
            # Tagged fields asked for at a version without them.
            for f in tagged:
                missing = Range("0-%d" % (max(f.tagged.lo, f.versions.lo) - 1)).intersect(msg.valid)
                absent = self.absent_check(f, f.versions.intersect(f.tagged))
                if absent and not missing.empty():
                    out += guard(missing.cond(msg.valid), ["  " + l for l in absent], 2)
        out.append("}")
        return out

    def absent_check(self, f, present):
        """Lines run when f is not written at `version`: fail on a
        non-default value of a non-ignorable field."""
        if f.ignorable:
            return []
        return ["if (!(%s)) writer.Fail(\"%s\", \"a non-default value cannot be written at this version\");"
                % (f.is_default_expr("m." + f.cpp), f.cpp)]


def declare_struct(s, msg, indent, top):
    pad = " " * indent
    out = []
    out.append(pad + "struct %s {" % s.name)
    if top:
        for ns in msg.structs:
            out += declare_struct(ns, msg, indent + 2, False)
            out.append("")
        if msg.api_key is not None:
            out.append(pad + "  static constexpr ApiKey kApiKey = ApiKey::k%s;" % api_name(msg))
        out.append(pad + "  static constexpr std::string_view kName = \"%s\";" % msg.name)
        out.append(pad + "  static constexpr int16_t kMinVersion = %d;" % msg.valid.lo)
        out.append(pad + "  static constexpr int16_t kMaxVersion = %d;" % msg.valid.hi)
        out.append(pad + "  // -1 when no version is flexible.")
        out.append(pad + "  static constexpr int16_t kFirstFlexibleVersion = %d;"
                   % (-1 if msg.flexible.empty() else msg.flexible.lo))
        out.append("")
    for f in s.fields:
        notes = ["v%s" % rng_text(f.versions)]
        if not f.nullable.empty() and (f.is_optional()):
            notes.append("nullable v%s" % rng_text(f.nullable))
        if f.tag is not None:
            notes.append("tag %d v%s" % (f.tag, rng_text(f.tagged)))
        if f.ignorable:
            notes.append("ignorable")
        about = f.about.strip()
        out.append(pad + "  // %s [%s]" % (about, ", ".join(notes)) if about else pad + "  // [%s]" % ", ".join(notes))
        d = f.default_expr()
        out.append(pad + "  %s %s%s;" % (f.cpp_type(), f.cpp, (" = %s" % d) if d else "{}"))
    if not msg.flexible.empty():
        out.append(pad + "  // Tagged fields this codec does not know, written back as read.")
        out.append(pad + "  UnknownTaggedFields unknown_tagged_fields;")
    out.append("")
    if top:
        out.append(pad + "  // Replaces *this with the message in `reader` at `version`. On error")
        out.append(pad + "  // (INVALID_REQUEST, or UNSUPPORTED_VERSION for a version outside")
        out.append(pad + "  // [kMinVersion, kMaxVersion]) the status names the field.")
        out.append(pad + "  [[nodiscard]] absl::Status Read(Reader& reader, int16_t version);")
        out.append(pad + "  // Appends the message at `version`; errors are recorded in writer.status().")
        out.append(pad + "  void Write(Writer& writer, int16_t version) const;")
    out.append(pad + "  friend bool operator==(const %s&, const %s&) = default;" % (s.name, s.name))
    out.append(pad + "};")
    return out


def rng_text(r):
    if r.empty():
        return "none"
    if r.hi == MAX_VERSION:
        return "%d+" % r.lo
    if r.lo == r.hi:
        return "%d" % r.lo
    return "%d-%d" % (r.lo, r.hi)


def api_name(msg):
    n = msg.name
    for suffix in ("Request", "Response"):
        if n.endswith(suffix):
            return n[: -len(suffix)]
    return n


LICENSE_NOTE = ("// Generated by lib/kafka/codegen/kafka_codegen.py from Apache Kafka's message\n"
                "// schemas (lib/kafka/schemas/, Apache-2.0). Do not edit.\n")


def gen_group(group, msgs, out_dir):
    """group: file stem; msgs: list of Message."""
    h = [LICENSE_NOTE, "//", "// Thread-safety: plain values.", "#pragma once", "",
         "#include <cstdint>", "#include <limits>", "#include <optional>", "#include <string>",
         "#include <string_view>", "#include <vector>", "",
         "#include \"absl/status/status.h\"",
         "#include \"kafka/messages/api_keys.h\"",
         "#include \"kafka/protocol/reader.h\"",
         "#include \"kafka/protocol/wire_types.h\"",
         "#include \"kafka/protocol/writer.h\"", "",
         "namespace samsa::kafka {", ""]
    for m in msgs:
        h += ["// %s (%s) v%s, flexible v%s: see lib/kafka/schemas/%s." % (
            m.name, "api key %d" % m.api_key if m.api_key is not None else "header",
            rng_text(m.valid), rng_text(m.flexible), os.path.basename(m.path))]
        h += declare_struct(m.root, m, 0, True)
        h.append("")
    h += ["}  // namespace samsa::kafka", ""]

    c = [LICENSE_NOTE, "#include \"kafka/messages/%s.h\"" % group, "",
         "#include <algorithm>", "#include <cstddef>", "",
         "#include \"kafka/protocol/codec_support.h\"", "",
         "namespace samsa::kafka {", "namespace {", ""]
    for m in msgs:
        for s in m.structs:
            s.qualified = "%s::%s" % (m.name, s.name)
        m.root.qualified = m.name
        em = Emitter(m)
        c.append("// ---- %s " % m.name + "-" * max(0, 70 - len(m.name)))
        c.append("")
        for s in m.structs:
            sizes = [min_size(s, v, m.flexible) for v in range(0, m.valid.hi + 1)]
            c.append("// Minimum encoded size of one %s at each version (count checks)." % s.name)
            c.append("constexpr size_t k%sMinSize[] = {%s};" % (s.name, ", ".join(str(x) for x in sizes)))
        if m.structs:
            c.append("")
        for s in m.structs:
            c.append("absl::Status Read%s(%s& m, Reader& reader, int16_t version);" % (s.name, s.qualified))
            c.append("void Write%s(const %s& m, Writer& writer, int16_t version);" % (s.name, s.qualified))
        if m.structs:
            c.append("")
        for s in m.all_structs():
            c += em.struct_read(s)
            c.append("")
            c += em.struct_write(s)
            c.append("")
    c.append("}  // namespace")
    c.append("")
    for m in msgs:
        c += ["absl::Status %s::Read(Reader& reader, int16_t version) {" % m.name,
              "  if (version < kMinVersion || version > kMaxVersion) return UnsupportedVersionError(kName, version);",
              "  if (absl::Status s = ReadMessage(*this, reader, version); !s.ok()) return MessageReadError(kName, version, s);",
              "  return absl::OkStatus();",
              "}", "",
              "void %s::Write(Writer& writer, int16_t version) const {" % m.name,
              "  const size_t errors_before = writer.error_count();",
              "  if (version < kMinVersion || version > kMaxVersion) {",
              "    writer.Fail(\"version\", \"unsupported version\");",
              "  } else {",
              "    WriteMessage(*this, writer, version);",
              "  }",
              "  writer.QualifyError(errors_before, kName, version);",
              "}", ""]
    c += ["}  // namespace samsa::kafka", ""]
    # The root struct's writer is named after the message.
    text_c = "\n".join(c)
    for m in msgs:
        text_c = text_c.replace("void Write%s(const %s& m," % (m.name, m.name), "void WriteMessage(const %s& m," % m.name)
    write_if_changed(os.path.join(out_dir, group + ".h"), "\n".join(h))
    write_if_changed(os.path.join(out_dir, group + ".cc"), text_c)


def write_if_changed(path, text):
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def group_of(msg):
    return snake(api_name(msg)) if msg.api_key is not None else "headers"


def gen_api_keys(apis, out_dir):
    """apis: list of (request Message, response Message) sorted by api key."""
    h = [LICENSE_NOTE, "//",
         "// ApiKey: every API samsa's codec knows, numbered as Kafka numbers them, and",
         "// the table of their versions (from the request schemas' validVersions and",
         "// flexibleVersions), from which ApiVersions is answered.",
         "//", "// Thread-safety: immutable data.", "#pragma once", "",
         "#include <cstdint>", "#include <string_view>", "",
         "#include \"absl/types/span.h\"", "",
         "namespace samsa::kafka {", "",
         "enum class ApiKey : int16_t {"]
    for req, _ in apis:
        h.append("  k%s = %d," % (api_name(req), req.api_key))
    h += ["};", "",
          "struct ApiInfo {",
          "  ApiKey key;",
          "  std::string_view name;",
          "  int16_t min_version;",
          "  int16_t max_version;  // the highest version the codec reads and writes",
          "  int16_t first_flexible_version;  // -1: no flexible version",
          "  // Kafka marks max_version unstable (latestVersionUnstable): not advertised",
          "  // by a default broker.",
          "  bool latest_version_unstable;",
          "  bool IsFlexible(int16_t version) const {",
          "    return first_flexible_version >= 0 && version >= first_flexible_version;",
          "  }",
          "  bool Supports(int16_t version) const { return version >= min_version && version <= max_version; }",
          "};", "",
          "// Every API, by ascending key.",
          "absl::Span<const ApiInfo> AllApis();",
          "// The API with `api_key`, or nullptr if the codec does not know it.",
          "const ApiInfo* FindApi(int16_t api_key);", "",
          "// Request header version for an API version: 2 when flexible, else 1.",
          "int16_t RequestHeaderVersion(const ApiInfo& api, int16_t version);",
          "// Response header version: 1 when flexible, else 0; ApiVersions always 0",
          "// (clients parse its header before they know the broker's versions).",
          "int16_t ResponseHeaderVersion(const ApiInfo& api, int16_t version);", "",
          "}  // namespace samsa::kafka", ""]
    c = [LICENSE_NOTE, "#include \"kafka/messages/api_keys.h\"", "", "#include <iterator>", "",
         "namespace samsa::kafka {", "namespace {", "", "constexpr ApiInfo kApis[] = {"]
    for req, resp in apis:
        if (req.valid.lo, req.valid.hi, req.flexible.lo) != (resp.valid.lo, resp.valid.hi, resp.flexible.lo):
            raise SystemExit("%s: request and response versions differ" % req.name)
        c.append("    {ApiKey::k%s, \"%s\", %d, %d, %d, %s}," % (
            api_name(req), api_name(req), req.valid.lo, req.valid.hi,
            -1 if req.flexible.empty() else req.flexible.lo, "true" if req.unstable_latest else "false"))
    c += ["};", "", "}  // namespace", "",
          "absl::Span<const ApiInfo> AllApis() { return absl::MakeConstSpan(kApis, std::size(kApis)); }", "",
          "const ApiInfo* FindApi(int16_t api_key) {",
          "  for (const ApiInfo& api : kApis) {",
          "    if (static_cast<int16_t>(api.key) == api_key) return &api;",
          "  }",
          "  return nullptr;",
          "}", "",
          "int16_t RequestHeaderVersion(const ApiInfo& api, int16_t version) { return api.IsFlexible(version) ? 2 : 1; }", "",
          "int16_t ResponseHeaderVersion(const ApiInfo& api, int16_t version) {",
          "  if (api.key == ApiKey::kApiVersions) return 0;",
          "  return api.IsFlexible(version) ? 1 : 0;",
          "}", "",
          "}  // namespace samsa::kafka", ""]
    write_if_changed(os.path.join(out_dir, "api_keys.h"), "\n".join(h))
    write_if_changed(os.path.join(out_dir, "api_keys.cc"), "\n".join(c))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--testing", action="store_true")
    ap.add_argument("schemas", nargs="+")
    args = ap.parse_args()
    msgs = [Message(load_json(p), p) for p in args.schemas]
    out_dir = os.path.join(args.out, "kafka", "messages")
    os.makedirs(out_dir, exist_ok=True)
    groups = {}
    for m in msgs:
        groups.setdefault(group_of(m), []).append(m)
    for g in groups.values():
        g.sort(key=lambda m: {"request": 0, "response": 1, "header": 2}[m.kind] if m.kind != "header" else m.name)
    if args.testing:
        import kafka_codegen_testing
        kafka_codegen_testing.generate(groups, out_dir, sys.modules[__name__])
        return
    apis = []
    by_name = {m.name: m for m in msgs}
    for m in sorted(msgs, key=lambda m: (m.api_key or -1)):
        if m.kind == "request":
            resp = by_name.get(api_name(m) + "Response")
            if resp is None:
                raise SystemExit("no response schema for " + m.name)
            apis.append((m, resp))
    for group, gm in groups.items():
        gen_group(group, gm, out_dir)
    gen_api_keys(apis, out_dir)
    inc = [LICENSE_NOTE, "//", "// Every generated Kafka message.", "#pragma once", ""]
    inc += ["#include \"kafka/messages/%s.h\"" % g for g in ["api_keys"] + sorted(groups)]
    write_if_changed(os.path.join(out_dir, "messages.h"), "\n".join(inc) + "\n")


if __name__ == "__main__":
    main()

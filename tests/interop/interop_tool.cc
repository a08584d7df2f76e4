// interop_tool: samsa's half of the kafka-python interoperability test
// (kafka_python_interop.py drives it).
//
//   interop_tool write DIR
//       Writes one record batch per variant (every codec, with and without
//       gaps, LogAppendTime, producer fields) to DIR/<name>.bin, and
//       DIR/manifest.txt: one line per file, "<name> key=value ...", naming the
//       header fields the batch must carry.
//   interop_tool read FILE key=value ...
//       Parses the single batch in FILE (written by kafka-python) and checks
//       every header field named on the command line and every record against
//       the shared record rule. Prints each mismatch; exits 1 if any.
//
// The shared rule (mirrored in kafka_python_interop.py, record_rule()):
// record i of n, with BASE_TS = 1700000000000:
//   timestamp  BASE_TS + 13*i + (17 if i % 5 == 2 else 0)  (never below BASE_TS)
//   offset     base_offset + i * offset_step
//   key        null if i % 7 == 0; "" if i == 3; else "key-<i>"
//   value      null if i % 11 == 5; "" if i == 1;
//              if i == 20: 100 KiB, byte j = (31*j + i) % 251;
//              else ("value-<i>-" + bytes [i, 0, 255]) repeated (i % 5 + 1) times
//   headers    i % 3 == 0: none; i % 3 == 1: [("h1", "x" * i)];
//              i % 3 == 2: [("h1", null), ("clé-ü-日本", bytes [0, 255, i])]
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "record/compression.h"
#include "record/record_batch.h"

namespace samsa::record {
namespace {

constexpr int64_t kBaseTs = 1700000000000;
constexpr int kNumRecords = 50;

struct RuleHeader {
  std::string key;
  std::optional<std::string> value;
};

struct RuleRecord {
  int64_t timestamp = 0;
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<RuleHeader> headers;
};

RuleRecord Rule(int i) {
  RuleRecord r;
  r.timestamp = kBaseTs + 13 * i + (i % 5 == 2 ? 17 : 0);
  if (i % 7 != 0) r.key = i == 3 ? std::string() : fmt::format("key-{}", i);
  if (i % 11 != 5) {
    if (i == 1) {
      r.value = std::string();
    } else if (i == 20) {
      std::string v(100 * 1024, '\0');
      for (size_t j = 0; j < v.size(); ++j) v[j] = static_cast<char>((31 * j + static_cast<size_t>(i)) % 251);
      r.value = std::move(v);
    } else {
      std::string unit = fmt::format("value-{}-", i);
      unit.push_back(static_cast<char>(i));
      unit.push_back('\0');
      unit.push_back('\xFF');
      std::string v;
      for (int k = 0; k < i % 5 + 1; ++k) v += unit;
      r.value = std::move(v);
    }
  }
  if (i % 3 == 1) {
    r.headers.push_back({"h1", std::string(static_cast<size_t>(i), 'x')});
  } else if (i % 3 == 2) {
    r.headers.push_back({"h1", std::nullopt});
    std::string v = {'\0', '\xFF', static_cast<char>(i)};
    r.headers.push_back({"cl\xC3\xA9-\xC3\xBC-\xE6\x97\xA5\xE6\x9C\xAC", v});
  }
  return r;
}

std::optional<CompressionType> CodecByName(std::string_view name) {
  for (CompressionType c : {CompressionType::kNone, CompressionType::kGzip, CompressionType::kSnappy,
                            CompressionType::kLz4, CompressionType::kZstd}) {
    if (CompressionName(c) == name) return c;
  }
  return std::nullopt;
}

std::string Printable(const std::optional<std::string_view>& s) {
  if (!s) return "null";
  std::string out = "\"";
  for (size_t i = 0; i < s->size() && i < 40; ++i) {
    const unsigned char c = static_cast<unsigned char>((*s)[i]);
    if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  if (s->size() > 40) out += fmt::format("...({} bytes)", s->size());
  return out + "\"";
}

// --- write --------------------------------------------------------------------------

struct Variant {
  std::string name;
  CompressionType codec;
  int64_t base_offset = 1000;
  int offset_step = 1;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
  bool transactional = false;
  // Applied after Build, as a broker does: nullopt leaves the field as built.
  std::optional<int64_t> log_append_time;
  std::optional<int32_t> partition_leader_epoch;
  std::optional<int64_t> rebase_offset;
};

int Write(const std::string& dir) {
  std::vector<Variant> variants;
  for (CompressionType codec : {CompressionType::kNone, CompressionType::kGzip, CompressionType::kSnappy,
                                CompressionType::kLz4, CompressionType::kZstd}) {
    Variant plain;
    plain.name = std::string(CompressionName(codec));
    plain.codec = codec;
    if (codec == CompressionType::kGzip) {
      plain.producer_id = 7;
      plain.producer_epoch = 3;
      plain.base_sequence = 11;
      plain.transactional = true;
    }
    variants.push_back(plain);

    Variant edited;
    edited.name = plain.name + "-gaps-logappendtime";
    edited.codec = codec;
    edited.offset_step = 2;
    edited.producer_id = 123456789012;
    edited.producer_epoch = 32000;
    edited.base_sequence = 2000000000;
    edited.log_append_time = 1800000000123;
    edited.partition_leader_epoch = 5;
    edited.rebase_offset = 70000;
    variants.push_back(edited);
  }

  std::ofstream manifest(dir + "/manifest.txt");
  for (const Variant& v : variants) {
    RecordBatchOptions options;
    options.compression = v.codec;
    options.base_offset = v.base_offset;
    options.producer_id = v.producer_id;
    options.producer_epoch = v.producer_epoch;
    options.base_sequence = v.base_sequence;
    options.transactional = v.transactional;
    RecordBatchBuilder builder(options);
    int64_t max_ts = kBaseTs;
    for (int i = 0; i < kNumRecords; ++i) {
      const RuleRecord r = Rule(i);
      std::vector<RecordHeader> headers;
      for (const RuleHeader& h : r.headers) {
        RecordHeader rh;
        rh.key = h.key;
        if (h.value) rh.value = std::string_view(*h.value);
        headers.push_back(rh);
      }
      builder.AppendWithOffset(v.base_offset + static_cast<int64_t>(i) * v.offset_step, r.timestamp,
                               r.key ? std::optional<std::string_view>(*r.key) : std::nullopt,
                               r.value ? std::optional<std::string_view>(*r.value) : std::nullopt,
                               headers);
      max_ts = std::max(max_ts, r.timestamp);
    }
    absl::StatusOr<std::string> batch = builder.Build();
    if (!batch.ok()) {
      std::cerr << "build failed: " << batch.status().ToString() << "\n";
      return 1;
    }
    int64_t base_offset = v.base_offset;
    if (v.rebase_offset) {
      SetBaseOffset(batch->data(), *v.rebase_offset);
      base_offset = *v.rebase_offset;
    }
    if (v.partition_leader_epoch) SetPartitionLeaderEpoch(batch->data(), *v.partition_leader_epoch);
    if (v.log_append_time) SetLogAppendTime(batch->data(), *v.log_append_time);
    std::ofstream out(dir + "/" + v.name + ".bin", std::ios::binary);
    out.write(batch->data(), static_cast<std::streamsize>(batch->size()));
    if (!out) {
      std::cerr << "cannot write " << dir << "/" << v.name << ".bin\n";
      return 1;
    }
    manifest << v.name << " codec=" << CompressionName(v.codec) << " base_offset=" << base_offset
             << " offset_step=" << v.offset_step << " records=" << kNumRecords
             << " producer_id=" << v.producer_id << " producer_epoch=" << v.producer_epoch
             << " base_sequence=" << v.base_sequence << " transactional=" << (v.transactional ? 1 : 0)
             << " timestamp_type=" << (v.log_append_time ? 1 : 0)
             << " max_timestamp=" << (v.log_append_time ? *v.log_append_time : max_ts)
             << " partition_leader_epoch=" << v.partition_leader_epoch.value_or(-1) << "\n";
  }
  manifest.close();
  if (!manifest) {
    std::cerr << "cannot write " << dir << "/manifest.txt\n";
    return 1;
  }
  return 0;
}

// --- read ---------------------------------------------------------------------------

class Checker {
 public:
  explicit Checker(std::string file) : file_(std::move(file)) {}
  template <typename A, typename B>
  void Eq(const std::string& what, const A& got, const B& want) {
    if (!(got == want)) Fail(fmt::format("{}: got {}, want {}", what, got, want));
  }
  void EqBytes(const std::string& what, std::optional<std::string_view> got,
               std::optional<std::string_view> want) {
    if (got != want) Fail(fmt::format("{}: got {}, want {}", what, Printable(got), Printable(want)));
  }
  void Fail(const std::string& message) {
    ++failures_;
    if (failures_ <= 50) std::cerr << "MISMATCH " << file_ << ": " << message << "\n";
  }
  int failures() const { return failures_; }

 private:
  std::string file_;
  int failures_ = 0;
};

int Read(const std::string& file, const std::map<std::string, std::string>& args) {
  const auto arg = [&](const std::string& key) -> int64_t {
    auto it = args.find(key);
    if (it == args.end()) {
      std::cerr << "read: missing " << key << "=\n";
      std::exit(2);
    }
    return std::stoll(it->second);
  };
  std::ifstream in(file, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string bytes = buf.str();
  if (!in) {
    std::cerr << "cannot read " << file << "\n";
    return 2;
  }
  Checker check(file);
  const auto codec_it = args.find("codec");
  const std::optional<CompressionType> codec =
      codec_it == args.end() ? std::nullopt : CodecByName(codec_it->second);
  if (!codec) {
    std::cerr << "read: missing or unknown codec=\n";
    return 2;
  }

  absl::StatusOr<RecordBatchView> view = RecordBatchView::Parse(bytes);  // verifies the CRC
  if (!view.ok()) {
    check.Fail("Parse: " + view.status().ToString());
    return 1;
  }
  const int64_t base_offset = arg("base_offset");
  const int offset_step = static_cast<int>(arg("offset_step"));
  const int n = static_cast<int>(arg("records"));
  const bool log_append_time = arg("timestamp_type") == 1;
  check.Eq("batch size (one batch per file)", view->size_in_bytes(), bytes.size());
  check.Eq("magic", static_cast<int>(view->magic()), 2);
  check.Eq("compression", std::string(CompressionName(view->compression())),
           std::string(CompressionName(*codec)));
  check.Eq("baseOffset", view->base_offset(), base_offset);
  check.Eq("partitionLeaderEpoch", view->partition_leader_epoch(), arg("partition_leader_epoch"));
  check.Eq("producerId", view->producer_id(), arg("producer_id"));
  check.Eq("producerEpoch", static_cast<int64_t>(view->producer_epoch()), arg("producer_epoch"));
  check.Eq("baseSequence", static_cast<int64_t>(view->base_sequence()), arg("base_sequence"));
  check.Eq("transactional", view->is_transactional(), arg("transactional") == 1);
  check.Eq("control", view->is_control(), false);
  check.Eq("timestampType", static_cast<int>(view->timestamp_type()), log_append_time ? 1 : 0);
  check.Eq("recordsCount", view->records_count(), n);
  check.Eq("lastOffsetDelta", static_cast<int64_t>(view->last_offset_delta()),
           static_cast<int64_t>(n - 1) * offset_step);
  check.Eq("baseTimestamp", view->base_timestamp(), Rule(0).timestamp);
  check.Eq("maxTimestamp", view->max_timestamp(), arg("max_timestamp"));
  const absl::Status valid = ValidateRecords(*view, /*require_dense_offsets=*/offset_step == 1);
  if (!valid.ok()) check.Fail("ValidateRecords: " + valid.ToString());

  absl::StatusOr<RecordReader> reader = RecordReader::Open(*view);
  if (!reader.ok()) {
    check.Fail("RecordReader::Open: " + reader.status().ToString());
    return 1;
  }
  RecordView r;
  int i = 0;
  while (true) {
    absl::StatusOr<bool> more = reader->Next(&r);
    if (!more.ok()) {
      check.Fail(fmt::format("record {}: {}", i, more.status().ToString()));
      break;
    }
    if (!*more) break;
    if (i >= n) {
      check.Fail(fmt::format("more than {} records", n));
      break;
    }
    const RuleRecord want = Rule(i);
    const std::string at = fmt::format("record {} ", i);
    check.Eq(at + "offset", r.offset, base_offset + static_cast<int64_t>(i) * offset_step);
    check.Eq(at + "timestamp", r.timestamp, log_append_time ? arg("max_timestamp") : want.timestamp);
    check.Eq(at + "attributes", static_cast<int>(r.attributes), 0);
    check.EqBytes(at + "key", r.key, want.key ? std::optional<std::string_view>(*want.key) : std::nullopt);
    check.EqBytes(at + "value", r.value,
                  want.value ? std::optional<std::string_view>(*want.value) : std::nullopt);
    check.Eq(at + "header count", r.headers.size(), want.headers.size());
    for (size_t h = 0; h < std::min(r.headers.size(), want.headers.size()); ++h) {
      const std::string hat = fmt::format("{}header {} ", at, h);
      check.EqBytes(hat + "key", r.headers[h].key, want.headers[h].key);
      check.EqBytes(hat + "value", r.headers[h].value,
                    want.headers[h].value ? std::optional<std::string_view>(*want.headers[h].value)
                                          : std::nullopt);
    }
    ++i;
  }
  check.Eq("records read", i, n);
  if (check.failures() > 0) {
    std::cerr << check.failures() << " mismatches in " << file << "\n";
    return 1;
  }
  std::cout << "ok " << file << " (" << CompressionName(*codec) << ", " << n << " records)\n";
  return 0;
}

}  // namespace
}  // namespace samsa::record

int main(int argc, char** argv) {
  const std::string usage =
      "usage: interop_tool write DIR\n"
      "       interop_tool read FILE codec=NAME base_offset=N offset_step=N records=N producer_id=N\n"
      "            producer_epoch=N base_sequence=N transactional=0|1 timestamp_type=0|1\n"
      "            max_timestamp=N partition_leader_epoch=N\n";
  if (argc == 3 && std::string(argv[1]) == "write") return samsa::record::Write(argv[2]);
  if (argc >= 3 && std::string(argv[1]) == "read") {
    std::map<std::string, std::string> args;
    for (int i = 3; i < argc; ++i) {
      const std::string a = argv[i];
      const size_t eq = a.find('=');
      if (eq == std::string::npos) {
        std::cerr << usage;
        return 2;
      }
      args[a.substr(0, eq)] = a.substr(eq + 1);
    }
    return samsa::record::Read(argv[2], args);
  }
  std::cerr << usage;
  return 2;
}

#include "dump_log.h"

#include <algorithm>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "dump_log_fixture.h"
#include "record/record_batch.h"
#include "samsa/clock.h"
#include "samsa/env.h"
#include "util/endian.h"
#include "util/strings.h"

namespace samsa::tools {
namespace {

constexpr char kDir[] = "/logs/dump-0";

struct Fixture {
  ManualClock clock;
  std::unique_ptr<Env> env = NewMemEnv(&clock);

  Fixture() { REQUIRE(testing::WriteDumpLogFixture(env.get(), kDir).ok()); }

  std::vector<std::string> Files(std::string_view suffix) {
    std::vector<std::string> out;
    const std::vector<std::string> names = *env->GetChildren(kDir);
    for (const std::string& name : names) {
      if (EndsWith(name, suffix)) out.push_back(JoinPath(kDir, name));
    }
    return out;
  }

  struct Result {
    int rc;
    std::string out, err;
    std::vector<std::string> lines;
  };
  Result Run(DumpLogOptions options) {
    std::ostringstream out, err;
    Result r;
    r.rc = DumpLog(env.get(), options, out, err);
    r.out = out.str();
    r.err = err.str();
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) r.lines.push_back(line);
    return r;
  }
  Result Dump(const std::string& file, bool data = false) {
    DumpLogOptions o;
    o.files = {file};
    o.print_data_log = data;
    return Run(o);
  }
};

// The batch line of Kafka 3.x's DumpLogSegments.printBatchLevel, field by field.
const std::regex kBatchLine(
    "baseOffset: (-?\\d+) lastOffset: (-?\\d+) count: (\\d+) baseSequence: (-?\\d+) "
    "lastSequence: (-?\\d+) producerId: (-?\\d+) producerEpoch: (-?\\d+) "
    "partitionLeaderEpoch: (-?\\d+) isTransactional: (true|false) isControl: (true|false) "
    "deleteHorizonMs: OptionalLong.empty position: (\\d+) (CreateTime|LogAppendTime): (-?\\d+) "
    "size: (\\d+) magic: 2 compresscodec: (none|gzip|snappy|lz4|zstd) crc: (\\d+) "
    "isvalid: (true|false)");
const std::regex kRecordLine(
    "\\| offset: (\\d+) (CreateTime|LogAppendTime): (-?\\d+) keySize: (-?\\d+) valueSize: (-?\\d+) "
    "sequence: (-?\\d+) headerKeys: \\[([^\\]]*)\\]( key: \\S+)?( payload: \\S+)?");

TEST_CASE("dump-log prints every batch of every segment in Kafka's format", "[dump]") {
  Fixture f;
  const std::vector<std::string> logs = f.Files(".log");
  REQUIRE(logs.size() >= 3);
  int64_t expected_next = 0;
  int batches = 0;
  int records = 0;
  std::vector<std::string> codecs_seen;
  for (const std::string& file : logs) {
    auto r = f.Dump(file, /*data=*/true);
    INFO(r.err);
    REQUIRE(r.rc == 0);
    REQUIRE(r.lines.size() >= 3);
    CHECK(r.lines[0] == "Dumping " + file);
    CHECK(r.lines[1] == fmt::format("Log starting offset: {}", expected_next));
    int64_t position = 0;
    int records_in_batch = -1;
    int64_t next_record_offset = -1;
    for (size_t i = 2; i < r.lines.size(); ++i) {
      std::smatch m;
      const std::string& line = r.lines[i];
      if (std::regex_match(line, m, kBatchLine)) {
        CHECK(records_in_batch <= 0);  // the previous batch's records all printed
        ++batches;
        CHECK(std::stoll(m[1]) == expected_next);
        CHECK(std::stoll(m[11]) == position);
        CHECK(std::stoll(m[8]) == 3);  // leader epoch stamped by AppendAsLeader
        CHECK(m[17] == "true");
        records_in_batch = std::stoi(m[3]);
        CHECK(std::stoll(m[2]) - std::stoll(m[1]) + 1 == records_in_batch);
        if (std::stoll(m[6]) != -1) {
          CHECK(std::stoll(m[6]) == 4242);
          CHECK(std::stoll(m[5]) - std::stoll(m[4]) == records_in_batch - 1);
        } else {
          CHECK(m[4] == "-1");
          CHECK(m[5] == "-1");
        }
        codecs_seen.push_back(m[15]);
        next_record_offset = std::stoll(m[1]);
        position += std::stoll(m[14]);
        expected_next = std::stoll(m[2]) + 1;
      } else {
        INFO(line);
        REQUIRE(std::regex_match(line, m, kRecordLine));
        CHECK(std::stoll(m[1]) == next_record_offset);
        ++next_record_offset;
        --records_in_batch;
        ++records;
        // Null keys print keySize -1 and no key; tombstones no key or payload.
        if (m[4] == "-1") CHECK(!m[8].matched);
        if (m[5] == "-1") {
          CHECK(!m[8].matched);
          CHECK(!m[9].matched);
        }
      }
    }
    CHECK(records_in_batch == 0);
    CHECK(position == static_cast<int64_t>(*f.env->GetFileSize(file)));
  }
  CHECK(batches == 40);
  CHECK(records == 5 * (1 + 4 + 7 + 10 + 1 + 4 + 7 + 10));  // 5 codecs x 8 rounds
  for (const char* c : {"none", "gzip", "snappy", "lz4", "zstd"}) {
    CHECK(std::count(codecs_seen.begin(), codecs_seen.end(), c) == 8);
  }
}

TEST_CASE("dump-log of an offset index: each entry points at the batch ending there", "[dump]") {
  Fixture f;
  int entries = 0;
  for (const std::string& file : f.Files(".index")) {
    auto r = f.Dump(file);
    INFO(r.err);
    REQUIRE(r.rc == 0);
    const std::string log = *ReadFileToString(f.env.get(), file.substr(0, file.size() - 6) + ".log");
    const std::regex entry("offset: (\\d+) position: (\\d+)");
    for (size_t i = 1; i < r.lines.size(); ++i) {
      std::smatch m;
      REQUIRE(std::regex_match(r.lines[i], m, entry));
      auto batch = record::RecordBatchView::Parse(std::string_view(log).substr(std::stoll(m[2])));
      REQUIRE(batch.ok());
      CHECK(batch->last_offset() == std::stoll(m[1]));
      ++entries;
    }
  }
  CHECK(entries > 5);
}

TEST_CASE("dump-log reports an index entry that points at the wrong batch", "[dump]") {
  Fixture f;
  const std::string index = f.Files(".index").front();
  std::string bytes = *ReadFileToString(f.env.get(), index);
  REQUIRE(bytes.size() >= 16);
  // Make entry 1 point at entry 0's position.
  std::memcpy(bytes.data() + 12, bytes.data() + 4, 4);
  REQUIRE(WriteFileAtomically(f.env.get(), index, bytes).ok());
  auto r = f.Dump(index);
  CHECK(r.rc == 1);
  CHECK(r.err.find("Mismatches in :" + index) != std::string::npos);
  CHECK(r.err.find("  Index offset: ") != std::string::npos);
}

TEST_CASE("dump-log --index-sanity-check passes good indexes and names a torn one", "[dump]") {
  Fixture f;
  DumpLogOptions o;
  o.index_sanity_check = true;
  o.files = f.Files(".index");
  for (const std::string& t : f.Files(".timeindex")) o.files.push_back(t);
  auto good = f.Run(o);
  INFO(good.err);
  CHECK(good.rc == 0);
  CHECK(std::count(good.out.begin(), good.out.end(), '\n') ==
        static_cast<long>(2 * o.files.size()));
  CHECK(good.out.find("passed sanity check.") != std::string::npos);

  const std::string index = o.files.front();
  std::string bytes = *ReadFileToString(f.env.get(), index);
  bytes.resize(bytes.size() - 3);
  REQUIRE(WriteFileAtomically(f.env.get(), index, bytes).ok());
  o.files = {index};
  auto torn = f.Run(o);
  CHECK(torn.rc == 1);
  CHECK(torn.err.find("neither positive nor a multiple of 8") != std::string::npos);

  // Entries out of order.
  bytes.resize(bytes.size() / 8 * 8);
  REQUIRE(bytes.size() >= 16);
  std::string swapped = bytes;
  std::memcpy(swapped.data(), bytes.data() + 8, 8);
  std::memcpy(swapped.data() + 8, bytes.data(), 8);
  REQUIRE(WriteFileAtomically(f.env.get(), index, swapped).ok());
  auto unordered = f.Run(o);
  CHECK(unordered.rc == 1);
  CHECK(unordered.err.find("does not follow") != std::string::npos);
}

TEST_CASE("dump-log of a time index: timestamps and offsets increase", "[dump]") {
  Fixture f;
  for (const std::string& file : f.Files(".timeindex")) {
    auto r = f.Dump(file);
    REQUIRE(r.rc == 0);
    int64_t last_ts = -1, last_offset = -1;
    const std::regex entry("timestamp: (\\d+) offset: (\\d+)");
    for (size_t i = 1; i < r.lines.size(); ++i) {
      std::smatch m;
      INFO(r.lines[i]);
      REQUIRE(std::regex_match(r.lines[i], m, entry));
      CHECK(std::stoll(m[1]) > last_ts);
      CHECK(std::stoll(m[2]) > last_offset);
      CHECK(std::stoll(m[1]) >= 1700000000000);
      last_ts = std::stoll(m[1]);
      last_offset = std::stoll(m[2]);
    }
  }
}

TEST_CASE("dump-log shows a bad CRC and stops at a torn tail", "[dump]") {
  Fixture f;
  const std::string file = f.Files(".log").front();
  std::string bytes = *ReadFileToString(f.env.get(), file);
  bytes[100] ^= 0x40;  // inside the first batch's CRC-covered bytes
  bytes.resize(bytes.size() - 5);
  REQUIRE(WriteFileAtomically(f.env.get(), file, bytes).ok());
  auto r = f.Dump(file);
  CHECK(r.rc == 1);
  REQUIRE(r.lines.size() >= 3);
  CHECK(r.lines[2].find("isvalid: false") != std::string::npos);
  CHECK(r.out.find("isvalid: true") != std::string::npos);
  CHECK(r.err.find("invalid bytes at the end of") != std::string::npos);
}

// Kafka's DumpLogSegments.dumpProducerIdSnapshot line. The fixture's
// idempotent producer 4242 (epoch 7) wrote 5 batches of 4, 5 of 1 and 5 of
// 10 records: its last batch holds sequences 65..74 and is the log's last,
// and the clean close left the snapshot at the log end offset.
TEST_CASE("dump-log of a producer snapshot prints each producer's last batch", "[dump]") {
  Fixture f;
  const std::vector<std::string> snapshots = f.Files(".snapshot");
  REQUIRE(!snapshots.empty());
  const std::string newest = *std::max_element(snapshots.begin(), snapshots.end());
  const int64_t log_end = std::stoll(newest.substr(newest.rfind('/') + 1, 20));
  auto r = f.Dump(newest);
  INFO(r.out << r.err);
  CHECK(r.rc == 0);
  REQUIRE(r.lines.size() == 2);
  CHECK(r.lines[0] == "Dumping " + newest);
  static const std::regex kLine(
      "producerId: 4242 producerEpoch: 7 coordinatorEpoch: -1 currentTxnFirstOffset: "
      "OptionalLong.empty lastTimestamp: (\\d+) firstSequence: 65 lastSequence: 74 lastOffset: "
      "(\\d+) offsetDelta: 9 timestamp: (\\d+)");
  std::smatch m;
  REQUIRE(std::regex_match(r.lines[1], m, kLine));
  CHECK(std::stoll(m[2]) == log_end - 1);
  CHECK(m[1] == m[3]);

  // A damaged snapshot: the reason on err, exit 1.
  std::string bytes = *ReadFileToString(f.env.get(), newest);
  bytes[10] ^= 1;
  REQUIRE(WriteFileAtomically(f.env.get(), newest, bytes).ok());
  auto bad = f.Dump(newest);
  CHECK(bad.rc == 1);
  CHECK(bad.err.find("CRC") != std::string::npos);
}

TEST_CASE("dump-log refuses unknown and missing files and bad arguments", "[dump]") {
  Fixture f;
  auto unknown = f.Dump(std::string(kDir) + "/partition.metadata");
  CHECK(unknown.rc == 1);
  CHECK(unknown.err.find("Ignoring unknown file") != std::string::npos);
  auto missing = f.Dump(std::string(kDir) + "/00000000000000099999.log");
  CHECK(missing.rc == 1);
  CHECK(missing.err.find("Cannot read") != std::string::npos);

  std::ostringstream err;
  DumpLogOptions o;
  CHECK_FALSE(ParseDumpLogArgs({}, &o, err));
  CHECK_FALSE(ParseDumpLogArgs({"--files"}, &o, err));
  CHECK_FALSE(ParseDumpLogArgs({"--bogus"}, &o, err));
  DumpLogOptions ok;
  CHECK(ParseDumpLogArgs({"--files", "a.log,b.index", "--print-data-log"}, &ok, err));
  CHECK(ok.files == std::vector<std::string>{"a.log", "b.index"});
  CHECK(ok.print_data_log);
}

}  // namespace
}  // namespace samsa::tools

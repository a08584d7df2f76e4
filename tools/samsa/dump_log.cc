#include "dump_log.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "absl/status/statusor.h"
#include "args.h"
#include "log/producer_state.h"
#include "record/compression.h"
#include "record/record_batch.h"
#include "util/endian.h"
#include "util/status_macros.h"
#include "util/strings.h"

namespace samsa::tools {
namespace {

using record::RecordBatchView;
using record::RecordReader;
using record::RecordView;

constexpr size_t kOffsetEntry = 8;
constexpr size_t kTimeEntry = 12;

// The base offset Kafka parses from a segment file's name ("000...42.log").
std::optional<int64_t> BaseOffsetOf(const std::string& path) {
  const std::string name = BaseName(path);
  const size_t dot = name.find('.');
  if (dot == std::string::npos || dot == 0) return std::nullopt;
  int64_t v = 0;
  for (size_t i = 0; i < dot; ++i) {
    if (name[i] < '0' || name[i] > '9' || v > (INT64_MAX - 9) / 10) return std::nullopt;
    v = v * 10 + (name[i] - '0');
  }
  return v;
}

std::string StemOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  const size_t dot = path.find('.', slash == std::string::npos ? 0 : slash + 1);
  return path.substr(0, dot);
}

const char* TimestampTypeName(record::TimestampType t) {
  return t == record::TimestampType::kLogAppendTime ? "LogAppendTime" : "CreateTime";
}

// Kafka's DefaultRecordBatch.lastSequence / DefaultRecord.sequence: -1 when the
// batch has no sequence, else base + delta wrapping at Integer.MAX_VALUE.
int32_t SequenceAt(int32_t base_sequence, int32_t delta) {
  if (base_sequence < 0) return -1;
  const int64_t s = static_cast<int64_t>(base_sequence) + delta;
  return static_cast<int32_t>(s > INT32_MAX ? s - INT32_MAX - 1 : s);
}

int DumpLogFile(Env* env, const std::string& path, const DumpLogOptions& options,
                std::ostream& out, std::ostream& err) {
  absl::StatusOr<std::string> bytes = ReadFileToString(env, path);
  if (!bytes.ok()) {
    err << "Cannot read " << path << ": " << bytes.status().message() << "\n";
    return 1;
  }
  const std::optional<int64_t> start = BaseOffsetOf(path);
  out << "Log starting offset: " << (start ? *start : 0) << "\n";
  const bool deep = options.deep_iteration || options.print_data_log;
  const std::string_view data = *bytes;
  size_t position = 0;
  while (position < data.size()) {
    absl::StatusOr<RecordBatchView> parsed =
        RecordBatchView::Parse(data.substr(position), /*verify_crc=*/false);
    if (!parsed.ok()) {
      // A torn tail (too short to be a batch) is what Kafka reports as
      // invalid bytes; anything else is a corrupt batch at this position.
      err << fmt::format("Found {} invalid bytes at the end of {} (position {}: {})\n",
                         data.size() - position, BaseName(path), position,
                         std::string(parsed.status().message()));
      return 1;
    }
    const RecordBatchView& b = *parsed;
    const bool valid = b.IsCrcValid();
    out << fmt::format(
        "baseOffset: {} lastOffset: {} count: {} baseSequence: {} lastSequence: {} "
        "producerId: {} producerEpoch: {} partitionLeaderEpoch: {} isTransactional: {} "
        "isControl: {} deleteHorizonMs: OptionalLong.empty position: {} {}: {} size: {} "
        "magic: {} compresscodec: {} crc: {} isvalid: {}\n",
        b.base_offset(), b.last_offset(), b.records_count(), b.base_sequence(),
        SequenceAt(b.base_sequence(), b.last_offset_delta()), b.producer_id(), b.producer_epoch(),
        b.partition_leader_epoch(), b.is_transactional(), b.is_control(), position,
        TimestampTypeName(b.timestamp_type()), b.max_timestamp(), b.size_in_bytes(),
        static_cast<int>(b.magic()), record::CompressionName(b.compression()), b.crc(), valid);
    if (deep) {
      absl::StatusOr<RecordReader> reader = RecordReader::Open(b);
      if (!reader.ok()) {
        err << fmt::format("Corrupt batch at position {} of {}: {}\n", position, path,
                           std::string(reader.status().message()));
        return 1;
      }
      RecordView r;
      int32_t delta = 0;
      while (true) {
        absl::StatusOr<bool> more = reader->Next(&r);
        if (!more.ok()) {
          err << fmt::format("Corrupt record in batch at position {} of {}: {}\n", position,
                             path, std::string(more.status().message()));
          return 1;
        }
        if (!*more) break;
        std::string line = fmt::format(
            "| offset: {} {}: {} keySize: {} valueSize: {} sequence: {} headerKeys: [",
            r.offset, TimestampTypeName(b.timestamp_type()), r.timestamp,
            r.key ? static_cast<int64_t>(r.key->size()) : -1,
            r.value ? static_cast<int64_t>(r.value->size()) : -1,
            SequenceAt(b.base_sequence(), static_cast<int32_t>(r.offset - b.base_offset())));
        for (size_t i = 0; i < r.headers.size(); ++i) {
          if (i > 0) line += ",";
          line += r.headers[i].key;
        }
        line += "]";
        // As Kafka's DecoderMessageParser: nothing printed for a tombstone,
        // the key only when there is one.
        if (options.print_data_log && r.value) {
          if (r.key) line += fmt::format(" key: {}", *r.key);
          line += fmt::format(" payload: {}", *r.value);
        }
        out << line << "\n";
        ++delta;
      }
    }
    position += b.size_in_bytes();
  }
  return 0;
}

struct IndexEntry {
  int64_t a = 0;  // offset (offset index) or timestamp (time index)
  int64_t b = 0;  // position (offset index) or offset (time index)
};

// Reads an index's entries as Kafka's read-only open does: every whole entry
// of the file, stopping at the first all-zero one after the first (the unused
// tail of a preallocated Kafka index).
absl::StatusOr<std::vector<IndexEntry>> ReadIndex(Env* env, const std::string& path,
                                                  int64_t base, bool time_index,
                                                  std::string* problem) {
  SAMSA_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(env, path));
  const size_t entry = time_index ? kTimeEntry : kOffsetEntry;
  if (bytes.size() % entry != 0) {
    *problem = fmt::format(
        "Index file {} is corrupt, found {} bytes which is neither positive nor a multiple of {}.",
        path, bytes.size(), entry);
  }
  std::vector<IndexEntry> entries;
  for (size_t i = 0; (i + 1) * entry <= bytes.size(); ++i) {
    const char* p = bytes.data() + i * entry;
    IndexEntry e;
    if (time_index) {
      e.a = static_cast<int64_t>(LoadBE64(p));
      e.b = base + static_cast<int32_t>(LoadBE32(p + 8));
    } else {
      e.a = base + static_cast<int32_t>(LoadBE32(p));
      e.b = static_cast<int32_t>(LoadBE32(p + 4));
    }
    if (i > 0 && (time_index ? e.b : e.a) == base) break;
    entries.push_back(e);
  }
  return entries;
}

int DumpIndexFile(Env* env, const std::string& path, bool time_index,
                  const DumpLogOptions& options, std::ostream& out, std::ostream& err) {
  const std::optional<int64_t> base = BaseOffsetOf(path);
  if (!base) {
    err << "Cannot parse a base offset from the file name " << path << "\n";
    return 1;
  }
  std::string problem;
  absl::StatusOr<std::vector<IndexEntry>> entries =
      ReadIndex(env, path, *base, time_index, &problem);
  if (!entries.ok()) {
    err << "Cannot read " << path << ": " << entries.status().message() << "\n";
    return 1;
  }
  // Structure checks: Kafka's OffsetIndex/TimeIndex.sanityCheck, plus order.
  for (size_t i = 0; problem.empty() && i < entries->size(); ++i) {
    const IndexEntry& e = (*entries)[i];
    const int64_t offset = time_index ? e.b : e.a;
    if (offset < *base) {
      problem = fmt::format(
          "Corrupt index found, index file ({}) has an entry with offset {} which is less than "
          "the base offset {}.",
          path, offset, *base);
    } else if (i > 0 && (e.a <= (*entries)[i - 1].a || e.b < (*entries)[i - 1].b)) {
      problem = fmt::format("Corrupt index found, index file ({}) entry {} ({}, {}) does not "
                            "follow entry {} ({}, {}).",
                            path, i, e.a, e.b, i - 1, (*entries)[i - 1].a, (*entries)[i - 1].b);
    }
  }
  if (options.index_sanity_check) {
    if (!problem.empty()) {
      err << problem << "\n";
      return 1;
    }
    if (entries->empty()) {
      out << path << " is empty.\n";
    } else {
      out << path << " passed sanity check.\n";
    }
    return 0;
  }
  if (entries->empty()) {
    out << path << " is empty.\n";
    return 0;
  }
  // The segment's .log, to check each offset-index entry against the batch it
  // points at (Kafka's "Mismatches in" report).
  std::optional<std::string> log;
  if (!time_index) {
    absl::StatusOr<std::string> bytes = ReadFileToString(env, StemOf(path) + ".log");
    if (bytes.ok()) log = *std::move(bytes);
  }
  std::vector<std::pair<int64_t, int64_t>> mismatches;
  for (const IndexEntry& e : *entries) {
    if (time_index) {
      if (!options.verify_index_only) out << "timestamp: " << e.a << " offset: " << e.b << "\n";
      continue;
    }
    if (log) {
      std::optional<int64_t> last;
      if (e.b >= 0 && static_cast<size_t>(e.b) < log->size()) {
        absl::StatusOr<RecordBatchView> batch =
            RecordBatchView::Parse(std::string_view(*log).substr(e.b), /*verify_crc=*/false);
        if (batch.ok()) last = batch->last_offset();
      }
      if (!last || *last != e.a) mismatches.emplace_back(e.a, last.value_or(-1));
    }
    if (!options.verify_index_only) out << "offset: " << e.a << " position: " << e.b << "\n";
  }
  int rc = 0;
  if (!problem.empty()) {
    err << problem << "\n";
    rc = 1;
  }
  if (!mismatches.empty()) {
    err << "Mismatches in :" << path << "\n";
    for (const auto& [index_offset, log_offset] : mismatches) {
      err << "  Index offset: " << index_offset << ", log offset: " << log_offset << "\n";
    }
    rc = 1;
  }
  return rc;
}

// DumpLogSegments.dumpProducerIdSnapshot: one line per producer.
int DumpProducerSnapshot(Env* env, const std::string& path, std::ostream& out, std::ostream& err) {
  absl::StatusOr<std::string> bytes = ReadFileToString(env, path);
  if (!bytes.ok()) {
    err << "Cannot read " << path << ": " << bytes.status().message() << "\n";
    return 1;
  }
  absl::StatusOr<std::vector<ProducerSnapshotEntry>> entries =
      ProducerStateManager::DecodeSnapshot(*bytes);
  if (!entries.ok()) {
    err << entries.status().message() << "\n";
    return 1;
  }
  for (const ProducerSnapshotEntry& e : *entries) {
    out << fmt::format("producerId: {} producerEpoch: {} coordinatorEpoch: {} "
                       "currentTxnFirstOffset: {} lastTimestamp: {} ",
                       e.producer_id, e.epoch, e.coordinator_epoch,
                       e.current_txn_first_offset >= 0
                           ? fmt::format("OptionalLong[{}]", e.current_txn_first_offset)
                           : std::string("OptionalLong.empty"),
                       e.timestamp);
    if (e.last_offset >= 0) {
      out << fmt::format("firstSequence: {} lastSequence: {} lastOffset: {} offsetDelta: {} "
                         "timestamp: {}",
                         e.first_seq(), e.last_seq, e.last_offset, e.offset_delta, e.timestamp);
    }
    out << "\n";
  }
  return 0;
}

}  // namespace

int DumpLog(Env* env, const DumpLogOptions& options, std::ostream& out, std::ostream& err) {
  int rc = 0;
  for (const std::string& file : options.files) {
    out << "Dumping " << file << "\n";
    int one;
    if (EndsWith(file, ".log")) {
      one = DumpLogFile(env, file, options, out, err);
    } else if (EndsWith(file, ".index")) {
      one = DumpIndexFile(env, file, /*time_index=*/false, options, out, err);
    } else if (EndsWith(file, ".timeindex")) {
      one = DumpIndexFile(env, file, /*time_index=*/true, options, out, err);
    } else if (EndsWith(file, ".snapshot")) {
      one = DumpProducerSnapshot(env, file, out, err);
    } else {
      err << "Ignoring unknown file " << file << "\n";
      one = 1;
    }
    if (one != 0) rc = one;
  }
  return rc;
}

bool ParseDumpLogArgs(const std::vector<std::string>& args, DumpLogOptions* options,
                      std::ostream& err) {
  ArgCursor a("dump-log", args, err);
  while (a.Next()) {
    bool ok = true;
    if (a.Is("--files")) {
      std::string files;
      ok = a.Value(&files);
      for (std::string& f : SplitCommaList(files)) options->files.push_back(std::move(f));
    } else if (a.Is("--print-data-log")) {
      ok = a.NoValue();
      options->print_data_log = true;
    } else if (a.Is("--deep-iteration")) {
      ok = a.NoValue();
      options->deep_iteration = true;
    } else if (a.Is("--index-sanity-check")) {
      ok = a.NoValue();
      options->index_sanity_check = true;
    } else if (a.Is("--verify-index-only")) {
      ok = a.NoValue();
      options->verify_index_only = true;
    } else if (a.Is("--max-message-size")) {
      ok = a.Int(1, INT32_MAX, &options->max_message_size);
    } else {
      return a.Unknown();
    }
    if (!ok) return false;
  }
  if (options->files.empty()) {
    return a.Error("missing required option --files <file.log|.index|.timeindex|.snapshot>[,...]");
  }
  return true;
}

}  // namespace samsa::tools

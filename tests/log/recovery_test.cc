// Opening a log after a clean or an unclean shutdown: named corruption cases
// (as LevelDB's log_test names them), index rebuilds, leftovers, and the
// LogManager's markers, locks and checkpoint files.
#include <memory>
#include <string>

#include <catch2/catch.hpp>

#include "log/checkpoint_file.h"
#include "log/log.h"
#include "log/log_manager.h"
#include "log/log_test_util.h"
#include "samsa/errors.h"

namespace samsa {
namespace {

using testing::MakeBatch;
using testing::ReadAll;

constexpr char kDir[] = "/data/t-0";
constexpr char kLog0[] = "/data/t-0/00000000000000000000.log";

struct Fixture {
  ManualClock clock;
  std::unique_ptr<Env> env = NewMemEnv(&clock);
  LogConfig config;

  absl::StatusOr<std::unique_ptr<Log>> TryOpen(bool clean, Offset recovery_point = Offset(0)) {
    return Log::Open(testing::LogOptions(env.get(), kDir, "t", config, clean, recovery_point));
  }
  std::unique_ptr<Log> Open(bool clean, Offset recovery_point = Offset(0)) {
    return testing::OpenLog(testing::LogOptions(env.get(), kDir, "t", config, clean, recovery_point));
  }
  // Writes `batches` batches of 2 records and closes cleanly.
  void Write(int batches, int value_size = 100) {
    auto log = Open(true);
    for (int i = 0; i < batches; ++i) {
      REQUIRE(log->AppendAsLeader(MakeBatch(2, "r" + std::to_string(i), clock.NowMs(),
                                            record::CompressionType::kNone, value_size),
                                  0)
                  .ok());
    }
    REQUIRE(log->Close().ok());
  }
  void AppendRaw(const std::string& path, std::string_view bytes) {
    auto file = env->OpenFile(path, OpenMode::kOpenExisting);
    REQUIRE(file.ok());
    REQUIRE((*file)->Append(bytes).ok());
  }
  void FlipByte(const std::string& path, uint64_t position) {
    auto contents = ReadFileToString(env.get(), path);
    REQUIRE(contents.ok());
    (*contents)[position] ^= 0x40;
    auto file = env->OpenFile(path, OpenMode::kTruncate);
    REQUIRE(file.ok());
    REQUIRE((*file)->Append(*contents).ok());
  }
  uint64_t Size(const std::string& path) { return *env->GetFileSize(path); }
};

TEST_CASE("TruncatedTail: a torn batch at the tail is cut on recovery", "[log][recovery]") {
  Fixture f;
  f.Write(5);
  const uint64_t good = f.Size(kLog0);
  std::string next = MakeBatch(2, "torn", 0);
  f.AppendRaw(kLog0, std::string_view(next).substr(0, next.size() / 2));
  auto log = f.Open(/*clean=*/false);
  CHECK(log->log_end_offset() == Offset(10));
  CHECK(log->recovery_info().truncated_bytes == static_cast<int64_t>(next.size() / 2));
  CHECK(log->recovery_info().segments_recovered == 1);
  REQUIRE(log->recovery_info().problems.size() == 1);
  CHECK(log->recovery_info().problems[0].find(kLog0) != std::string::npos);
  CHECK(f.Size(kLog0) == good);
  CHECK(ReadAll(*log).size() == 10);
  // Appends continue right after the last whole batch.
  auto info = log->AppendAsLeader(MakeBatch(1, "after", 0), 0);
  REQUIRE(info.ok());
  CHECK(info->first_offset == Offset(10));
}

TEST_CASE("TruncatedHeader: fewer bytes than a batch header at the tail are cut", "[log][recovery]") {
  Fixture f;
  f.Write(3);
  f.AppendRaw(kLog0, std::string(20, '\0'));
  auto log = f.Open(false);
  CHECK(log->recovery_info().truncated_bytes == 20);
  CHECK(log->log_end_offset() == Offset(6));
}

TEST_CASE("ChecksumMismatch: a corrupt unsynced batch ends the log there", "[log][recovery]") {
  Fixture f;
  f.Write(6);
  const uint64_t size = f.Size(kLog0);
  const uint64_t batch = size / 6;
  f.FlipByte(kLog0, 3 * batch + batch - 5);  // inside batch 4's records
  auto log = f.Open(false);
  CHECK(log->log_end_offset() == Offset(6));
  CHECK(log->recovery_info().truncated_bytes == static_cast<int64_t>(3 * batch));
  CHECK(ReadAll(*log).size() == 6);
}

TEST_CASE("BadLength: a batch length past the end of the file is a torn tail", "[log][recovery]") {
  Fixture f;
  f.Write(2);
  std::string batch = MakeBatch(1, "x", 0);
  batch[8] = 0x7f;  // batchLength huge
  f.AppendRaw(kLog0, batch);
  auto log = f.Open(false);
  CHECK(log->log_end_offset() == Offset(4));
  CHECK(log->recovery_info().truncated_bytes == static_cast<int64_t>(batch.size()));
}

TEST_CASE("Garbage after the last batch is cut", "[log][recovery]") {
  Fixture f;
  f.Write(2);
  f.AppendRaw(kLog0, std::string(500, 'g'));
  auto log = f.Open(false);
  CHECK(log->log_end_offset() == Offset(4));
  CHECK(log->recovery_info().truncated_bytes == 500);
}

TEST_CASE("segments after a corrupt point are deleted on recovery", "[log][recovery]") {
  Fixture f;
  f.config.segment_bytes = 1000;  // one ~300-byte batch... a few per segment
  f.Write(12, 300);
  auto opened = f.Open(true);
  const int segments = opened->num_segments();
  REQUIRE(segments >= 3);
  const std::vector<Offset> bases = opened->segment_base_offsets();
  REQUIRE(opened->Close().ok());
  opened.reset();
  // Corrupt the second segment's first batch.
  const std::string second = std::string(kDir) + "/" + SegmentFileStem(bases[1]) + ".log";
  f.FlipByte(second, 70);
  auto log = f.Open(false);
  CHECK(log->log_end_offset() == bases[1]);
  CHECK(log->num_segments() == 2);  // the first, and the emptied second
  CHECK(log->recovery_info().segments_deleted == segments - 2);
  for (size_t i = 2; i < bases.size(); ++i) {
    CHECK_FALSE(f.env->FileExists(std::string(kDir) + "/" + SegmentFileStem(bases[i]) + ".log"));
  }
}

TEST_CASE("a missing index is rebuilt from the log", "[log][recovery][index]") {
  Fixture f;
  f.config.index_interval_bytes = 256;
  f.Write(20);
  const std::string index = std::string(kDir) + "/00000000000000000000.index";
  const std::string before = *ReadFileToString(f.env.get(), index);
  REQUIRE_FALSE(before.empty());
  REQUIRE(f.env->DeleteFile(index).ok());
  auto log = f.Open(true);
  CHECK(log->recovery_info().indexes_rebuilt == 1);
  CHECK(ReadAll(*log, Offset(0), 1).size() == 40);
  REQUIRE(log->Close().ok());
  // The rebuilt index is the same as the one written while appending.
  CHECK(*ReadFileToString(f.env.get(), index) == before);
}

TEST_CASE("a torn index (not a whole number of entries) is rebuilt", "[log][recovery][index]") {
  Fixture f;
  f.config.index_interval_bytes = 256;
  f.Write(20);
  f.AppendRaw(std::string(kDir) + "/00000000000000000000.index", "abc");
  auto log = f.Open(true);
  CHECK(log->recovery_info().indexes_rebuilt == 1);
  CHECK(ReadAll(*log).size() == 40);
}

TEST_CASE("an inconsistent index (offsets out of order) is rebuilt", "[log][recovery][index]") {
  Fixture f;
  f.config.index_interval_bytes = 256;
  f.Write(20);
  const std::string index = std::string(kDir) + "/00000000000000000000.index";
  std::string bytes = *ReadFileToString(f.env.get(), index);
  REQUIRE(bytes.size() >= 16);
  std::swap_ranges(bytes.begin(), bytes.begin() + 8, bytes.begin() + 8);  // swap entries 0 and 1
  REQUIRE(WriteFileAtomically(f.env.get(), index, bytes).ok());
  auto log = f.Open(true);
  CHECK(log->recovery_info().indexes_rebuilt == 1);
  CHECK(ReadAll(*log, Offset(0), 1).size() == 40);
}

TEST_CASE("a corrupt batch inside a synced segment is reported with file and position",
          "[log][recovery]") {
  Fixture f;
  f.config.segment_bytes = 1000;
  f.Write(12, 300);
  auto opened = f.Open(true);
  const std::vector<Offset> bases = opened->segment_base_offsets();
  REQUIRE(opened->Close().ok());
  opened.reset();
  // Segment 0 is below the recovery point: synced. Corrupt it and drop its
  // index so that opening must read it.
  f.FlipByte(kLog0, 100);
  REQUIRE(f.env->DeleteFile(std::string(kDir) + "/00000000000000000000.index").ok());
  auto log = f.TryOpen(/*clean=*/false, /*recovery_point=*/bases.back());
  REQUIRE_FALSE(log.ok());
  CHECK(ErrorCodeOf(log.status()) == ErrorCode::kKafkaStorageError);
  const std::string message(log.status().message());
  CHECK(message.find(kLog0) != std::string::npos);
  CHECK(message.find("position 0") != std::string::npos);
  // Nothing was cut.
  CHECK(*f.env->GetFileSize(kLog0) > 0);
}

TEST_CASE("unclean recovery starts at the segment holding the recovery point", "[log][recovery]") {
  Fixture f;
  f.config.segment_bytes = 1000;
  f.Write(12, 300);
  auto opened = f.Open(true);
  const std::vector<Offset> bases = opened->segment_base_offsets();
  REQUIRE(opened->Close().ok());
  opened.reset();
  auto log = f.Open(false, /*recovery_point=*/bases[bases.size() - 2]);
  CHECK(log->recovery_info().segments_recovered == 2);
  CHECK(log->recovery_point() == log->log_end_offset());
}

TEST_CASE("leftover .deleted files and orphan indexes are removed on open", "[log][recovery]") {
  Fixture f;
  f.Write(2);
  f.AppendRaw(std::string(kDir) + "/00000000000000000000.log", "");
  REQUIRE(f.env->OpenFile(std::string(kDir) + "/00000000000000000077.log.deleted", OpenMode::kCreate).ok());
  REQUIRE(f.env->OpenFile(std::string(kDir) + "/00000000000000000099.index", OpenMode::kCreate).ok());
  auto log = f.Open(true);
  CHECK_FALSE(f.env->FileExists(std::string(kDir) + "/00000000000000000077.log.deleted"));
  CHECK_FALSE(f.env->FileExists(std::string(kDir) + "/00000000000000000099.index"));
  CHECK(log->log_end_offset() == Offset(4));
}

// --- LogManager ----------------------------------------------------------------------

struct ManagerFixture {
  ManualClock clock;
  std::unique_ptr<Env> env = NewMemEnv(&clock);

  absl::StatusOr<std::unique_ptr<LogManager>> TryOpen() {
    LogManager::Options options;
    options.env = env.get();
    options.log_dirs = {"/kafka-logs-a", "/kafka-logs-b"};
    return LogManager::Open(std::move(options));
  }
  std::unique_ptr<LogManager> Open() {
    auto m = TryOpen();
    REQUIRE(m.ok());
    return *std::move(m);
  }
};

TEST_CASE("log dir names parse as Kafka's topic-partition directories", "[log][manager]") {
  CHECK(LogManager::ParseLogDirName("orders-3") == TopicPartition{"orders", 3});
  CHECK(LogManager::ParseLogDirName("my-topic-12") == TopicPartition{"my-topic", 12});
  CHECK(LogManager::ParseLogDirName("__consumer_offsets-49") == TopicPartition{"__consumer_offsets", 49});
  CHECK_FALSE(LogManager::ParseLogDirName("orders-3.abc-delete").has_value());
  CHECK_FALSE(LogManager::ParseLogDirName("orders").has_value());
  CHECK_FALSE(LogManager::ParseLogDirName("orders-x").has_value());
  CHECK_FALSE(LogManager::ParseLogDirName("-1").has_value());
}

TEST_CASE("checkpoint files use Kafka's text format", "[log][manager]") {
  OffsetCheckpoint offsets{{{"orders", 0}, Offset(1234)}, {{"orders", 1}, Offset(987)}};
  CHECK(FormatOffsetCheckpoint(offsets) == "0\n2\norders 0 1234\norders 1 987\n");
  auto parsed = ParseOffsetCheckpoint("0\n2\norders 0 1234\norders 1 987\n", "x");
  REQUIRE(parsed.ok());
  CHECK(*parsed == offsets);
  CHECK_FALSE(ParseOffsetCheckpoint("1\n0\n", "x").ok());            // unknown version
  CHECK_FALSE(ParseOffsetCheckpoint("0\n3\norders 0 1\n", "x").ok());  // count mismatch
  CHECK_FALSE(ParseOffsetCheckpoint("0\n1\norders zero 1\n", "x").ok());
}

TEST_CASE("a clean shutdown writes the marker and checkpoints, the next open removes the marker",
          "[log][manager]") {
  ManagerFixture f;
  {
    auto m = f.Open();
    for (int p = 0; p < 4; ++p) {
      auto log = m->GetOrCreateLog({"orders", p}, LogConfig{});
      REQUIRE(log.ok());
      REQUIRE((*log)->AppendAsLeader(MakeBatch(p + 1, "v", 0), 0).ok());
    }
    REQUIRE(m->Close().ok());
  }
  // Partitions were spread over both dirs, two each.
  int in_a = 0;
  const std::vector<std::string> children_a = *f.env->GetChildren("/kafka-logs-a");
  for (const auto& name : children_a) in_a += name.rfind("orders-", 0) == 0;
  CHECK(in_a == 2);
  CHECK(f.env->FileExists("/kafka-logs-a/.kafka_cleanshutdown"));
  auto rp = ReadOffsetCheckpoint(f.env.get(), "/kafka-logs-a/recovery-point-offset-checkpoint");
  REQUIRE(rp.ok());
  CHECK(rp->size() == 2);
  auto m = f.Open();
  CHECK(m->recovery_summary().logs_loaded == 4);
  CHECK(m->recovery_summary().logs_recovered == 0);
  CHECK_FALSE(f.env->FileExists("/kafka-logs-a/.kafka_cleanshutdown"));
  CHECK(m->GetLog({"orders", 3})->log_end_offset() == Offset(4));
}

TEST_CASE("without the marker every partition is recovered and the summary says so", "[log][manager]") {
  ManagerFixture f;
  {
    auto m = f.Open();
    auto log = m->GetOrCreateLog({"t", 0}, LogConfig{});
    REQUIRE(log.ok());
    REQUIRE((*log)->AppendAsLeader(MakeBatch(3, "v", 0), 0).ok());
    REQUIRE(m->Close().ok());
  }
  REQUIRE(f.env->DeleteFile("/kafka-logs-a/.kafka_cleanshutdown").ok());
  auto m = f.Open();
  CHECK(m->recovery_summary().unclean_dirs == std::vector<std::string>{"/kafka-logs-a"});
  CHECK(m->recovery_summary().truncated_bytes == 0);
  CHECK(m->GetLog({"t", 0})->log_end_offset() == Offset(3));
}

TEST_CASE("a second broker cannot open a log dir that a live one holds", "[log][manager]") {
  ManagerFixture f;
  auto first = f.Open();
  auto second = f.TryOpen();
  REQUIRE_FALSE(second.ok());
  CHECK(ErrorCodeOf(second.status()) == ErrorCode::kKafkaStorageError);
  CHECK(std::string(second.status().message()).find("/kafka-logs-a") != std::string::npos);
  REQUIRE(first->Close().ok());
  first.reset();
  CHECK(f.TryOpen().ok());
}

TEST_CASE("deleting a partition's log removes its directory", "[log][manager]") {
  ManagerFixture f;
  auto m = f.Open();
  REQUIRE(m->GetOrCreateLog({"gone", 0}, LogConfig{}).ok());
  REQUIRE(m->DeleteLog({"gone", 0}).ok());
  CHECK(m->GetLog({"gone", 0}) == nullptr);
  for (const char* dir : {"/kafka-logs-a", "/kafka-logs-b"}) {
    const std::vector<std::string> children = *f.env->GetChildren(dir);
    for (const auto& name : children) CHECK(name.find("gone") == std::string::npos);
  }
  CHECK(ErrorCodeOf(m->DeleteLog({"gone", 0})) == ErrorCode::kUnknownTopicOrPartition);
}

}  // namespace
}  // namespace samsa

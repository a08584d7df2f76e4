// Idempotent producers' state (log/producer_state.h) and the Log's use of
// it: duplicates answered with their stored offsets, sequence and epoch
// checks with Kafka's error codes, snapshots in Kafka's .snapshot format,
// and the state surviving a clean restart and a crash. Expected behaviour is
// Kafka's ProducerStateManager / ProducerAppendInfo (KIP-98).
#include "log/producer_state.h"

#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "io/fault_injection_env.h"
#include "log/log.h"
#include "log/log_test_util.h"
#include "record/crc32c.h"
#include "record/record_batch.h"
#include "samsa/errors.h"
#include "util/endian.h"

namespace samsa {
namespace {

using Info = ProducerStateManager::BatchInfo;
constexpr int32_t kIntMax = std::numeric_limits<int32_t>::max();

ErrorCode CodeOf(const absl::StatusOr<std::optional<ProducerBatchMetadata>>& r) {
  return r.ok() ? ErrorCode::kNone : ErrorCodeOf(r.status());
}

TEST_CASE("a retry of any of the last five batches is a duplicate, with its offsets",
          "[log][producer]") {
  ProducerStateManager state;
  for (int i = 0; i < 7; ++i) {
    const Info b{7, 0, i * 10, 10};
    auto checked = state.Check(b, "t-0");
    REQUIRE(checked.ok());
    REQUIRE_FALSE(checked->has_value());
    state.Update(b, 100 + i * 10, 109 + i * 10, 1000 + i);
  }
  for (int i = 2; i < 7; ++i) {
    INFO("batch " << i);
    auto dup = state.Check({7, 0, i * 10, 10}, "t-0");
    REQUIRE(dup.ok());
    REQUIRE(dup->has_value());
    CHECK((*dup)->first_offset == 100 + i * 10);
    CHECK((*dup)->last_offset == 109 + i * 10);
    CHECK((*dup)->timestamp == 1000 + i);
  }
  // The sixth newest is no longer retained: Kafka answers OUT_OF_ORDER.
  CHECK(CodeOf(state.Check({7, 0, 10, 10}, "t-0")) == ErrorCode::kOutOfOrderSequenceNumber);
  // A retry must match the range exactly.
  CHECK(CodeOf(state.Check({7, 0, 60, 5}, "t-0")) == ErrorCode::kOutOfOrderSequenceNumber);
  // The next sequence continues; a gap, or a repeat of an older start, does not.
  CHECK(CodeOf(state.Check({7, 0, 70, 1}, "t-0")) == ErrorCode::kNone);
  CHECK(CodeOf(state.Check({7, 0, 71, 1}, "t-0")) == ErrorCode::kOutOfOrderSequenceNumber);
}

TEST_CASE("producer epochs: older is fenced, newer starts at sequence 0", "[log][producer]") {
  ProducerStateManager state;
  state.Update({7, 3, 0, 5}, 0, 4, 1);
  CHECK(CodeOf(state.Check({7, 2, 5, 1}, "t-0")) == ErrorCode::kInvalidProducerEpoch);
  CHECK(CodeOf(state.Check({7, 4, 5, 1}, "t-0")) == ErrorCode::kOutOfOrderSequenceNumber);
  CHECK(CodeOf(state.Check({7, 4, 0, 1}, "t-0")) == ErrorCode::kNone);
  state.Update({7, 4, 0, 1}, 5, 5, 2);
  // The old epoch's batches are forgotten: its retry is fenced, not a duplicate.
  CHECK(CodeOf(state.Check({7, 3, 0, 5}, "t-0")) == ErrorCode::kInvalidProducerEpoch);
  CHECK(state.Find(7)->batches.size() == 1);
  // A producer nothing is known of may start anywhere (its batches went
  // with retention, as Kafka allows).
  CHECK(CodeOf(state.Check({8, 0, 12345, 1}, "t-0")) == ErrorCode::kNone);
}

TEST_CASE("sequence numbers wrap from INT32_MAX to 0", "[log][producer]") {
  const Info spanning{7, 0, kIntMax - 1, 3};
  CHECK(spanning.last_seq() == 0);
  ProducerStateManager state;
  state.Update({7, 0, kIntMax - 4, 5}, 0, 4, 1);  // ends at INT32_MAX
  CHECK(state.Find(7)->batches.back().last_seq == kIntMax);
  CHECK(CodeOf(state.Check({7, 0, 0, 2}, "t-0")) == ErrorCode::kNone);
  state.Update({7, 0, 0, 2}, 5, 6, 2);
  CHECK(CodeOf(state.Check({7, 0, 2, 1}, "t-0")) == ErrorCode::kNone);
}

TEST_CASE("producers are forgotten below the log start, past the log end, and when idle",
          "[log][producer]") {
  ProducerStateManager state;
  state.Update({1, 0, 0, 10}, 0, 9, 1000);
  state.Update({2, 0, 0, 10}, 10, 19, 5000);
  state.Update({2, 0, 10, 10}, 20, 29, 6000);
  state.TruncateHead(10);
  CHECK(state.Find(1) == nullptr);
  REQUIRE(state.Find(2) != nullptr);
  state.TruncateTail(25);  // the batch at 20..29 is cut
  REQUIRE(state.Find(2) != nullptr);
  CHECK(state.Find(2)->batches.size() == 1);
  CHECK(state.Find(2)->batches.back().last_offset == 19);
  state.Expire(/*now_ms=*/6000 + 999, /*expiration_ms=*/1000);
  CHECK(state.Find(2) != nullptr);
  state.Expire(/*now_ms=*/6000 + 1000, /*expiration_ms=*/1000);
  CHECK(state.empty());
}

// Kafka's ProducerStateManager.writeSnapshot (version 1), field by field.
TEST_CASE("snapshots are Kafka's .snapshot bytes and load back", "[log][producer]") {
  ProducerStateManager state;
  state.Update({42, 3, 0, 5}, 100, 104, 1700000000000);
  state.Update({42, 3, 5, 4}, 110, 113, 1700000000123);
  const std::string bytes = state.EncodeSnapshot();

  std::string want;
  const auto be = [&want](uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) want.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  be(1, 2);                  // version
  be(0, 4);                  // CRC, below
  be(1, 4);                  // one entry
  be(42, 8);                 // producer_id
  be(3, 2);                  // epoch
  be(8, 4);                  // last_sequence: 5 + 4 - 1
  be(113, 8);                // last_offset
  be(3, 4);                  // offset_delta: 113 - 110
  be(1700000000123, 8);      // timestamp
  be(0xffffffff, 4);         // coordinator_epoch -1
  be(~uint64_t{0}, 8);       // current_txn_first_offset -1
  StoreBE32(want.data() + 2, record::Crc32cExtend(0, want.data() + 6, want.size() - 6));
  CHECK(bytes == want);
  CHECK(ProducerStateManager::SnapshotFileName(113) == "00000000000000000113.snapshot");
  CHECK(ProducerStateManager::ParseSnapshotFileName("00000000000000000113.snapshot") == 113);
  CHECK_FALSE(ProducerStateManager::ParseSnapshotFileName("00000000000000000113.log"));

  ProducerStateManager loaded;
  REQUIRE(loaded.LoadSnapshot(bytes).ok());
  auto dup = loaded.Check({42, 3, 5, 4}, "t-0");  // the last batch is retained
  REQUIRE(dup.ok());
  REQUIRE(dup->has_value());
  CHECK((*dup)->first_offset == 110);
  CHECK(CodeOf(loaded.Check({42, 3, 9, 1}, "t-0")) == ErrorCode::kNone);
  CHECK(CodeOf(loaded.Check({42, 2, 9, 1}, "t-0")) == ErrorCode::kInvalidProducerEpoch);

  // Damaged files are refused and change nothing.
  for (size_t pos : {size_t{0}, size_t{3}, size_t{7}, size_t{20}, bytes.size() - 1}) {
    std::string bad = bytes;
    bad[pos] ^= 0x04;
    ProducerStateManager s = loaded;
    CHECK(absl::IsDataLoss(s.LoadSnapshot(bad)));
    CHECK(s.Find(42) != nullptr);
  }
  CHECK(absl::IsDataLoss(loaded.LoadSnapshot(bytes.substr(0, bytes.size() - 1))));
  CHECK(absl::IsDataLoss(loaded.LoadSnapshot("")));
}

// --- Through the Log ------------------------------------------------------------------------

std::string IdempotentBatch(int64_t producer_id, int16_t epoch, int32_t first_seq, int n,
                            int64_t timestamp) {
  record::RecordBatchOptions options;
  options.producer_id = producer_id;
  options.producer_epoch = epoch;
  options.base_sequence = first_seq;
  record::RecordBatchBuilder builder(options);
  for (int i = 0; i < n; ++i) builder.Append(timestamp, "k", "v" + std::to_string(first_seq + i));
  absl::StatusOr<std::string> batch = builder.Build();
  REQUIRE(batch.ok());
  return *std::move(batch);
}

struct LogRig {
  ManualClock clock;
  std::unique_ptr<Env> base = NewMemEnv(&clock);
  FaultInjectionEnv env{base.get()};
  LogConfig config;

  LogRig() {
    // Durable directories, as the LogManager leaves them.
    REQUIRE(env.CreateDir("/data").ok());
    REQUIRE(env.CreateDir("/data/p-0").ok());
    REQUIRE(env.SyncDir("/data").ok());
    REQUIRE(env.SyncDir("/").ok());
  }

  std::unique_ptr<Log> Open(bool clean) {
    return testing::OpenLog(testing::LogOptions(&env, "/data/p-0", "p", config, clean));
  }
  LogAppendInfo Append(Log& log, const std::string& batch) {
    absl::StatusOr<LogAppendInfo> info = log.AppendAsLeader(batch, 0);
    REQUIRE(info.ok());
    return *info;
  }
};

TEST_CASE("a retried batch is not stored twice, and a gap is OUT_OF_ORDER_SEQUENCE_NUMBER",
          "[log][producer]") {
  LogRig rig;
  auto log = rig.Open(true);
  rig.Append(*log, MakeBatch(2, "plain", rig.clock.NowMs()));  // offsets 0..1
  const std::string first = IdempotentBatch(5, 2, 0, 3, rig.clock.NowMs());
  const LogAppendInfo stored = rig.Append(*log, first);  // 2..4
  CHECK_FALSE(stored.duplicate);
  rig.Append(*log, IdempotentBatch(5, 2, 3, 2, rig.clock.NowMs()));  // 5..6

  const LogAppendInfo retry = rig.Append(*log, first);
  CHECK(retry.duplicate);
  CHECK(retry.first_offset == Offset(2));
  CHECK(retry.last_offset == Offset(4));
  CHECK(log->log_end_offset() == Offset(7));

  absl::StatusOr<LogAppendInfo> gap = log->AppendAsLeader(IdempotentBatch(5, 2, 9, 1, 0), 0);
  CHECK(ErrorCodeOf(gap.status()) == ErrorCode::kOutOfOrderSequenceNumber);
  absl::StatusOr<LogAppendInfo> fenced = log->AppendAsLeader(IdempotentBatch(5, 1, 5, 1, 0), 0);
  CHECK(ErrorCodeOf(fenced.status()) == ErrorCode::kInvalidProducerEpoch);
  // A producer id without a sequence is INVALID_RECORD (LogValidator.validateBatch).
  absl::StatusOr<LogAppendInfo> no_seq = log->AppendAsLeader(IdempotentBatch(5, 2, -1, 1, 0), 0);
  CHECK(ErrorCodeOf(no_seq.status()) == ErrorCode::kInvalidRecord);
  CHECK(log->log_end_offset() == Offset(7));
  log->UpdateHighWatermark(log->log_end_offset());
  CHECK(testing::ReadAll(*log).size() == 7);
}

TEST_CASE("a producer idle past producer.id.expiration.ms, or below the log start, is forgotten",
          "[log][producer]") {
  LogRig rig;
  rig.config.producer_id_expiration_ms = 60000;
  rig.config.segment_bytes = 300;
  auto log = rig.Open(true);
  rig.Append(*log, IdempotentBatch(1, 0, 0, 2, rig.clock.NowMs()));
  rig.clock.Advance(absl::Seconds(30));
  rig.Append(*log, IdempotentBatch(2, 0, 0, 2, rig.clock.NowMs()));
  rig.clock.Advance(absl::Seconds(31));  // producer 1: 61 s idle; producer 2: 31 s
  REQUIRE(log->DeleteOldSegments().ok());  // the retention pass expires producers
  CHECK_FALSE(rig.Append(*log, IdempotentBatch(1, 0, 50, 1, rig.clock.NowMs())).duplicate);
  CHECK(ErrorCodeOf(log->AppendAsLeader(IdempotentBatch(2, 0, 50, 1, 0), 0).status()) ==
        ErrorCode::kOutOfOrderSequenceNumber);
  // DeleteRecords past every batch of producer 2 forgets it too.
  for (int i = 0; i < 6; ++i) rig.Append(*log, MakeBatch(2, "filler", rig.clock.NowMs(),
                                                         record::CompressionType::kNone, 50));
  log->UpdateHighWatermark(log->log_end_offset());
  REQUIRE(log->DeleteRecordsBefore(Offset(6)).ok());
  CHECK_FALSE(rig.Append(*log, IdempotentBatch(2, 0, 50, 1, rig.clock.NowMs())).duplicate);
}

TEST_CASE("producers' state survives a clean restart and a crash", "[log][producer]") {
  LogRig rig;
  rig.config.segment_bytes = 400;  // a roll every few batches: snapshots at rolls
  std::vector<std::string> sent;
  {
    auto log = rig.Open(true);
    for (int i = 0; i < 12; ++i) {
      sent.push_back(IdempotentBatch(9, 1, i * 2, 2, rig.clock.NowMs()));
      rig.Append(*log, sent.back());
    }
    REQUIRE(log->num_segments() > 2);
    REQUIRE(log->Close().ok());
  }
  absl::StatusOr<std::vector<std::string>> files = rig.env.GetChildren("/data/p-0");
  REQUIRE(files.ok());
  // Closed at offset 24: a snapshot there, and one from a roll.
  CHECK(std::count(files->begin(), files->end(), "00000000000000000024.snapshot") == 1);
  CHECK(std::count_if(files->begin(), files->end(), [](const std::string& f) {
          return f.size() > 9 && f.substr(f.size() - 9) == ".snapshot";
        }) == 2);

  SECTION("after a clean restart the last batch's retry is still a duplicate") {
    auto log = rig.Open(true);
    const LogAppendInfo retry = rig.Append(*log, sent.back());
    CHECK(retry.duplicate);
    CHECK(retry.first_offset == Offset(22));
    CHECK(log->log_end_offset() == Offset(24));
    CHECK_FALSE(rig.Append(*log, IdempotentBatch(9, 1, 24, 1, rig.clock.NowMs())).duplicate);
  }
  SECTION("after a crash the state is rebuilt from a snapshot and the batches after it") {
    {
      auto log = rig.Open(true);
      // More batches, synced, then the process dies without closing.
      for (int i = 12; i < 15; ++i) {
        sent.push_back(IdempotentBatch(9, 1, i * 2, 2, rig.clock.NowMs()));
        rig.Append(*log, sent.back());
      }
      REQUIRE(log->Flush().ok());
      rig.env.Halt();
      log.reset();
    }
    REQUIRE(rig.env.SimulateCrash().ok());
    auto log = rig.Open(false);
    REQUIRE(log->log_end_offset() == Offset(30));
    // The last batch came after every snapshot: only replaying the log
    // finds it. (A snapshot keeps each producer's last batch only, as
    // Kafka's does: older retries are no longer recognised after a restart.)
    const LogAppendInfo retry = rig.Append(*log, sent.back());
    CHECK(retry.duplicate);
    CHECK(retry.first_offset == Offset(28));
    CHECK(ErrorCodeOf(log->AppendAsLeader(IdempotentBatch(9, 1, 31, 1, 0), 0).status()) ==
          ErrorCode::kOutOfOrderSequenceNumber);
    CHECK_FALSE(rig.Append(*log, IdempotentBatch(9, 1, 30, 1, rig.clock.NowMs())).duplicate);
  }
  SECTION("a truncation forgets the batches it removes") {
    auto log = rig.Open(true);
    REQUIRE(log->Truncate(Offset(20)).ok());
    CHECK(ErrorCodeOf(log->AppendAsLeader(sent.back(), 0).status()) ==
          ErrorCode::kOutOfOrderSequenceNumber);  // 20..23 are gone: 18..19 is the last
    CHECK_FALSE(rig.Append(*log, sent[10]).duplicate);  // sequence 20 follows 19
  }
}

}  // namespace
}  // namespace samsa

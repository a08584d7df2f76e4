// Crash tests: many seeds of random appends, flushes, checkpoints, rolls and
// retention through a FaultInjectionEnv, with injected write/sync failures,
// then a simulated power cut at a random point and a reopen through the
// LogManager (checkpoints, clean-shutdown marker, recovery). After each crash:
//   - the log is a prefix of what was acknowledged (from its log start on),
//     possibly followed by the records of the append that failed last (a
//     failed fsync leaves them written but unacknowledged; the log then goes
//     offline, so there is at most one such append);
//   - it holds everything that was flushed before the crash;
//   - every offset is found through the (rebuilt) indexes;
//   - appends continue at the LEO.
// SAMSA_CRASH_SEEDS overrides the number of seeds (default 500); a failure
// prints its seed, and SAMSA_CRASH_SEED=<n> replays just that one.
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "io/fault_injection_env.h"
#include "log/log_manager.h"
#include "log/log_test_util.h"
#include "samsa/errors.h"
#include "samsa/logging.h"

namespace samsa {
namespace {

using testing::DecodeAll;

int SeedCount() {
  if (const char* s = std::getenv("SAMSA_CRASH_SEEDS")) return std::max(1, std::atoi(s));
  return 500;
}

const TopicPartition kTp{"crash", 0};

class CrashRun {
 public:
  explicit CrashRun(uint32_t seed) : seed_(seed), rng_(seed) {
    config_.segment_bytes = Pick(1500, 6000);
    config_.index_interval_bytes = Pick(0, 800);
    config_.segment_index_bytes = 8 * Pick(2, 40);
    config_.retention_bytes = -1;
    if (Pick(0, 3) == 0) config_.flush_messages = 1;
    Open();
  }

  int Pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

  void Open() {
    LogManager::Options options;
    options.env = &env_;
    options.log_dirs = {"/kafka-logs"};
    options.default_config = config_;
    absl::StatusOr<std::unique_ptr<LogManager>> manager = LogManager::Open(std::move(options));
    REQUIRE(manager.ok());
    manager_ = *std::move(manager);
    absl::StatusOr<std::shared_ptr<Log>> log = manager_->GetOrCreateLog(kTp, config_);
    REQUIRE(log.ok());
    log_ = log->get();
    log_->UpdateHighWatermark(log_->log_end_offset());
  }

  // One random step of work, faults included.
  void Step() {
    const int op = Pick(0, 99);
    if (Pick(0, 29) == 0) env_.FailNth(Pick(0, 1) ? FaultOp::kAppend : FaultOp::kSync, Pick(1, 3));
    if (op < 70) {
      Append();
    } else if (op < 80) {
      if (log_->Flush().ok()) flushed_ = log_->log_end_offset().value();
    } else if (op < 87) {
      // A checkpoint a crash may or may not have seen: either way recovery is right.
      manager_->CheckpointRecoveryPoints().IgnoreError();
      manager_->CheckpointLogStartOffsets().IgnoreError();
    } else if (op < 93) {
      log_->Roll().IgnoreError();
    } else {
      // Retention by delete-records: drops a prefix of whole segments.
      const int64_t leo = log_->log_end_offset().value();
      if (leo > 0) {
        auto start = log_->DeleteRecordsBefore(Offset(Pick(0, static_cast<int>(leo))));
        if (start.ok()) log_start_ = std::max(log_start_, start->value());
      }
    }
  }

  void Append() {
    const int n = Pick(1, 5);
    record::RecordBatchBuilder builder;
    std::vector<std::string> values;
    for (int i = 0; i < n; ++i) {
      values.push_back(fmt::format("s{}-{}-{}", seed_, acked_.size(), std::string(Pick(0, 300), 'v')));
      builder.Append(1'700'000'000'000 + static_cast<int64_t>(acked_.size()), std::nullopt, values.back());
    }
    const int64_t leo_before = log_->log_end_offset().value();
    absl::StatusOr<LogAppendInfo> info = log_->AppendAsLeader(*builder.Build(), 0);
    if (!info.ok()) {
      // Not acknowledged. If it reached the log (its fsync failed), the log is
      // offline now and these records may or may not survive a crash.
      if (log_->log_end_offset().value() > leo_before) {
        REQUIRE(unacked_.empty());
        unacked_ = values;
        REQUIRE(ErrorCodeOf(log_->AppendAsLeader(testing::MakeBatch(1, "again", 0), 0).status()) ==
                ErrorCode::kKafkaStorageError);
      }
      return;
    }
    REQUIRE(unacked_.empty());
    REQUIRE(info->first_offset.value() == static_cast<int64_t>(acked_.size()));
    for (auto& v : values) acked_.push_back(std::move(v));
    log_->UpdateHighWatermark(log_->log_end_offset());
    if (config_.flush_messages == 1) flushed_ = static_cast<int64_t>(acked_.size());
  }

  void CrashAndCheck() {
    env_.ClearFaults();
    env_.Halt();
    manager_.reset();  // no clean shutdown: every write now fails
    REQUIRE(env_.SimulateCrash().ok());
    Open();

    const int64_t leo = log_->log_end_offset().value();
    INFO("seed " << seed_ << ": leo " << leo << ", flushed " << flushed_ << ", acked "
                 << acked_.size() << ", log start " << log_->log_start_offset().value());
    // Everything flushed survived; nothing beyond what was written appeared.
    REQUIRE(leo >= flushed_);
    REQUIRE(leo <= static_cast<int64_t>(acked_.size() + unacked_.size()));
    // Survivors of the failed append are part of the log from now on.
    const size_t acked = acked_.size();
    for (size_t o = acked; o < static_cast<size_t>(leo); ++o) acked_.push_back(unacked_[o - acked]);
    unacked_.clear();
    REQUIRE(log_->log_start_offset().value() <= leo);

    // The log is a prefix of what was acknowledged, read through the indexes
    // from random offsets with random fetch sizes — from the log start the
    // test asked for: below it records were deleted, and a log start
    // checkpoint older than the crash may expose some of them again.
    const int64_t start = std::max(log_->log_start_offset().value(), log_start_);
    for (int probe = 0; probe < 8 && start < leo; ++probe) {
      const int64_t from = start + Pick(0, static_cast<int>(leo - start - 1));
      absl::StatusOr<LogReadInfo> read = log_->Read(Offset(from), Pick(1, 3000), Offset(leo));
      REQUIRE(read.ok());
      auto records = DecodeAll(read->records.view());
      REQUIRE_FALSE(records.empty());
      REQUIRE(records.front().offset <= from);
      REQUIRE(records.back().offset >= from);
      for (const auto& r : records) {
        REQUIRE(r.value == acked_[static_cast<size_t>(r.offset)]);
      }
    }
    const auto all = testing::ReadAll(*log_, Offset(std::min(start, leo)));
    for (const auto& r : all) REQUIRE(r.value == acked_[static_cast<size_t>(r.offset)]);
    if (!all.empty()) REQUIRE(all.back().offset == leo - 1);

    // What did not survive is no longer acknowledged; appends continue at the LEO.
    acked_.resize(static_cast<size_t>(leo));
    flushed_ = std::min(flushed_, leo);
    Append();
    REQUIRE(log_->log_end_offset().value() == static_cast<int64_t>(acked_.size()));
  }

 private:
  const uint32_t seed_;
  std::mt19937 rng_;
  ManualClock clock_;
  std::unique_ptr<Env> base_ = NewMemEnv(&clock_);
  FaultInjectionEnv env_{base_.get()};
  LogConfig config_;
  std::unique_ptr<LogManager> manager_;
  Log* log_ = nullptr;
  std::vector<std::string> acked_;    // value of each acknowledged offset
  std::vector<std::string> unacked_;  // values of a failed append that reached the log
  int64_t flushed_ = 0;             // offsets below this were flushed
  int64_t log_start_ = 0;

 public:
  ~CrashRun() {
    manager_.reset();
  }
};

TEST_CASE("after a crash at any point the log is a durable prefix of what was acknowledged",
          "[log][crash]") {
  // Halted writes and recoveries log warnings by the hundred; keep errors only.
  if (std::getenv("SAMSA_TEST_LOG") == nullptr) SetMinLogLevel(LogLevel::kError);
  std::vector<uint32_t> seeds;
  if (const char* one = std::getenv("SAMSA_CRASH_SEED")) {
    seeds.push_back(static_cast<uint32_t>(std::strtoul(one, nullptr, 10)));
  } else {
    for (int i = 0; i < SeedCount(); ++i) seeds.push_back(static_cast<uint32_t>(i));
  }
  for (uint32_t seed : seeds) {
    CAPTURE(seed);
    CrashRun run(seed);
    for (int crash = 0; crash < 2; ++crash) {
      const int steps = run.Pick(1, 120);
      for (int i = 0; i < steps; ++i) run.Step();
      run.CrashAndCheck();
    }
  }
}

}  // namespace
}  // namespace samsa

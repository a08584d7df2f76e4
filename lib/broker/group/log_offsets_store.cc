#include "broker/group/log_offsets_store.h"

#include <fmt/format.h>

#include "broker/group/offsets_records.h"
#include "record/record_batch.h"
#include "samsa/errors.h"
#include "util/status_macros.h"

namespace samsa::group {

void LogOffsetsStore::AddPartition(int32_t partition, Log* log) {
  MutexLock lock(&mu_);
  logs_[partition] = log;
}

void LogOffsetsStore::RemovePartition(int32_t partition) {
  MutexLock lock(&mu_);
  logs_.erase(partition);
}

absl::StatusOr<Log*> LogOffsetsStore::Find(int32_t partition) const {
  MutexLock lock(&mu_);
  auto it = logs_.find(partition);
  if (it == logs_.end()) {
    return KafkaError(ErrorCode::kNotLeaderOrFollower,
                      fmt::format("{}-{} is not hosted here", kOffsetsTopic, partition));
  }
  return it->second;
}

absl::StatusOr<int64_t> LogOffsetsStore::Append(int32_t partition, std::string record_batch) {
  SAMSA_ASSIGN_OR_RETURN(Log * log, Find(partition));
  SAMSA_ASSIGN_OR_RETURN(LogAppendInfo info,
                         log->AppendAsLeader(std::move(record_batch), /*leader_epoch=*/0,
                                             AppendOrigin::kCoordinator));
  // One replica: committed once written.
  log->MaybeIncrementHighWatermark(info.last_offset + 1);
  return info.last_offset.value();
}

absl::Status LogOffsetsStore::Scan(int32_t partition, const ScanFn& fn) {
  SAMSA_ASSIGN_OR_RETURN(Log * log, Find(partition));
  Offset next = log->log_start_offset();
  const Offset end = log->log_end_offset();
  while (next < end) {
    SAMSA_ASSIGN_OR_RETURN(LogReadInfo read, log->Read(next, 1 << 20, end));
    if (read.records.empty()) break;
    std::string_view bytes = read.records.view();
    while (!bytes.empty()) {
      SAMSA_ASSIGN_OR_RETURN(record::RecordBatchView batch, record::RecordBatchView::Parse(bytes));
      bytes.remove_prefix(batch.size_in_bytes());
      next = Offset(batch.next_offset());
      if (batch.is_control()) continue;
      SAMSA_ASSIGN_OR_RETURN(record::RecordReader reader, record::RecordReader::Open(batch));
      record::RecordView rec;
      while (true) {
        SAMSA_ASSIGN_OR_RETURN(bool more, reader.Next(&rec));
        if (!more) break;
        fn(rec.key, rec.value, rec.offset);
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace samsa::group

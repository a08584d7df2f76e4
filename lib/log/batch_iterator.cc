#include "log/batch_iterator.h"

#include <algorithm>

#include <fmt/format.h>

#include "util/endian.h"
#include "util/status_macros.h"

namespace samsa {

using record::RecordBatchView;

BatchIterator::BatchIterator(const File* file, int64_t start_position, int64_t end_position,
                             Mode mode, size_t chunk_bytes)
    : file_(file),
      position_(start_position),
      end_(end_position),
      mode_(mode),
      chunk_bytes_(chunk_bytes) {}

absl::Status BatchIterator::Fill(int64_t position, size_t min_bytes) {
  const size_t want = static_cast<size_t>(std::min<int64_t>(
      std::max(min_bytes, chunk_bytes_), end_ - position));
  buffer_.resize(want);
  SAMSA_ASSIGN_OR_RETURN(std::string_view got,
                         file_->ReadAt(static_cast<uint64_t>(position), want, buffer_.data()));
  if (got.data() != buffer_.data()) std::copy(got.begin(), got.end(), buffer_.begin());
  buffer_.resize(got.size());
  buffer_start_ = position;
  buffered_ = buffer_;
  return absl::OkStatus();
}

absl::StatusOr<BatchIterator::Step> BatchIterator::Next() {
  Step step;
  if (position_ >= end_) return step;  // kEnd
  const int64_t remaining = end_ - position_;
  const auto available = [&]() -> int64_t {
    const int64_t offset_in_buffer = position_ - buffer_start_;
    if (offset_in_buffer < 0 || offset_in_buffer > static_cast<int64_t>(buffered_.size())) return 0;
    return static_cast<int64_t>(buffered_.size()) - offset_in_buffer;
  };
  const auto view = [&]() {
    return buffered_.substr(static_cast<size_t>(position_ - buffer_start_));
  };

  if (remaining < static_cast<int64_t>(record::kBatchHeaderSize)) {
    step.kind = Step::kInvalid;
    step.reason = fmt::format("{} bytes at the end are too few for a batch header", remaining);
    return step;
  }
  if (available() < static_cast<int64_t>(record::kBatchHeaderSize)) {
    SAMSA_RETURN_IF_ERROR(Fill(position_, record::kBatchHeaderSize));
    if (available() < static_cast<int64_t>(record::kBatchHeaderSize)) {
      step.kind = Step::kInvalid;
      step.reason = "short read of a batch header";
      return step;
    }
  }
  const std::string_view header = view();
  const int64_t size = record::kLogOverhead +
                       static_cast<int32_t>(LoadBE32(header.data() + record::kBatchLengthPos));
  if (size < static_cast<int64_t>(record::kBatchHeaderSize) || size > remaining) {
    step.kind = Step::kInvalid;
    step.reason = fmt::format("batch size {} does not fit the {} bytes left", size, remaining);
    return step;
  }
  if (static_cast<int8_t>(header[record::kMagicPos]) != record::kMagic) {
    step.kind = Step::kInvalid;
    step.reason = fmt::format("magic {} is not 2", static_cast<int>(header[record::kMagicPos]));
    return step;
  }
  LocatedBatch& located = step.located;
  located.position = position_;
  located.size = size;
  located.base_offset = static_cast<int64_t>(LoadBE64(header.data() + record::kBaseOffsetPos));
  located.last_offset =
      located.base_offset +
      static_cast<int32_t>(LoadBE32(header.data() + record::kLastOffsetDeltaPos));
  located.max_timestamp = static_cast<int64_t>(LoadBE64(header.data() + record::kMaxTimestampPos));
  located.producer_id = static_cast<int64_t>(LoadBE64(header.data() + record::kProducerIdPos));
  located.producer_epoch =
      static_cast<int16_t>(LoadBE16(header.data() + record::kProducerEpochPos));
  located.base_sequence = static_cast<int32_t>(LoadBE32(header.data() + record::kBaseSequencePos));
  located.control =
      (LoadBE16(header.data() + record::kAttributesPos) & record::kAttrControlBit) != 0;
  if (mode_ != Mode::kHeaders) {
    if (available() < size) {
      SAMSA_RETURN_IF_ERROR(Fill(position_, static_cast<size_t>(size)));
      if (available() < size) {
        step.kind = Step::kInvalid;
        step.reason = "short read of a batch";
        return step;
      }
    }
    absl::StatusOr<RecordBatchView> batch = RecordBatchView::Parse(
        view().substr(0, static_cast<size_t>(size)), mode_ == Mode::kVerifiedCrc);
    if (!batch.ok()) {
      step.kind = Step::kInvalid;
      step.reason = std::string(batch.status().message());
      return step;
    }
    located.batch = *batch;
  }
  step.kind = Step::kBatch;
  position_ += size;
  return step;
}

}  // namespace samsa

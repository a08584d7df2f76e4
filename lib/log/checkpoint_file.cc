#include "log/checkpoint_file.h"

#include <vector>

#include <fmt/format.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "util/status_macros.h"

namespace samsa {

std::string FormatOffsetCheckpoint(const OffsetCheckpoint& offsets) {
  std::string out = fmt::format("0\n{}\n", offsets.size());
  for (const auto& [tp, offset] : offsets) {
    out += fmt::format("{} {} {}\n", tp.topic, tp.partition, offset.value());
  }
  return out;
}

absl::StatusOr<OffsetCheckpoint> ParseOffsetCheckpoint(std::string_view text,
                                                       std::string_view source) {
  std::vector<std::string> lines = absl::StrSplit(std::string(text), '\n', absl::SkipEmpty());
  const auto malformed = [&](size_t line, std::string_view why) {
    return absl::DataLossError(
        fmt::format("checkpoint {}: line {}: {}", source, line + 1, why));
  };
  if (lines.size() < 2) return malformed(0, "missing version or entry count");
  if (lines[0] != "0") return malformed(0, fmt::format("unknown version '{}'", lines[0]));
  int64_t count = 0;
  if (!absl::SimpleAtoi(lines[1], &count) || count < 0) return malformed(1, "bad entry count");
  if (static_cast<int64_t>(lines.size()) - 2 != count) {
    return malformed(1, fmt::format("says {} entries, has {}", count, lines.size() - 2));
  }
  OffsetCheckpoint result;
  for (size_t i = 2; i < lines.size(); ++i) {
    std::vector<std::string> fields = absl::StrSplit(lines[i], ' ', absl::SkipEmpty());
    int32_t partition = 0;
    int64_t offset = 0;
    if (fields.size() != 3 || !absl::SimpleAtoi(fields[1], &partition) ||
        !absl::SimpleAtoi(fields[2], &offset) || partition < 0) {
      return malformed(i, fmt::format("expected 'topic partition offset', got '{}'", lines[i]));
    }
    result[TopicPartition{fields[0], partition}] = Offset(offset);
  }
  return result;
}

absl::Status WriteOffsetCheckpoint(Env* env, const std::string& path,
                                   const OffsetCheckpoint& offsets) {
  return WriteFileAtomically(env, path, FormatOffsetCheckpoint(offsets));
}

absl::StatusOr<OffsetCheckpoint> ReadOffsetCheckpoint(Env* env, const std::string& path) {
  if (!env->FileExists(path)) return OffsetCheckpoint{};
  SAMSA_ASSIGN_OR_RETURN(std::string text, ReadFileToString(env, path));
  return ParseOffsetCheckpoint(text, path);
}

}  // namespace samsa

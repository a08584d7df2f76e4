// The parts of samsa/coordinator.h shared by every Coordinator: statuses with
// ZooKeeper's error codes, path validation, Op constructors.
#include "samsa/coordinator.h"

#include <charconv>
#include <utility>

#include <fmt/format.h>

#include "absl/strings/cord.h"

namespace samsa {
namespace {

// The payload that carries a coordinator status's ZooKeeper error code.
constexpr char kErrorPayloadUrl[] = "type.samsa.dev/coordinator-error";

absl::StatusCode CanonicalCode(CoordinatorError error) {
  switch (error) {
    case CoordinatorError::kOk:
      return absl::StatusCode::kOk;
    case CoordinatorError::kConnectionLoss:
    case CoordinatorError::kSessionExpired:
    case CoordinatorError::kClosed:
      return absl::StatusCode::kUnavailable;
    case CoordinatorError::kBadArguments:
      return absl::StatusCode::kInvalidArgument;
    case CoordinatorError::kNoNode:
      return absl::StatusCode::kNotFound;
    case CoordinatorError::kNodeExists:
      return absl::StatusCode::kAlreadyExists;
    case CoordinatorError::kBadVersion:
    case CoordinatorError::kNotEmpty:
    case CoordinatorError::kNoChildrenForEphemerals:
      return absl::StatusCode::kFailedPrecondition;
    case CoordinatorError::kOther:
      break;
  }
  return absl::StatusCode::kUnknown;
}

}  // namespace

std::string_view WatchEventTypeName(WatchEventType type) {
  switch (type) {
    case WatchEventType::kNodeCreated:
      return "NodeCreated";
    case WatchEventType::kNodeDeleted:
      return "NodeDeleted";
    case WatchEventType::kNodeDataChanged:
      return "NodeDataChanged";
    case WatchEventType::kNodeChildrenChanged:
      return "NodeChildrenChanged";
  }
  return "Unknown";
}

absl::Status CoordinatorStatus(CoordinatorError error, std::string message) {
  if (error == CoordinatorError::kOk) return absl::OkStatus();
  absl::Status status(CanonicalCode(error), message);
  status.SetPayload(kErrorPayloadUrl, absl::Cord(std::to_string(static_cast<int32_t>(error))));
  return status;
}

CoordinatorError CoordinatorErrorOf(const absl::Status& status) {
  if (status.ok()) return CoordinatorError::kOk;
  auto payload = status.GetPayload(kErrorPayloadUrl);
  if (!payload.has_value()) return CoordinatorError::kOther;
  const std::string text(*payload);
  int32_t code = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), code);
  if (ec != std::errc() || end != text.data() + text.size()) return CoordinatorError::kOther;
  return static_cast<CoordinatorError>(code);
}

// ZooKeeper's PathUtils.validatePath, on UTF-8 bytes.
absl::Status ValidatePath(std::string_view path, bool sequential) {
  // A sequential create validates the prefix plus a suffix, as ZooKeeper does.
  const std::string checked = sequential ? std::string(path) + "1" : std::string(path);
  auto bad = [&](std::string_view why) {
    return CoordinatorStatus(CoordinatorError::kBadArguments,
                             fmt::format("invalid path \"{}\": {}", path, why));
  };
  if (checked.empty()) return bad("path length must be > 0");
  if (checked[0] != '/') return bad("path must start with / character");
  if (checked.size() == 1) return absl::OkStatus();
  if (checked.back() == '/') return bad("path must not end with / character");
  for (size_t i = 1; i < checked.size(); ++i) {
    const auto c = static_cast<unsigned char>(checked[i]);
    const char last = checked[i - 1];
    if (c == 0) return bad(fmt::format("null character not allowed @{}", i));
    if (c == '/' && last == '/') return bad(fmt::format("empty node name specified @{}", i));
    if (c == '.' && last == '/' && (i + 1 == checked.size() || checked[i + 1] == '/')) {
      return bad(fmt::format("relative paths not allowed @{}", i));
    }
    if (c == '.' && last == '.' && i >= 2 && checked[i - 2] == '/' &&
        (i + 1 == checked.size() || checked[i + 1] == '/')) {
      return bad(fmt::format("relative paths not allowed @{}", i));
    }
    if (c < 0x20 || c == 0x7f) return bad(fmt::format("invalid character @{}", i));
    // U+0080..U+009F (C1 controls) are 0xC2 0x80..0x9F in UTF-8.
    if (c == 0xc2 && i + 1 < checked.size()) {
      const auto next = static_cast<unsigned char>(checked[i + 1]);
      if (next >= 0x80 && next <= 0x9f) return bad(fmt::format("invalid character @{}", i));
    }
  }
  return absl::OkStatus();
}

Op Op::Create(std::string path, std::string data, CreateMode mode) {
  Op op;
  op.type = Type::kCreate;
  op.path = std::move(path);
  op.data = std::move(data);
  op.mode = mode;
  return op;
}

Op Op::Set(std::string path, std::string data, int32_t version) {
  Op op;
  op.type = Type::kSet;
  op.path = std::move(path);
  op.data = std::move(data);
  op.version = version;
  return op;
}

Op Op::Delete(std::string path, int32_t version) {
  Op op;
  op.type = Type::kDelete;
  op.path = std::move(path);
  op.version = version;
  return op;
}

Op Op::Check(std::string path, int32_t version) {
  Op op;
  op.type = Type::kCheck;
  op.path = std::move(path);
  op.version = version;
  return op;
}

}  // namespace samsa

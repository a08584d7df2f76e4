// FaultInjectionEnv: its Files and FileLocks, the faults, and the calls that
// pass straight through. The directory bookkeeping (what a crash undoes) is in
// fault_injection_dirs.cc.
#include "io/fault_injection_env.h"

#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "util/status_macros.h"

namespace samsa {

std::string_view FaultOpName(FaultOp op) {
  switch (op) {
    case FaultOp::kOpen:
      return "open";
    case FaultOp::kAppend:
      return "append";
    case FaultOp::kRead:
      return "read";
    case FaultOp::kSync:
      return "sync";
    case FaultOp::kTruncate:
      return "truncate";
    case FaultOp::kRename:
      return "rename";
    case FaultOp::kDelete:
      return "delete";
    case FaultOp::kCreateDir:
      return "create dir";
    case FaultOp::kDeleteDir:
      return "delete dir";
    case FaultOp::kSyncDir:
      return "sync dir";
  }
  return "?";
}

// A File whose calls are checked against the crash epoch and the faults, and
// whose syncs and truncations update the durable size of its file.
class FaultInjectionEnv::FaultFile final : public File {
 public:
  FaultFile(FaultInjectionEnv* env, std::string path, std::unique_ptr<File> base,
            std::shared_ptr<FileState> state, uint64_t epoch)
      : env_(env),
        path_(std::move(path)),
        base_(std::move(base)),
        state_(std::move(state)),
        epoch_(epoch) {}

  const std::string& path() const override { return path_; }

  absl::Status Append(std::string_view data) override {
    ReaderLock crash(&env_->crash_mu_);
    SAMSA_RETURN_IF_ERROR(env_->ChargeAppend(epoch_, path_, data.size()));
    absl::Status status = base_->Append(data);
    if (!status.ok()) env_->RefundAppend(data.size());
    return status;
  }

  absl::StatusOr<std::string_view> ReadAt(uint64_t offset, size_t n, char* scratch) const override {
    ReaderLock crash(&env_->crash_mu_);
    SAMSA_RETURN_IF_ERROR(env_->CheckFileCall(epoch_, FaultOp::kRead, "read", path_));
    SAMSA_ASSIGN_OR_RETURN(std::string_view read, base_->ReadAt(offset, n, scratch));
    const auto flips = env_->CorruptedBytes(path_, offset, read.size());
    if (flips.empty()) return read;
    if (read.data() != scratch) std::memmove(scratch, read.data(), read.size());
    for (const auto& [index, mask] : flips) scratch[index] ^= static_cast<char>(mask);
    return std::string_view(scratch, read.size());
  }

  absl::StatusOr<SharedBytes> ReadShared(uint64_t offset, size_t n) const override {
    return Shared(offset, n, /*prefix=*/false);
  }
  absl::StatusOr<SharedBytes> ReadSharedPrefix(uint64_t offset, size_t n) const override {
    return Shared(offset, n, /*prefix=*/true);
  }

  absl::Status Truncate(uint64_t size) override {
    ReaderLock crash(&env_->crash_mu_);
    SAMSA_RETURN_IF_ERROR(env_->CheckFileCall(epoch_, FaultOp::kTruncate, "truncate", path_));
    SAMSA_RETURN_IF_ERROR(base_->Truncate(size));
    env_->OnTruncated(state_.get(), size);
    return absl::OkStatus();
  }

  absl::Status Sync() override {
    ReaderLock crash(&env_->crash_mu_);
    SAMSA_RETURN_IF_ERROR(env_->CheckFileCall(epoch_, FaultOp::kSync, "sync", path_));
    // What is in the file before the sync is durable after it; bytes another
    // thread appends meanwhile may not be.
    SAMSA_ASSIGN_OR_RETURN(uint64_t size, base_->Size());
    SAMSA_RETURN_IF_ERROR(base_->Sync());
    env_->OnSynced(state_.get(), size);
    return absl::OkStatus();
  }

  absl::StatusOr<uint64_t> Size() const override {
    ReaderLock crash(&env_->crash_mu_);
    SAMSA_RETURN_IF_ERROR(env_->CheckFileCall(epoch_, std::nullopt, "size", path_));
    return base_->Size();
  }

  absl::Status Close() override {
    ReaderLock crash(&env_->crash_mu_);
    absl::Status alive = env_->CheckFileCall(epoch_, std::nullopt, "close", path_);
    absl::Status closed = base_->Close();  // release the base handle either way
    return alive.ok() ? closed : alive;
  }

 private:
  // ReadShared or ReadSharedPrefix of the base, with the faults applied.
  absl::StatusOr<SharedBytes> Shared(uint64_t offset, size_t n, bool prefix) const {
    ReaderLock crash(&env_->crash_mu_);
    SAMSA_RETURN_IF_ERROR(env_->CheckFileCall(epoch_, FaultOp::kRead, "read", path_));
    SAMSA_ASSIGN_OR_RETURN(SharedBytes bytes, prefix ? base_->ReadSharedPrefix(offset, n)
                                                     : base_->ReadShared(offset, n));
    const auto flips = env_->CorruptedBytes(path_, offset, bytes.size());
    if (flips.empty()) return bytes;  // the base's view: zero copy if it was
    std::string copy(bytes.view());
    for (const auto& [index, mask] : flips) copy[index] ^= static_cast<char>(mask);
    return SharedBytes::FromString(std::move(copy));
  }

  FaultInjectionEnv* const env_;
  const std::string path_;
  const std::unique_ptr<File> base_;
  const std::shared_ptr<FileState> state_;
  const uint64_t epoch_;  // the crash epoch it was opened in
};

// A FileLock that a crash releases.
class FaultInjectionEnv::FaultLock final : public FileLock {
 public:
  FaultLock(FaultInjectionEnv* env, std::unique_ptr<FileLock> base)
      : env_(env), base_(std::move(base)) {}
  ~FaultLock() override {
    MutexLock lock(&env_->mu_);
    env_->locks_.erase(this);
    base_.reset();
  }

 private:
  friend class FaultInjectionEnv;
  FaultInjectionEnv* const env_;
  std::unique_ptr<FileLock> base_ ABSL_GUARDED_BY(env_->mu_);  // null after a crash
};

FaultInjectionEnv::FaultInjectionEnv(Env* base) : base_(base) {}

void FaultInjectionEnv::ReleaseLocks() {
  for (FaultLock* file_lock : locks_) {
    file_lock->env_->mu_.AssertHeld();  // file_lock->env_ == this
    file_lock->base_.reset();
  }
  locks_.clear();
}

FaultInjectionEnv::~FaultInjectionEnv() = default;

std::string FaultInjectionEnv::Normalize(std::string_view path) {
  const bool absolute = !path.empty() && path.front() == '/';
  std::string result = absolute ? "/" : "";
  while (!path.empty()) {
    const size_t slash = path.find('/');
    const std::string_view part = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    if (part.empty() || part == ".") continue;
    if (!result.empty() && result.back() != '/') result += '/';
    result += part;
  }
  return result.empty() ? "." : result;
}

bool FaultInjectionEnv::IsUnder(std::string_view path, std::string_view dir) {
  if (dir == "/") return path.size() > 1 && path.front() == '/';
  return path.size() > dir.size() && path.substr(0, dir.size()) == dir && path[dir.size()] == '/';
}

// --- Faults -----------------------------------------------------------------

absl::Status FaultInjectionEnv::HaltedError(std::string_view what, std::string_view path) {
  if (!halted_) return absl::OkStatus();
  return absl::FailedPreconditionError(
      fmt::format("{} {}: the process is halted (FaultInjectionEnv::Halt)", what, path));
}

absl::Status FaultInjectionEnv::MaybeFail(FaultOp op, std::string_view path) {
  SAMSA_RETURN_IF_ERROR(HaltedError(FaultOpName(op), path));
  const auto i = static_cast<size_t>(op);
  ++calls_[i];
  if (fail_countdown_[i] > 0 && --fail_countdown_[i] == 0) {
    ++faults_injected_;
    return absl::InternalError(fmt::format("injected fault: {} {}", FaultOpName(op), path));
  }
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::CheckFileCall(uint64_t epoch, std::optional<FaultOp> op,
                                              std::string_view what, std::string_view path) {
  MutexLock lock(&mu_);
  if (epoch != epoch_) {
    return absl::FailedPreconditionError(
        fmt::format("{} {}: the file system crashed since the file was opened", what, path));
  }
  if (op.has_value()) return MaybeFail(*op, path);
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::ChargeAppend(uint64_t epoch, std::string_view path, size_t n) {
  SAMSA_RETURN_IF_ERROR(CheckFileCall(epoch, FaultOp::kAppend, "append", path));
  MutexLock lock(&mu_);
  if (space_limit_ >= 0 && space_used_ + static_cast<int64_t>(n) > space_limit_) {
    ++faults_injected_;
    return absl::ResourceExhaustedError(fmt::format("append {}: No space left on device", path));
  }
  space_used_ += static_cast<int64_t>(n);
  appended_bytes_ += static_cast<int64_t>(n);
  return absl::OkStatus();
}

void FaultInjectionEnv::RefundAppend(size_t n) {
  MutexLock lock(&mu_);
  space_used_ -= static_cast<int64_t>(n);
  appended_bytes_ -= static_cast<int64_t>(n);
}

void FaultInjectionEnv::OnSynced(FileState* state, uint64_t size) {
  MutexLock lock(&mu_);
  state->synced_size = std::max(state->synced_size, size);
}

void FaultInjectionEnv::OnTruncated(FileState* state, uint64_t size) {
  MutexLock lock(&mu_);
  state->synced_size = std::min(state->synced_size, size);
}

std::vector<std::pair<size_t, uint8_t>> FaultInjectionEnv::CorruptedBytes(std::string_view path,
                                                                          uint64_t offset,
                                                                          size_t n) const {
  std::vector<std::pair<size_t, uint8_t>> flips;
  MutexLock lock(&mu_);
  for (const Corruption& c : corruptions_) {
    const bool path_matches = path.size() >= c.path_suffix.size() &&
                              path.substr(path.size() - c.path_suffix.size()) == c.path_suffix;
    if (path_matches && c.offset >= offset && c.offset - offset < n) {
      flips.emplace_back(static_cast<size_t>(c.offset - offset), c.mask);
    }
  }
  return flips;
}

void FaultInjectionEnv::FailNth(FaultOp op, int n) {
  MutexLock lock(&mu_);
  fail_countdown_[static_cast<size_t>(op)] = std::max(n, 0);
}

void FaultInjectionEnv::SetSpaceLimit(int64_t bytes) {
  MutexLock lock(&mu_);
  space_limit_ = bytes;
  space_used_ = 0;
}

void FaultInjectionEnv::CorruptReads(std::string path_suffix, uint64_t file_offset,
                                     uint8_t xor_mask) {
  MutexLock lock(&mu_);
  corruptions_.push_back(Corruption{std::move(path_suffix), file_offset, xor_mask});
}

void FaultInjectionEnv::ClearFaults() {
  MutexLock lock(&mu_);
  fail_countdown_.fill(0);
  space_limit_ = -1;
  space_used_ = 0;
  corruptions_.clear();
}

// --- Introspection ----------------------------------------------------------

std::optional<uint64_t> FaultInjectionEnv::SyncedSize(const std::string& path) {
  MutexLock lock(&mu_);
  const std::string p = Normalize(path);
  if (auto it = files_.find(p); it != files_.end()) return it->second->synced_size;
  if (!base_->FileExists(p) || base_->IsDirectory(p)) return std::nullopt;
  absl::StatusOr<uint64_t> size = base_->GetFileSize(p);
  if (!size.ok()) return std::nullopt;
  return *size;
}

int64_t FaultInjectionEnv::CallCount(FaultOp op) const {
  MutexLock lock(&mu_);
  return calls_[static_cast<size_t>(op)];
}

int64_t FaultInjectionEnv::FaultsInjected() const {
  MutexLock lock(&mu_);
  return faults_injected_;
}

int64_t FaultInjectionEnv::AppendedBytes() const {
  MutexLock lock(&mu_);
  return appended_bytes_;
}

size_t FaultInjectionEnv::PendingDirChanges() const {
  MutexLock lock(&mu_);
  return pending_.size();
}

// --- Calls that open or only look -------------------------------------------

absl::StatusOr<std::unique_ptr<File>> FaultInjectionEnv::OpenFile(const std::string& path,
                                                                  OpenMode mode) {
  MutexLock lock(&mu_);
  SAMSA_RETURN_IF_ERROR(MaybeFail(FaultOp::kOpen, path));
  const std::string p = Normalize(path);
  const bool existed = base_->FileExists(p);
  SAMSA_ASSIGN_OR_RETURN(std::unique_ptr<File> file, base_->OpenFile(p, mode));
  std::shared_ptr<FileState>& state = files_[p];
  if (state == nullptr) {
    // First sight of the file: what it holds now counts as durable.
    state = std::make_shared<FileState>();
    absl::StatusOr<uint64_t> size = file->Size();
    state->synced_size = size.ok() ? *size : 0;
  }
  if (mode == OpenMode::kTruncate) state->synced_size = 0;
  if (!existed) pending_.push_back(DirChange{DirChange::kCreate, p, "", "", DirName(p)});
  return std::unique_ptr<File>(
      std::make_unique<FaultFile>(this, path, std::move(file), state, epoch_));
}

absl::StatusOr<std::unique_ptr<FileLock>> FaultInjectionEnv::LockFile(const std::string& path) {
  MutexLock lock(&mu_);
  const std::string p = Normalize(path);
  const bool existed = base_->FileExists(p);
  SAMSA_RETURN_IF_ERROR(HaltedError("lock", path));
  absl::StatusOr<std::unique_ptr<FileLock>> base_lock = base_->LockFile(p);
  // The lock file is created even when the lock is refused.
  if (!existed && base_->FileExists(p)) {
    pending_.push_back(DirChange{DirChange::kCreate, p, "", "", DirName(p)});
  }
  if (!base_lock.ok()) return base_lock.status();
  auto fault_lock = std::make_unique<FaultLock>(this, *std::move(base_lock));
  locks_.insert(fault_lock.get());
  return std::unique_ptr<FileLock>(std::move(fault_lock));
}

absl::StatusOr<std::vector<std::string>> FaultInjectionEnv::GetChildren(const std::string& dir) {
  MutexLock lock(&mu_);
  return VisibleChildren(Normalize(dir));
}

bool FaultInjectionEnv::FileExists(const std::string& path) {
  MutexLock lock(&mu_);
  return base_->FileExists(Normalize(path));
}

bool FaultInjectionEnv::IsDirectory(const std::string& path) {
  MutexLock lock(&mu_);
  return base_->IsDirectory(Normalize(path));
}

absl::StatusOr<uint64_t> FaultInjectionEnv::GetFileSize(const std::string& path) {
  MutexLock lock(&mu_);
  return base_->GetFileSize(Normalize(path));
}

}  // namespace samsa

#include "log/index_file.h"

#include <fmt/format.h>

#include "util/status_macros.h"

namespace samsa {

IndexFile::IndexFile(Env* env, std::string path, size_t entry_size, int64_t max_index_bytes)
    : env_(env),
      path_(std::move(path)),
      entry_size_(entry_size),
      max_entries_(static_cast<size_t>(std::max<int64_t>(max_index_bytes, 0)) / entry_size) {}

absl::Status IndexFile::Load() {
  SAMSA_ASSIGN_OR_RETURN(std::string contents, ReadFileToString(env_, path_));
  if (contents.size() % entry_size_ != 0) {
    return absl::DataLossError(fmt::format("index {}: size {} is not a multiple of {}", path_,
                                           contents.size(), entry_size_));
  }
  file_bytes_ = contents.size();
  rewrite_ = false;
  MutexLock lock(&mu_);
  bytes_ = std::move(contents);
  return absl::OkStatus();
}

size_t IndexFile::entries() const {
  MutexLock lock(&mu_);
  return bytes_.size() / entry_size_;
}

void IndexFile::ReadEntry(size_t i, char* out) const {
  MutexLock lock(&mu_);
  std::memcpy(out, bytes_.data() + i * entry_size_, entry_size_);
}

void IndexFile::Append(const char* entry) {
  MutexLock lock(&mu_);
  bytes_.append(entry, entry_size_);
}

void IndexFile::TruncateToEntries(size_t n) {
  MutexLock lock(&mu_);
  const size_t new_size = std::min(bytes_.size(), n * entry_size_);
  bytes_.resize(new_size);
  if (new_size < file_bytes_) rewrite_ = true;
}

absl::Status IndexFile::Flush() {
  std::string pending;
  bool rewrite;
  {
    MutexLock lock(&mu_);
    rewrite = rewrite_;
    const size_t from = rewrite ? 0 : file_bytes_;
    pending.assign(bytes_, from, std::string::npos);
  }
  if (!file_) {
    SAMSA_ASSIGN_OR_RETURN(file_, env_->OpenFile(path_, OpenMode::kCreate));
    SAMSA_ASSIGN_OR_RETURN(uint64_t on_disk, file_->Size());
    // A file longer than what we know of (e.g. left from before a rebuild) is
    // rewritten from scratch.
    if (on_disk != file_bytes_) rewrite = true;
  }
  if (rewrite) {
    SAMSA_RETURN_IF_ERROR(file_->Truncate(0));
    file_bytes_ = 0;
  }
  if (!pending.empty()) SAMSA_RETURN_IF_ERROR(file_->Append(pending));
  SAMSA_RETURN_IF_ERROR(file_->Sync());
  file_bytes_ += pending.size();
  if (rewrite) {
    MutexLock lock(&mu_);
    rewrite_ = false;
  }
  return absl::OkStatus();
}

absl::Status IndexFile::Rename(const std::string& new_path) {
  if (env_->FileExists(path_)) SAMSA_RETURN_IF_ERROR(env_->RenameFile(path_, new_path));
  path_ = new_path;
  return absl::OkStatus();
}

absl::Status IndexFile::Delete() {
  Close();
  if (!env_->FileExists(path_)) return absl::OkStatus();
  return env_->DeleteFile(path_);
}

void IndexFile::Close() {
  if (file_) {
    file_->Close().IgnoreError();
    file_.reset();
  }
}

}  // namespace samsa

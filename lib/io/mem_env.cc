// MemEnv: a whole file system in memory (NewMemEnv in samsa/env.h).
//
// A tree of directories whose files are shared MemFileData "inodes": an open
// File holds its inode, so it keeps working after the file is deleted, renamed
// or replaced, as on POSIX. Paths are split on '/'; empty and "." components
// are ignored and ".." goes up, so "a//b/./c" and "/a/b/c" name the same
// file, relative paths being taken from the root. Errors have the codes and
// messages PosixEnv gives for the same call (io/io_error.h).
#include <cerrno>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "absl/base/thread_annotations.h"
#include "io/io_error.h"
#include "io/mem_file_data.h"
#include "samsa/env.h"
#include "util/mutex.h"

namespace samsa {
namespace {

using io::ClosedFileError;
using io::IoError;
using io::MemFileData;

class MemFile final : public File {
 public:
  MemFile(std::string path, std::shared_ptr<MemFileData> data)
      : path_(std::move(path)), data_(std::move(data)) {}

  const std::string& path() const override { return path_; }

  absl::Status Append(std::string_view data) override {
    if (data_ == nullptr) return ClosedFileError("append", path_);
    data_->Append(data);
    return absl::OkStatus();
  }

  absl::StatusOr<std::string_view> ReadAt(uint64_t offset, size_t n, char* scratch) const override {
    // Always a copy into scratch: a view of the storage would not keep it alive.
    if (data_ == nullptr) return ClosedFileError("read", path_);
    return std::string_view(scratch, data_->ReadAt(offset, n, scratch));
  }

  absl::StatusOr<SharedBytes> ReadShared(uint64_t offset, size_t n) const override {
    if (data_ == nullptr) return ClosedFileError("read", path_);
    return data_->ReadShared(offset, n);
  }

  absl::StatusOr<SharedBytes> ReadSharedPrefix(uint64_t offset, size_t n) const override {
    if (data_ == nullptr) return ClosedFileError("read", path_);
    return data_->ReadShared(offset, n, /*prefix=*/true);
  }

  absl::Status Truncate(uint64_t size) override {
    if (data_ == nullptr) return ClosedFileError("truncate", path_);
    return data_->Truncate(size, path_);
  }

  absl::Status Sync() override {
    if (data_ == nullptr) return ClosedFileError("sync", path_);
    return absl::OkStatus();
  }

  absl::StatusOr<uint64_t> Size() const override {
    if (data_ == nullptr) return ClosedFileError("size", path_);
    return data_->Size();
  }

  absl::Status Close() override {
    if (data_ == nullptr) return ClosedFileError("close", path_);
    data_.reset();  // Close needs exclusive use of the handle
    return absl::OkStatus();
  }

 private:
  const std::string path_;
  std::shared_ptr<MemFileData> data_;  // null once closed
};

// The paths locked in one MemEnv. Shared with its FileLocks, so that a lock
// may outlive the Env.
struct LockTable {
  Mutex mu;
  std::set<std::string> held ABSL_GUARDED_BY(mu);
};

class MemFileLock final : public FileLock {
 public:
  MemFileLock(std::shared_ptr<LockTable> table, std::string key)
      : table_(std::move(table)), key_(std::move(key)) {}
  ~MemFileLock() override {
    MutexLock lock(&table_->mu);
    table_->held.erase(key_);
  }

 private:
  const std::shared_ptr<LockTable> table_;
  const std::string key_;
};

// A file (with its data) or a directory (with its entries).
struct Node {
  std::shared_ptr<MemFileData> file;                      // null for a directory
  std::map<std::string, std::unique_ptr<Node>> children;  // sorted: GetChildren's order

  bool is_dir() const { return file == nullptr; }
};

// The components of `path`: "/a//b/./c/../d" -> {"a", "b", "d"}.
std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> parts;
  while (!path.empty()) {
    const size_t slash = path.find('/');
    const std::string_view part = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.emplace_back(part);
  }
  return parts;
}

class MemEnv final : public Env {
 public:
  explicit MemEnv(Clock* clock) : clock_(clock), locks_(std::make_shared<LockTable>()) {}

  absl::StatusOr<std::unique_ptr<File>> OpenFile(const std::string& path, OpenMode mode) override {
    MutexLock lock(&mu_);
    absl::StatusOr<std::shared_ptr<MemFileData>> data = OpenLocked(path, mode, "open");
    if (!data.ok()) return data.status();
    return std::unique_ptr<File>(std::make_unique<MemFile>(path, *std::move(data)));
  }

  absl::Status DeleteFile(const std::string& path) override {
    MutexLock lock(&mu_);
    const std::vector<std::string> parts = SplitPath(path);
    if (parts.empty()) return IoError("delete", path, EISDIR);
    Node* dir = nullptr;
    if (int err = ParentDir(parts, &dir); err != 0) return IoError("delete", path, err);
    auto it = dir->children.find(parts.back());
    if (it == dir->children.end()) return IoError("delete", path, ENOENT);
    if (it->second->is_dir()) return IoError("delete", path, EISDIR);
    dir->children.erase(it);
    return absl::OkStatus();
  }

  absl::Status RenameFile(const std::string& from, const std::string& to) override {
    MutexLock lock(&mu_);
    if (int err = RenameLocked(SplitPath(from), SplitPath(to)); err != 0) {
      return IoError("rename", fmt::format("{} -> {}", from, to), err);
    }
    return absl::OkStatus();
  }

  absl::Status CreateDir(const std::string& path) override {
    MutexLock lock(&mu_);
    const std::vector<std::string> parts = SplitPath(path);
    if (parts.empty()) return IoError("create dir", path, EEXIST);  // the root
    Node* dir = nullptr;
    if (int err = ParentDir(parts, &dir); err != 0) return IoError("create dir", path, err);
    auto [it, inserted] = dir->children.try_emplace(parts.back());
    if (!inserted) return IoError("create dir", path, EEXIST);
    it->second = std::make_unique<Node>();
    return absl::OkStatus();
  }

  absl::Status DeleteDir(const std::string& path) override {
    MutexLock lock(&mu_);
    const std::vector<std::string> parts = SplitPath(path);
    if (parts.empty()) return IoError("delete dir", path, EBUSY);  // the root
    Node* dir = nullptr;
    if (int err = ParentDir(parts, &dir); err != 0) return IoError("delete dir", path, err);
    auto it = dir->children.find(parts.back());
    if (it == dir->children.end()) return IoError("delete dir", path, ENOENT);
    if (!it->second->is_dir()) return IoError("delete dir", path, ENOTDIR);
    if (!it->second->children.empty()) return IoError("delete dir", path, ENOTEMPTY);
    dir->children.erase(it);
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) override {
    MutexLock lock(&mu_);
    const Node* node = Find(SplitPath(dir));
    if (node == nullptr) return IoError("list", dir, ENOENT);
    if (!node->is_dir()) return IoError("list", dir, ENOTDIR);
    std::vector<std::string> names;
    names.reserve(node->children.size());
    for (const auto& [name, child] : node->children) names.push_back(name);
    return names;
  }

  bool FileExists(const std::string& path) override {
    MutexLock lock(&mu_);
    return Find(SplitPath(path)) != nullptr;
  }

  bool IsDirectory(const std::string& path) override {
    MutexLock lock(&mu_);
    const Node* node = Find(SplitPath(path));
    return node != nullptr && node->is_dir();
  }

  absl::StatusOr<uint64_t> GetFileSize(const std::string& path) override {
    MutexLock lock(&mu_);
    const Node* node = Find(SplitPath(path));
    if (node == nullptr) return IoError("stat", path, ENOENT);
    return node->is_dir() ? 0 : node->file->Size();
  }

  absl::Status SyncDir(const std::string& path) override {
    MutexLock lock(&mu_);
    const Node* node = Find(SplitPath(path));
    if (node == nullptr) return IoError("sync dir", path, ENOENT);
    if (!node->is_dir()) return IoError("sync dir", path, ENOTDIR);
    return absl::OkStatus();  // nothing is ever lost
  }

  absl::StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    {
      MutexLock lock(&mu_);
      absl::StatusOr<std::shared_ptr<MemFileData>> data =
          OpenLocked(path, OpenMode::kCreate, "lock");
      if (!data.ok()) return data.status();
    }
    // The key is the normalized path, so that two spellings are one lock.
    std::string key;
    for (const std::string& part : SplitPath(path)) key += "/" + part;
    MutexLock lock(&locks_->mu);
    if (!locks_->held.insert(key).second) {
      return absl::FailedPreconditionError(
          fmt::format("lock {}: held by another broker/process", path));
    }
    return std::unique_ptr<FileLock>(std::make_unique<MemFileLock>(locks_, std::move(key)));
  }

  Clock* clock() override { return clock_; }

 private:
  // The node at `parts`, or null.
  Node* Find(const std::vector<std::string>& parts) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Node* node = &root_;
    for (const std::string& part : parts) {
      if (node->is_dir()) {
        auto it = node->children.find(part);
        node = it == node->children.end() ? nullptr : it->second.get();
      } else {
        node = nullptr;
      }
      if (node == nullptr) return nullptr;
    }
    return node;
  }

  // Sets *dir to the directory holding the last of `parts` (non-empty);
  // returns 0, or ENOENT / ENOTDIR.
  int ParentDir(const std::vector<std::string>& parts, Node** dir)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Node* node = &root_;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      if (!node->is_dir()) return ENOTDIR;
      auto it = node->children.find(parts[i]);
      if (it == node->children.end()) return ENOENT;
      node = it->second.get();
    }
    if (!node->is_dir()) return ENOTDIR;
    *dir = node;
    return 0;
  }

  absl::StatusOr<std::shared_ptr<MemFileData>> OpenLocked(const std::string& path, OpenMode mode,
                                                          std::string_view op)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const std::vector<std::string> parts = SplitPath(path);
    if (parts.empty()) return IoError(op, path, EISDIR);  // the root
    Node* dir = nullptr;
    if (int err = ParentDir(parts, &dir); err != 0) return IoError(op, path, err);
    auto it = dir->children.find(parts.back());
    if (it == dir->children.end()) {
      if (mode == OpenMode::kOpenExisting) return IoError(op, path, ENOENT);
      auto node = std::make_unique<Node>();
      node->file = std::make_shared<MemFileData>();
      it = dir->children.emplace(parts.back(), std::move(node)).first;
      return it->second->file;
    }
    Node& node = *it->second;
    if (node.is_dir()) return IoError(op, path, EISDIR);
    if (mode == OpenMode::kCreateNew) return IoError(op, path, EEXIST);
    if (mode == OpenMode::kTruncate) {
      if (absl::Status s = node.file->Truncate(0, path); !s.ok()) return s;
    }
    return node.file;
  }

  // rename(2)'s rules over the tree; returns 0 or an errno.
  int RenameLocked(const std::vector<std::string>& from, const std::vector<std::string>& to)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (from.empty() || to.empty()) return EBUSY;  // the root
    Node* from_dir = nullptr;
    Node* to_dir = nullptr;
    if (int err = ParentDir(from, &from_dir); err != 0) return err;
    auto src = from_dir->children.find(from.back());
    if (src == from_dir->children.end()) return ENOENT;
    if (int err = ParentDir(to, &to_dir); err != 0) return err;
    if (from == to) return 0;
    const bool moving_dir = src->second->is_dir();
    if (moving_dir && to.size() > from.size() && std::equal(from.begin(), from.end(), to.begin())) {
      return EINVAL;  // into its own subtree
    }
    if (auto dst = to_dir->children.find(to.back()); dst != to_dir->children.end()) {
      const Node& target = *dst->second;
      if (!moving_dir && target.is_dir()) return EISDIR;
      if (moving_dir && !target.is_dir()) return ENOTDIR;
      if (moving_dir && !target.children.empty()) return ENOTEMPTY;
    }
    std::unique_ptr<Node> node = std::move(src->second);
    from_dir->children.erase(src);
    to_dir->children[to.back()] = std::move(node);  // replaces (and drops) the target
    return 0;
  }

  Clock* const clock_;
  const std::shared_ptr<LockTable> locks_;
  Mutex mu_;
  Node root_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

std::unique_ptr<Env> NewMemEnv(Clock* clock) { return std::make_unique<MemEnv>(clock); }

}  // namespace samsa

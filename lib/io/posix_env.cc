// PosixEnv: Env over the real file system (POSIX calls, Linux semantics).
//
// A File is a file descriptor opened O_APPEND|O_CLOEXEC. Append write()s
// straight to the kernel with no user-space buffer, so that another handle
// pread()ing the same file sees every appended byte at once (a log reader
// reads what its writer has just appended).
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "absl/base/thread_annotations.h"
#include "io/io_error.h"
#include "samsa/env.h"
#include "util/mutex.h"

namespace samsa {
namespace {

using io::ClosedFileError;
using io::IoError;

// open(2), retried on EINTR.
int OpenRetrying(const char* path, int flags, mode_t mode = 0644) {
  int fd;
  do {
    fd = ::open(path, flags, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

class PosixFile final : public File {
 public:
  PosixFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  const std::string& path() const override { return path_; }

  absl::Status Append(std::string_view data) override {
    if (fd_ < 0) return ClosedFileError("append", path_);
    const char* p = data.data();
    size_t left = data.size();
    while (left > 0) {
      const ssize_t written = ::write(fd_, p, left);
      if (written < 0) {
        if (errno == EINTR) continue;
        return IoError("append", path_, errno);
      }
      p += written;
      left -= static_cast<size_t>(written);
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::string_view> ReadAt(uint64_t offset, size_t n, char* scratch) const override {
    if (fd_ < 0) return ClosedFileError("read", path_);
    size_t total = 0;
    while (total < n) {
      const ssize_t got =
          ::pread(fd_, scratch + total, n - total, static_cast<off_t>(offset + total));
      if (got < 0) {
        if (errno == EINTR) continue;
        return IoError("read", path_, errno);
      }
      if (got == 0) break;  // end of file
      total += static_cast<size_t>(got);
    }
    return std::string_view(scratch, total);
  }

  absl::Status Truncate(uint64_t size) override {
    if (fd_ < 0) return ClosedFileError("truncate", path_);
    absl::StatusOr<uint64_t> current = Size();
    if (!current.ok()) return current.status();
    if (size > *current) {
      return absl::InvalidArgumentError(fmt::format(
          "truncate {}: size {} is beyond the end of the file ({} bytes)", path_, size, *current));
    }
    int rc;
    do {
      rc = ::ftruncate(fd_, static_cast<off_t>(size));
    } while (rc < 0 && errno == EINTR);
    if (rc < 0) return IoError("truncate", path_, errno);
    return absl::OkStatus();
  }

  absl::Status Sync() override {
    if (fd_ < 0) return ClosedFileError("sync", path_);
    int rc;
    do {
      rc = ::fdatasync(fd_);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0) return IoError("sync", path_, errno);
    return absl::OkStatus();
  }

  absl::StatusOr<uint64_t> Size() const override {
    if (fd_ < 0) return ClosedFileError("size", path_);
    struct stat st;
    if (::fstat(fd_, &st) < 0) return IoError("stat", path_, errno);
    return static_cast<uint64_t>(st.st_size);
  }

  absl::Status Close() override {
    if (fd_ < 0) return ClosedFileError("close", path_);
    const int rc = ::close(fd_);
    fd_ = -1;
    // On Linux the descriptor is released even when close() reports EINTR.
    if (rc < 0 && errno != EINTR) return IoError("close", path_, errno);
    return absl::OkStatus();
  }

 private:
  const std::string path_;
  int fd_;  // -1 once closed; written only by Close(), which needs exclusive use
};

// --- Locks ------------------------------------------------------------------
//
// fcntl() locks exclude other processes only: a second F_SETLK from the same
// process succeeds, and closing ANY descriptor of a file drops all of the
// process's locks on it. So the process keeps its own registry of locked files
// (by device and inode, so that two spellings of a path are one file), checks
// it before opening the file, and never closes a descriptor of a locked file
// while the lock is held.

using FileKey = std::pair<dev_t, ino_t>;

struct LockRegistry {
  Mutex mu;
  // Locked files -> descriptors to close when the lock is released (opened by
  // a LockFile call that lost a race to a lock of the same file).
  std::map<FileKey, std::vector<int>> held ABSL_GUARDED_BY(mu);
};

LockRegistry& Registry() {
  static LockRegistry* registry = new LockRegistry;  // never deleted
  return *registry;
}

absl::Status HeldError(const std::string& path) {
  return absl::FailedPreconditionError(
      fmt::format("lock {}: held by another broker/process", path));
}

class PosixFileLock final : public FileLock {
 public:
  PosixFileLock(int fd, FileKey key) : fd_(fd), key_(key) {}
  ~PosixFileLock() override {
    LockRegistry& registry = Registry();
    MutexLock lock(&registry.mu);
    struct flock unlock = {};
    unlock.l_type = F_UNLCK;
    unlock.l_whence = SEEK_SET;
    ::fcntl(fd_, F_SETLK, &unlock);
    ::close(fd_);
    auto it = registry.held.find(key_);
    if (it != registry.held.end()) {
      for (int fd : it->second) ::close(fd);
      registry.held.erase(it);
    }
  }

 private:
  const int fd_;
  const FileKey key_;
};

absl::StatusOr<std::unique_ptr<FileLock>> LockPosixFile(const std::string& path) {
  LockRegistry& registry = Registry();
  MutexLock lock(&registry.mu);
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && registry.held.count({st.st_dev, st.st_ino}) > 0) {
    return HeldError(path);
  }
  const int fd = OpenRetrying(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC);
  if (fd < 0) return IoError("lock", path, errno);
  if (::fstat(fd, &st) < 0) {
    const int err = errno;
    ::close(fd);
    return IoError("lock", path, err);
  }
  const FileKey key(st.st_dev, st.st_ino);
  if (auto it = registry.held.find(key); it != registry.held.end()) {
    // The path was switched to a locked file between stat() and open():
    // closing `fd` now would drop the holder's fcntl lock.
    it->second.push_back(fd);
    return HeldError(path);
  }
  struct flock write_lock = {};
  write_lock.l_type = F_WRLCK;
  write_lock.l_whence = SEEK_SET;  // l_start = l_len = 0: the whole file
  if (::fcntl(fd, F_SETLK, &write_lock) < 0) {
    const int err = errno;
    ::close(fd);
    if (err == EAGAIN || err == EACCES) return HeldError(path);
    return IoError("lock", path, err);
  }
  registry.held[key];
  return std::unique_ptr<FileLock>(std::make_unique<PosixFileLock>(fd, key));
}

// --- The Env ----------------------------------------------------------------

class PosixEnv final : public Env {
 public:
  explicit PosixEnv(Clock* clock) : clock_(clock) {}

  absl::StatusOr<std::unique_ptr<File>> OpenFile(const std::string& path, OpenMode mode) override {
    int flags = O_RDWR | O_APPEND | O_CLOEXEC;
    switch (mode) {
      case OpenMode::kOpenExisting:
        break;
      case OpenMode::kCreate:
        flags |= O_CREAT;
        break;
      case OpenMode::kCreateNew:
        flags |= O_CREAT | O_EXCL;
        break;
      case OpenMode::kTruncate:
        flags |= O_CREAT | O_TRUNC;
        break;
    }
    const int fd = OpenRetrying(path.c_str(), flags);
    if (fd < 0) return IoError("open", path, errno);
    return std::unique_ptr<File>(std::make_unique<PosixFile>(path, fd));
  }

  absl::Status DeleteFile(const std::string& path) override {
    if (::unlink(path.c_str()) < 0) return IoError("delete", path, errno);
    return absl::OkStatus();
  }

  absl::Status RenameFile(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) < 0) {
      return IoError("rename", fmt::format("{} -> {}", from, to), errno);
    }
    return absl::OkStatus();
  }

  absl::Status CreateDir(const std::string& path) override {
    if (::mkdir(path.c_str(), 0755) < 0) return IoError("create dir", path, errno);
    return absl::OkStatus();
  }

  absl::Status DeleteDir(const std::string& path) override {
    if (::rmdir(path.c_str()) < 0) return IoError("delete dir", path, errno);
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return IoError("list", dir, errno);
    std::vector<std::string> names;
    for (;;) {
      errno = 0;
      const struct dirent* entry = ::readdir(d);
      if (entry == nullptr) break;
      const std::string_view name(entry->d_name);
      if (name != "." && name != "..") names.emplace_back(name);
    }
    const int err = errno;
    ::closedir(d);
    if (err != 0) return IoError("list", dir, err);
    std::sort(names.begin(), names.end());
    return names;
  }

  bool FileExists(const std::string& path) override { return ::access(path.c_str(), F_OK) == 0; }

  bool IsDirectory(const std::string& path) override {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  }

  absl::StatusOr<uint64_t> GetFileSize(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) < 0) return IoError("stat", path, errno);
    return static_cast<uint64_t>(st.st_size);
  }

  absl::Status SyncDir(const std::string& path) override {
    const int fd = OpenRetrying(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return IoError("sync dir", path, errno);
    int rc;
    do {
      rc = ::fsync(fd);
    } while (rc < 0 && errno == EINTR);
    const int err = errno;
    ::close(fd);
    if (rc < 0) return IoError("sync dir", path, err);
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    return LockPosixFile(path);
  }

  Clock* clock() override { return clock_; }

 private:
  Clock* const clock_;
};

}  // namespace

Env* Env::Default() {
  static Env* env = new PosixEnv(Clock::System());  // never deleted
  return env;
}

std::unique_ptr<Env> NewPosixEnv(Clock* clock) { return std::make_unique<PosixEnv>(clock); }

}  // namespace samsa

// samsa/env.h — Env: every file, directory, sync and time call samsa makes.
//
// Nothing in samsa calls POSIX directly: the log, the broker and the tools go
// through an Env (as LevelDB does), so that
//   - Env::Default() (PosixEnv) keeps Kafka's on-disk layout in real files;
//   - NewMemEnv() keeps a whole filesystem in memory, for memory-backed topics
//     and fast tests;
//   - a fault-injecting Env (tests) can drop unsynced bytes on a simulated
//     crash, fail the Nth write, or run out of space.
//
// Paths are '/'-separated strings; MemEnv treats them as names in its own
// tree. Errors: NotFound (missing path), AlreadyExists, ResourceExhausted (no
// space), FailedPrecondition (a closed handle, a held lock), Internal (other
// I/O errors); every message names the path and the operation.
//
// Thread-safety: an Env is thread-safe. A File may be appended to by one
// thread while any number of threads read (ReadAt/ReadShared/Size) bytes
// already appended; Truncate and Close need exclusive use.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "samsa/bytes.h"
#include "samsa/clock.h"

namespace samsa {

// An open file: appends at the end, reads at any position.
class File {
 public:
  virtual ~File() = default;

  virtual const std::string& path() const = 0;

  // Appends `data` at the end of the file (not durable until Sync). On error
  // the file may hold a prefix of `data`; the caller truncates it back.
  virtual absl::Status Append(std::string_view data) = 0;

  // Reads up to `n` bytes at `offset` into `scratch` (room for `n` bytes) and
  // returns the bytes read, which may point into `scratch` or elsewhere and are
  // fewer than `n` only at end of file.
  virtual absl::StatusOr<std::string_view> ReadAt(uint64_t offset, size_t n,
                                                  char* scratch) const = 0;

  // Reads like ReadAt into a buffer the result keeps alive. The default
  // allocates and copies; MemEnv returns a view of its own storage (no copy)
  // when the range lies within one of its storage chunks.
  virtual absl::StatusOr<SharedBytes> ReadShared(uint64_t offset, size_t n) const;

  // Reads like ReadShared, but may return a prefix of the `n` bytes (at least
  // one byte, unless at end of file) where returning them all would take a
  // copy: MemEnv stops at the end of the storage chunk holding `offset`, and
  // a MemEnv chunk holds whole Appends. The default is ReadShared.
  virtual absl::StatusOr<SharedBytes> ReadSharedPrefix(uint64_t offset, size_t n) const {
    return ReadShared(offset, n);
  }

  // Cuts the file to `size` bytes (growing is an error: InvalidArgument).
  virtual absl::Status Truncate(uint64_t size) = 0;

  // Makes the file's data durable (fdatasync).
  virtual absl::Status Sync() = 0;

  virtual absl::StatusOr<uint64_t> Size() const = 0;

  // Releases the handle; later calls fail with FailedPrecondition. The
  // destructor closes an open handle.
  virtual absl::Status Close() = 0;
};

// Held while alive; the lock is released by the destructor.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

enum class OpenMode {
  kOpenExisting,  // fail with NotFound if the file is missing
  kCreate,        // open, creating an empty file if missing
  kCreateNew,     // create; fail with AlreadyExists if present
  kTruncate,      // create or cut to zero length
};

class Env {
 public:
  virtual ~Env() = default;

  // The process-wide PosixEnv on Clock::System(). Never deleted.
  static Env* Default();

  virtual absl::StatusOr<std::unique_ptr<File>> OpenFile(const std::string& path,
                                                         OpenMode mode) = 0;
  virtual absl::Status DeleteFile(const std::string& path) = 0;
  // Renames `from` to `to`, atomically replacing `to` if it exists.
  virtual absl::Status RenameFile(const std::string& from, const std::string& to) = 0;
  // Creates one directory; AlreadyExists if it exists (see CreateDirs).
  virtual absl::Status CreateDir(const std::string& path) = 0;
  // Removes an empty directory.
  virtual absl::Status DeleteDir(const std::string& path) = 0;
  // Names (not paths) of the entries of `dir`, without "." and "..", sorted.
  virtual absl::StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) = 0;
  virtual bool FileExists(const std::string& path) = 0;
  virtual bool IsDirectory(const std::string& path) = 0;
  virtual absl::StatusOr<uint64_t> GetFileSize(const std::string& path) = 0;
  // Makes the directory's entries (creations, renames, deletions) durable.
  virtual absl::Status SyncDir(const std::string& path) = 0;
  // Takes an exclusive lock on `path` (created if missing); FailedPrecondition
  // if another holder — in this process or another — has it.
  virtual absl::StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& path) = 0;

  // The clock this Env's users read time from.
  virtual Clock* clock() = 0;
};

// A PosixEnv whose clock is `clock` ("*clock" must outlive the Env).
std::unique_ptr<Env> NewPosixEnv(Clock* clock);

// A whole filesystem in memory. Sync is a no-op: nothing is ever lost short of
// destroying the Env. "*clock" must outlive the Env.
std::unique_ptr<Env> NewMemEnv(Clock* clock = Clock::System());

// --- Helpers over any Env -------------------------------------------------

// Creates `path` and its missing parents (mkdir -p); OK if it exists.
absl::Status CreateDirs(Env* env, const std::string& path);
// Deletes a file, or a directory and everything under it.
absl::Status DeleteRecursively(Env* env, const std::string& path);
absl::StatusOr<std::string> ReadFileToString(Env* env, const std::string& path);
// Writes `contents` to "<path>.tmp", syncs it, renames it over `path` and syncs
// the directory: the file is either the old or the new contents after a crash
// (how Kafka writes its checkpoint files).
absl::Status WriteFileAtomically(Env* env, const std::string& path, std::string_view contents);
// "a/b" + "c" -> "a/b/c".
std::string JoinPath(std::string_view dir, std::string_view name);
// "a/b/c" -> "a/b"; "c" -> ".".
std::string DirName(std::string_view path);
// "a/b/c" -> "c".
std::string BaseName(std::string_view path);

}  // namespace samsa

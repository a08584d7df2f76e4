// FaultInjectionEnv: an Env for crash and fault tests. It wraps a base Env
// (a MemEnv or a PosixEnv in a temporary directory), passes every call through,
// and remembers what a real disk would have made durable, so that a test can
//
//   - SimulateCrash(): throw away everything not durable, as a power cut does;
//   - FailNth(op, n): make the n-th call of an operation fail with an I/O error;
//   - SetSpaceLimit(bytes): run out of space;
//   - CorruptReads(...): flip bits in what reads return.
//
// A crash test appends and syncs at random points, crashes, reopens, and checks
// that what it finds is a prefix of what it wrote and holds everything synced:
//
//   auto base = NewMemEnv();
//   FaultInjectionEnv env(base.get());
//   ... write through &env, some of it synced ...
//   env.Halt();   // the process dies: from now on its writes fail
//   log.reset();  // so its destructor cannot shut down cleanly
//   REQUIRE(env.SimulateCrash().ok());
//   ... reopen through &env and check ...
//
// The durability model (what SimulateCrash keeps):
//   - File data: a file keeps the size it had at its last successful Sync (a
//     file created through this Env and never synced: 0 bytes). A Truncate
//     after the last Sync makes the durable size min(synced size, new size)
//     (an OpenFile with kTruncate: 0). Files that existed before this Env first
//     saw them are durable as found. Sync makes data durable, not the file's
//     name: that takes a SyncDir.
//   - Directory entries: creations (OpenFile, LockFile, CreateDir), deletions
//     (DeleteFile, DeleteDir) and renames in a directory since its last
//     successful SyncDir are undone, newest first: a created file or directory
//     disappears with its contents; a deleted one comes back with its durable
//     contents; a renamed one moves back (and what it replaced comes back). A
//     rename is durable once the destination directory is synced, whatever the
//     source directory.
//   - Deleted entries wait in the base Env under hidden names
//     "<dir>/.fault-trash-<n>" (not listed by GetChildren) until SyncDir(dir)
//     or SimulateCrash really deletes them.
//   - After a crash every File opened before it fails with FailedPrecondition
//     ("... crashed ..."), every FileLock taken through this Env is released,
//     and the Env is usable again: everything now on disk counts as durable.
// Simplifications: paths are compared as strings after removing "//", "." and a
// trailing '/' (".." is not resolved; use one spelling per file); when undoing a
// rename finds its source path taken by a durable entry, the renamed entry stays
// at its destination; changes made to the base Env directly, not through this
// Env, are not tracked (they count as durable).
//
// Faults change nothing: the failing call has no effect on the files.
//
// Thread-safety: thread-safe, like any Env; SimulateCrash waits for file calls
// in progress. "*base" must outlive this Env, and every File and FileLock
// obtained from this Env must be destroyed before it.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "samsa/env.h"
#include "util/mutex.h"

namespace samsa {

// The operations FailNth can fail. kRead covers ReadAt and ReadShared.
enum class FaultOp {
  kOpen,       // Env::OpenFile
  kAppend,     // File::Append
  kRead,       // File::ReadAt, File::ReadShared
  kSync,       // File::Sync
  kTruncate,   // File::Truncate
  kRename,     // Env::RenameFile
  kDelete,     // Env::DeleteFile
  kCreateDir,  // Env::CreateDir
  kDeleteDir,  // Env::DeleteDir
  kSyncDir,    // Env::SyncDir
};
inline constexpr int kNumFaultOps = 10;

std::string_view FaultOpName(FaultOp op);

class FaultInjectionEnv final : public Env {
 public:
  // "*base" must outlive this Env.
  explicit FaultInjectionEnv(Env* base);
  ~FaultInjectionEnv() override;

  FaultInjectionEnv(const FaultInjectionEnv&) = delete;
  FaultInjectionEnv& operator=(const FaultInjectionEnv&) = delete;

  // --- Env ------------------------------------------------------------------
  absl::StatusOr<std::unique_ptr<File>> OpenFile(const std::string& path, OpenMode mode) override;
  absl::Status DeleteFile(const std::string& path) override;
  absl::Status RenameFile(const std::string& from, const std::string& to) override;
  absl::Status CreateDir(const std::string& path) override;
  absl::Status DeleteDir(const std::string& path) override;
  absl::StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) override;
  bool FileExists(const std::string& path) override;
  bool IsDirectory(const std::string& path) override;
  absl::StatusOr<uint64_t> GetFileSize(const std::string& path) override;
  absl::Status SyncDir(const std::string& path) override;
  absl::StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& path) override;
  Clock* clock() override { return base_->clock(); }

  // --- Crashes --------------------------------------------------------------

  // Drops everything not durable (see the model above) from the base Env and
  // kills every open File and FileLock. Returns the first error the base Env
  // gave while doing so (the rest is still done).
  absl::Status SimulateCrash();

  // Kills the "process" without crashing yet: every File fails as after a
  // crash, and every call that would change the file system (OpenFile,
  // LockFile, DeleteFile, RenameFile, CreateDir, DeleteDir, SyncDir) fails with
  // FailedPrecondition until SimulateCrash. Lets a test destroy the objects
  // under test without their destructors writing anything (a clean shutdown
  // marker, a last flush). Calls that only look still work.
  void Halt();

  // --- Faults ---------------------------------------------------------------

  // The n-th call of `op` from now (1 = the next one) fails with Internal
  // "injected fault: ..." and changes nothing; only that one call fails.
  // Replaces an earlier FailNth of the same op; n <= 0 cancels it.
  void FailNth(FaultOp op, int n);

  // Appends fail with ResourceExhausted "No space left on device", writing
  // nothing, once the bytes appended since this call would exceed `bytes`.
  // -1: no limit.
  void SetSpaceLimit(int64_t bytes);

  // Reads (ReadAt, ReadShared) of any file whose path ends with `path_suffix`
  // return byte `file_offset` XORed with `xor_mask`; the file is untouched.
  void CorruptReads(std::string path_suffix, uint64_t file_offset, uint8_t xor_mask);

  // Cancels every FailNth, the space limit and every CorruptReads.
  void ClearFaults();

  // --- Introspection --------------------------------------------------------

  // The size `path` would be cut back to by a crash now (ignoring directory
  // changes): its size at its last Sync, or its whole size if this Env has not
  // opened it. nullopt if there is no such file.
  std::optional<uint64_t> SyncedSize(const std::string& path);
  // How many calls of `op` were made (crashed handles' calls excepted).
  int64_t CallCount(FaultOp op) const;
  // How many faults (FailNth, space limit) have fired.
  int64_t FaultsInjected() const;
  // Bytes appended successfully through this Env.
  int64_t AppendedBytes() const;
  // Directory changes a crash would undo now.
  size_t PendingDirChanges() const;

 private:
  class FaultFile;
  class FaultLock;
  friend class FaultFile;
  friend class FaultLock;

  struct FileState {
    uint64_t synced_size = 0;  // GUARDED_BY(mu_)
  };

  // A directory change not yet made durable by a SyncDir of `dir`.
  struct DirChange {
    enum Kind { kCreate, kDelete, kRename } kind;
    std::string path;   // kCreate: created; kDelete: deleted; kRename: destination
    std::string from;   // kRename: source
    std::string trash;  // kDelete: the deleted entry; kRename: the replaced one (or "")
    std::string dir;    // whose SyncDir makes the change durable
  };

  struct Corruption {
    std::string path_suffix;
    uint64_t offset;
    uint8_t mask;
  };

  // `path` with "//", "." components and a trailing '/' removed.
  static std::string Normalize(std::string_view path);
  // Whether `path` lies strictly inside directory `dir` (both normalized).
  static bool IsUnder(std::string_view path, std::string_view dir);

  // FailedPrecondition if halted, else OK.
  absl::Status HaltedError(std::string_view what, std::string_view path)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Counts a call of `op` and returns an injected fault if it is due;
  // FailedPrecondition (uncounted) while halted.
  absl::Status MaybeFail(FaultOp op, std::string_view path) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // For File calls: "crashed" if `epoch` is over, else MaybeFail (if `op`).
  absl::Status CheckFileCall(uint64_t epoch, std::optional<FaultOp> op, std::string_view what,
                             std::string_view path) ABSL_LOCKS_EXCLUDED(mu_);
  // CheckFileCall for Append, plus the space limit; charges `n` bytes.
  absl::Status ChargeAppend(uint64_t epoch, std::string_view path, size_t n)
      ABSL_LOCKS_EXCLUDED(mu_);
  void RefundAppend(size_t n) ABSL_LOCKS_EXCLUDED(mu_);
  void OnSynced(FileState* state, uint64_t size) ABSL_LOCKS_EXCLUDED(mu_);
  void OnTruncated(FileState* state, uint64_t size) ABSL_LOCKS_EXCLUDED(mu_);
  // The bytes CorruptReads flips among `n` bytes read at `offset` of `path`:
  // (index from `offset`, mask) pairs.
  std::vector<std::pair<size_t, uint8_t>> CorruptedBytes(std::string_view path, uint64_t offset,
                                                         size_t n) const ABSL_LOCKS_EXCLUDED(mu_);

  // Releases the base lock of every FaultLock (a crash ends the process).
  void ReleaseLocks() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // fault_injection_dirs.cc: the bookkeeping of directory changes.
  std::string NewTrashPath(const std::string& dir) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Follows an entry moved from `from` to `to` (and, for a directory, what is
  // under it) in files_ and in the pending changes.
  void MovePath(const std::string& from, const std::string& to) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Deletes a trash entry for good, with the changes recorded under it.
  absl::Status PurgeTrash(const std::string& trash) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Undo(const DirChange& change) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::vector<std::string>> VisibleChildren(const std::string& dir)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Env* const base_;

  // File calls hold it shared, SimulateCrash exclusively: a crash happens
  // between file calls, never in the middle of one. Order: crash_mu_, mu_.
  SharedMutex crash_mu_;
  mutable Mutex mu_;

  uint64_t epoch_ ABSL_GUARDED_BY(mu_) = 0;   // crashes and halts so far
  bool halted_ ABSL_GUARDED_BY(mu_) = false;  // Halt() until SimulateCrash()
  // Files opened through this Env, by their current normalized path.
  std::map<std::string, std::shared_ptr<FileState>> files_ ABSL_GUARDED_BY(mu_);
  std::vector<DirChange> pending_ ABSL_GUARDED_BY(mu_);  // oldest first
  uint64_t next_trash_ ABSL_GUARDED_BY(mu_) = 0;
  std::set<FaultLock*> locks_ ABSL_GUARDED_BY(mu_);

  std::array<int, kNumFaultOps> fail_countdown_ ABSL_GUARDED_BY(mu_) = {};
  std::array<int64_t, kNumFaultOps> calls_ ABSL_GUARDED_BY(mu_) = {};
  int64_t space_limit_ ABSL_GUARDED_BY(mu_) = -1;
  int64_t space_used_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<Corruption> corruptions_ ABSL_GUARDED_BY(mu_);
  int64_t faults_injected_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t appended_bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace samsa

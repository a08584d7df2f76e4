// FaultInjectionEnv: directory changes and crashes.
//
// Every creation, deletion and rename is recorded as a DirChange in pending_
// until a SyncDir of the directory it belongs to makes it durable. A deletion
// (and a rename that replaces an entry) does not delete: it moves the entry to
// a hidden trash name in the same directory, from where a crash can bring it
// back. SimulateCrash cuts every file back to its synced size, then undoes the
// pending changes newest first.
//
// The paths in pending_ and files_ follow the entries: when a directory is
// renamed (or deleted, i.e. moved to trash), what is recorded under it is
// rewritten to its new place, so that a SyncDir of the directory under its new
// name makes its changes durable, and undoing the rename moves them back.
#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "io/fault_injection_env.h"
#include "util/status_macros.h"

namespace samsa {
namespace {

constexpr std::string_view kTrashPrefix = ".fault-trash-";

void KeepFirstError(absl::Status* first, absl::Status status) {
  if (first->ok() && !status.ok()) *first = std::move(status);
}

}  // namespace

absl::StatusOr<std::vector<std::string>> FaultInjectionEnv::VisibleChildren(
    const std::string& dir) {
  SAMSA_ASSIGN_OR_RETURN(std::vector<std::string> names, base_->GetChildren(dir));
  std::erase_if(names, [](const std::string& name) { return name.starts_with(kTrashPrefix); });
  return names;
}

std::string FaultInjectionEnv::NewTrashPath(const std::string& dir) {
  return Normalize(JoinPath(dir, fmt::format("{}{}", kTrashPrefix, ++next_trash_)));
}

void FaultInjectionEnv::MovePath(const std::string& from, const std::string& to) {
  const auto moved = [&](const std::string& path) { return path == from || IsUnder(path, from); };
  const auto rewrite = [&](std::string& path) { path = to + path.substr(from.size()); };

  // Files: the one at `from`, or those under it.
  std::vector<std::pair<std::string, std::shared_ptr<FileState>>> files;
  for (auto it = files_.begin(); it != files_.end();) {
    if (moved(it->first)) {
      files.emplace_back(it->first, std::move(it->second));
      it = files_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [path, state] : files) {
    rewrite(path);
    files_[path] = std::move(state);
  }

  // Changes recorded under a moved directory move with it (and are made
  // durable by a SyncDir under its new name). A change of `from` itself stays
  // where it happened.
  for (DirChange& change : pending_) {
    for (std::string* path : {&change.path, &change.from, &change.trash}) {
      if (IsUnder(*path, from)) rewrite(*path);
    }
    if (moved(change.dir)) rewrite(change.dir);
  }
}

absl::Status FaultInjectionEnv::PurgeTrash(const std::string& trash) {
  const auto inside = [&](const std::string& path) {
    return path == trash || IsUnder(path, trash);
  };
  std::erase_if(files_, [&](const auto& entry) { return inside(entry.first); });
  std::erase_if(pending_, [&](const DirChange& change) { return inside(change.dir); });
  if (!base_->FileExists(trash)) return absl::OkStatus();
  return DeleteRecursively(base_, trash);
}

// --- Directory changes --------------------------------------------------------

absl::Status FaultInjectionEnv::DeleteFile(const std::string& path) {
  MutexLock lock(&mu_);
  SAMSA_RETURN_IF_ERROR(MaybeFail(FaultOp::kDelete, path));
  const std::string p = Normalize(path);
  if (!base_->FileExists(p) || base_->IsDirectory(p)) return base_->DeleteFile(p);  // its error
  const std::string trash = NewTrashPath(DirName(p));
  SAMSA_RETURN_IF_ERROR(base_->RenameFile(p, trash));
  MovePath(p, trash);
  pending_.push_back(DirChange{DirChange::kDelete, p, "", trash, DirName(p)});
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::RenameFile(const std::string& from, const std::string& to) {
  MutexLock lock(&mu_);
  SAMSA_RETURN_IF_ERROR(MaybeFail(FaultOp::kRename, from));
  const std::string f = Normalize(from);
  const std::string t = Normalize(to);
  if (f == t || !base_->FileExists(f)) return base_->RenameFile(f, t);
  const bool moving_dir = base_->IsDirectory(f);
  if (moving_dir && IsUnder(t, f)) return base_->RenameFile(f, t);  // its error
  std::string displaced;
  if (base_->FileExists(t)) {
    const bool target_dir = base_->IsDirectory(t);
    bool replaceable = target_dir == moving_dir;
    if (replaceable && target_dir) {
      SAMSA_ASSIGN_OR_RETURN(std::vector<std::string> children, VisibleChildren(t));
      replaceable = children.empty();
    }
    if (!replaceable) return base_->RenameFile(f, t);  // the base's error
    displaced = NewTrashPath(DirName(t));
    SAMSA_RETURN_IF_ERROR(base_->RenameFile(t, displaced));
  }
  if (absl::Status status = base_->RenameFile(f, t); !status.ok()) {
    if (!displaced.empty()) base_->RenameFile(displaced, t).IgnoreError();
    return status;
  }
  if (!displaced.empty()) MovePath(t, displaced);
  MovePath(f, t);
  pending_.push_back(DirChange{DirChange::kRename, t, f, displaced, DirName(t)});
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::CreateDir(const std::string& path) {
  MutexLock lock(&mu_);
  SAMSA_RETURN_IF_ERROR(MaybeFail(FaultOp::kCreateDir, path));
  const std::string p = Normalize(path);
  SAMSA_RETURN_IF_ERROR(base_->CreateDir(p));
  pending_.push_back(DirChange{DirChange::kCreate, p, "", "", DirName(p)});
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::DeleteDir(const std::string& path) {
  MutexLock lock(&mu_);
  SAMSA_RETURN_IF_ERROR(MaybeFail(FaultOp::kDeleteDir, path));
  const std::string p = Normalize(path);
  if (!base_->IsDirectory(p)) return base_->DeleteDir(p);  // its error
  SAMSA_ASSIGN_OR_RETURN(std::vector<std::string> children, VisibleChildren(p));
  if (!children.empty()) return base_->DeleteDir(p);  // "Directory not empty"
  // The directory may still hold trash: keep it all, to bring back on a crash.
  const std::string trash = NewTrashPath(DirName(p));
  SAMSA_RETURN_IF_ERROR(base_->RenameFile(p, trash));
  MovePath(p, trash);
  pending_.push_back(DirChange{DirChange::kDelete, p, "", trash, DirName(p)});
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::SyncDir(const std::string& path) {
  MutexLock lock(&mu_);
  SAMSA_RETURN_IF_ERROR(MaybeFail(FaultOp::kSyncDir, path));
  const std::string p = Normalize(path);
  SAMSA_RETURN_IF_ERROR(base_->SyncDir(p));
  std::vector<std::string> trash;
  std::erase_if(pending_, [&](const DirChange& change) {
    if (change.dir != p) return false;
    if (!change.trash.empty()) trash.push_back(change.trash);
    return true;
  });
  absl::Status first;
  for (const std::string& t : trash) KeepFirstError(&first, PurgeTrash(t));
  return first;
}

// --- Crash --------------------------------------------------------------------

absl::Status FaultInjectionEnv::Undo(const DirChange& change) {
  switch (change.kind) {
    case DirChange::kCreate:
      if (!base_->FileExists(change.path)) return absl::OkStatus();
      return DeleteRecursively(base_, change.path);
    case DirChange::kDelete:
      if (!base_->FileExists(change.trash)) return absl::OkStatus();
      if (base_->FileExists(change.path)) return DeleteRecursively(base_, change.trash);
      SAMSA_RETURN_IF_ERROR(base_->RenameFile(change.trash, change.path));
      MovePath(change.trash, change.path);
      return absl::OkStatus();
    case DirChange::kRename: {
      const std::string from_dir = DirName(change.from);
      if (base_->FileExists(change.path) && !base_->FileExists(change.from) &&
          base_->IsDirectory(from_dir)) {
        SAMSA_RETURN_IF_ERROR(base_->RenameFile(change.path, change.from));
        MovePath(change.path, change.from);
      }
      // Otherwise (its source is taken by a durable entry) it stays renamed.
      if (change.trash.empty() || !base_->FileExists(change.trash)) return absl::OkStatus();
      if (base_->FileExists(change.path)) return DeleteRecursively(base_, change.trash);
      SAMSA_RETURN_IF_ERROR(base_->RenameFile(change.trash, change.path));
      MovePath(change.trash, change.path);
      return absl::OkStatus();
    }
  }
  return absl::OkStatus();
}

void FaultInjectionEnv::Halt() {
  WriterLock crash(&crash_mu_);  // wait for the file calls in progress
  MutexLock lock(&mu_);
  ++epoch_;  // every open File is dead
  halted_ = true;
}

absl::Status FaultInjectionEnv::SimulateCrash() {
  WriterLock crash(&crash_mu_);  // no file call is in progress, none starts
  MutexLock lock(&mu_);
  ++epoch_;  // every open File is dead
  halted_ = false;
  ReleaseLocks();

  absl::Status first;
  // File data: back to the synced size.
  for (const auto& [path, state] : files_) {
    absl::StatusOr<uint64_t> size = base_->GetFileSize(path);
    if (!size.ok() || *size <= state->synced_size) continue;
    absl::StatusOr<std::unique_ptr<File>> file = base_->OpenFile(path, OpenMode::kOpenExisting);
    if (!file.ok()) {
      KeepFirstError(&first, file.status());
      continue;
    }
    KeepFirstError(&first, (*file)->Truncate(state->synced_size));
    KeepFirstError(&first, (*file)->Close());
  }
  // Directory entries: undo what no SyncDir made durable, newest first.
  while (!pending_.empty()) {
    const DirChange change = std::move(pending_.back());
    pending_.pop_back();
    KeepFirstError(&first, Undo(change));
  }
  files_.clear();  // what is on disk now is durable
  return first;
}

}  // namespace samsa

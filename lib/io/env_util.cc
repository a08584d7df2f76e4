// The helpers of samsa/env.h that work over any Env, and File's default
// ReadShared.
#include <algorithm>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "samsa/env.h"
#include "util/status_macros.h"

namespace samsa {

absl::StatusOr<SharedBytes> File::ReadShared(uint64_t offset, size_t n) const {
  std::string buffer(n, '\0');
  SAMSA_ASSIGN_OR_RETURN(std::string_view read, ReadAt(offset, n, buffer.data()));
  if (read.data() == buffer.data()) {
    buffer.resize(read.size());
    // A short read (the tail of a file) must not pin a buffer sized for `n`
    // for as long as the caller keeps the bytes.
    if (buffer.size() < buffer.capacity() / 2) buffer.shrink_to_fit();
  } else {
    // ReadAt may return bytes it holds elsewhere: copy them, since the result
    // must own what it points at.
    buffer.assign(read.data(), read.size());
  }
  return SharedBytes::FromString(std::move(buffer));
}

absl::Status CreateDirs(Env* env, const std::string& path) {
  if (env->IsDirectory(path)) return absl::OkStatus();
  const std::string parent = DirName(path);
  if (parent != path) SAMSA_RETURN_IF_ERROR(CreateDirs(env, parent));
  absl::Status status = env->CreateDir(path);
  // Another thread or process may have created it meanwhile.
  if (absl::IsAlreadyExists(status) && env->IsDirectory(path)) return absl::OkStatus();
  return status;
}

absl::Status DeleteRecursively(Env* env, const std::string& path) {
  if (!env->IsDirectory(path)) return env->DeleteFile(path);
  SAMSA_ASSIGN_OR_RETURN(std::vector<std::string> children, env->GetChildren(path));
  for (const std::string& child : children) {
    SAMSA_RETURN_IF_ERROR(DeleteRecursively(env, JoinPath(path, child)));
  }
  return env->DeleteDir(path);
}

absl::StatusOr<std::string> ReadFileToString(Env* env, const std::string& path) {
  SAMSA_ASSIGN_OR_RETURN(std::unique_ptr<File> file, env->OpenFile(path, OpenMode::kOpenExisting));
  SAMSA_ASSIGN_OR_RETURN(uint64_t size, file->Size());
  std::string contents;
  // Read until a short read rather than trusting `size`: the file may grow.
  const size_t chunk = std::max<size_t>(size, 4096);
  for (;;) {
    const size_t old_size = contents.size();
    contents.resize(old_size + chunk);
    SAMSA_ASSIGN_OR_RETURN(std::string_view read,
                           file->ReadAt(old_size, chunk, contents.data() + old_size));
    if (read.data() != contents.data() + old_size) {
      std::copy(read.begin(), read.end(), contents.begin() + static_cast<ptrdiff_t>(old_size));
    }
    contents.resize(old_size + read.size());
    if (read.size() < chunk) break;
  }
  return contents;
}

absl::Status WriteFileAtomically(Env* env, const std::string& path, std::string_view contents) {
  const std::string tmp = path + ".tmp";
  absl::Status status = [&]() -> absl::Status {
    SAMSA_ASSIGN_OR_RETURN(std::unique_ptr<File> file, env->OpenFile(tmp, OpenMode::kTruncate));
    SAMSA_RETURN_IF_ERROR(file->Append(contents));
    SAMSA_RETURN_IF_ERROR(file->Sync());
    SAMSA_RETURN_IF_ERROR(file->Close());
    return env->RenameFile(tmp, path);
  }();
  if (!status.ok()) {
    // Best effort: a stale .tmp is harmless (the next write truncates it), so
    // a failure to delete it does not hide the first error.
    if (env->FileExists(tmp)) env->DeleteFile(tmp).IgnoreError();
    return status;
  }
  return env->SyncDir(DirName(path));
}

std::string JoinPath(std::string_view dir, std::string_view name) {
  if (dir.empty()) return std::string(name);
  if (name.empty()) return std::string(dir);
  if (dir.back() == '/') return fmt::format("{}{}", dir, name);
  return fmt::format("{}/{}", dir, name);
}

namespace {

// `path` without trailing slashes, except that "/" stays "/".
std::string_view StripTrailingSlashes(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  return path;
}

}  // namespace

std::string DirName(std::string_view path) {
  path = StripTrailingSlashes(path);
  const size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  std::string_view dir = path.substr(0, slash);
  while (dir.size() > 1 && dir.back() == '/') dir.remove_suffix(1);  // "a//b" -> "a"
  if (dir.empty()) return "/";
  return std::string(dir);
}

std::string BaseName(std::string_view path) {
  path = StripTrailingSlashes(path);
  if (path == "/") return "/";
  const size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return std::string(path);
  return std::string(path.substr(slash + 1));
}

}  // namespace samsa

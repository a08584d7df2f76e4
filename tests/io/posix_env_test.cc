// What PosixEnv promises beyond the Env contract: locks that exclude other
// Envs and other processes, close-on-exec descriptors, errno mapping.
#include <dirent.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include <catch2/catch.hpp>

#include "io/test_env.h"
#include "samsa/env.h"

namespace samsa {
namespace {

using testing::Message;
using testing::TestEnv;
using testing::WriteFile;

// Forks a process that tries to take an fcntl write lock on `path`: 1 if
// another process holds it, 0 if it got it, 2 on another error.
int TryLockInChildProcess(const std::string& path) {
  const pid_t pid = ::fork();
  if (pid == 0) {  // only async-signal-safe calls from here
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) ::_exit(2);
    struct flock lock = {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    if (::fcntl(fd, F_SETLK, &lock) == 0) ::_exit(0);
    ::_exit(errno == EAGAIN || errno == EACCES ? 1 : 2);
  }
  REQUIRE(pid > 0);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  return WEXITSTATUS(status);
}

TEST_CASE("a PosixEnv lock excludes another process until it is released", "[io][posix]") {
  TestEnv t(TestEnv::kPosix);
  const std::string path = t.Path(".lock");
  auto lock = t.env()->LockFile(path);
  REQUIRE(lock.ok());
  CHECK(TryLockInChildProcess(path) == 1);
  lock->reset();
  CHECK(TryLockInChildProcess(path) == 0);
}

TEST_CASE("a PosixEnv lock excludes another PosixEnv of the same process", "[io][posix]") {
  TestEnv t(TestEnv::kPosix);
  auto other = NewPosixEnv(Clock::System());
  auto lock = t.env()->LockFile(t.Path(".lock"));
  REQUIRE(lock.ok());
  CHECK(absl::IsFailedPrecondition(other->LockFile(t.Path(".lock")).status()));
  CHECK(absl::IsFailedPrecondition(Env::Default()->LockFile(t.Path(".lock")).status()));
  lock->reset();
  CHECK(other->LockFile(t.Path(".lock")).ok());
}

TEST_CASE("a failed second lock in the process does not drop the first one", "[io][posix]") {
  // Closing any descriptor of a file drops the process's fcntl locks on it:
  // the refused attempts must not open-and-close the locked file.
  TestEnv t(TestEnv::kPosix);
  REQUIRE(t.env()->CreateDir(t.Path("d")).ok());
  auto lock = t.env()->LockFile(t.Path("d/.lock"));
  REQUIRE(lock.ok());
  REQUIRE(::symlink(t.Path("d").c_str(), t.Path("link").c_str()) == 0);
  for (const std::string& spelling :
       {t.Path("d/.lock"), t.Path("d//.lock"), t.Path("d/./.lock"), t.Path("link/.lock")}) {
    INFO(spelling);
    CHECK(absl::IsFailedPrecondition(t.env()->LockFile(spelling).status()));
  }
  CHECK(TryLockInChildProcess(t.Path("d/.lock")) == 1);
}

TEST_CASE("Env::Default is one PosixEnv on the system clock", "[io][posix]") {
  CHECK(Env::Default() == Env::Default());
  CHECK(Env::Default()->clock() == Clock::System());
  CHECK(Env::Default()->IsDirectory("/tmp"));
}

TEST_CASE("an append to a full device fails with ResourceExhausted", "[io][posix]") {
  REQUIRE(Env::Default()->FileExists("/dev/full"));
  auto file = Env::Default()->OpenFile("/dev/full", OpenMode::kOpenExisting);
  REQUIRE(file.ok());
  absl::Status status = (*file)->Append("data");
  CHECK(absl::IsResourceExhausted(status));
  CHECK(Message(status) == "append /dev/full: No space left on device");
}

TEST_CASE("PosixEnv errors carry the operation, the path and the system's message", "[io][posix]") {
  TestEnv t(TestEnv::kPosix);
  WriteFile(t.env(), t.Path("f"), "x");
  auto under_file = t.env()->OpenFile(t.Path("f/g"), OpenMode::kCreate);
  CHECK(absl::IsInternal(under_file.status()));
  CHECK(Message(under_file.status()) == "open " + t.Path("f/g") + ": Not a directory");
  absl::Status rename = t.env()->RenameFile(t.Path("x"), t.Path("y"));
  CHECK(Message(rename) ==
        "rename " + t.Path("x") + " -> " + t.Path("y") + ": No such file or directory");
  CHECK(Message(t.env()->CreateDir(t.Path("f"))) == "create dir " + t.Path("f") + ": File exists");
}

// The close-on-exec flag of the descriptor this process has open on `path`
// (found through /proc/self/fd), or -1 if there is none.
int CloseOnExecFlagOf(const std::string& path) {
  DIR* fds = ::opendir("/proc/self/fd");
  REQUIRE(fds != nullptr);
  int flag = -1;
  while (const struct dirent* entry = ::readdir(fds)) {
    const std::string link = std::string("/proc/self/fd/") + entry->d_name;
    char target[4096];
    const ssize_t n = ::readlink(link.c_str(), target, sizeof(target));
    if (n > 0 && std::string(target, static_cast<size_t>(n)) == path) {
      flag = (::fcntl(std::stoi(entry->d_name), F_GETFD) & FD_CLOEXEC) != 0 ? 1 : 0;
    }
  }
  ::closedir(fds);
  return flag;
}

TEST_CASE("PosixEnv opens files close-on-exec", "[io][posix]") {
  TestEnv t(TestEnv::kPosix);
  auto file = t.env()->OpenFile(t.Path("f"), OpenMode::kCreate);
  REQUIRE(file.ok());
  CHECK(CloseOnExecFlagOf(t.Path("f")) == 1);
  auto lock = t.env()->LockFile(t.Path(".lock"));
  REQUIRE(lock.ok());
  CHECK(CloseOnExecFlagOf(t.Path(".lock")) == 1);
  REQUIRE((*file)->Close().ok());
  CHECK(CloseOnExecFlagOf(t.Path("f")) == -1);  // and Close releases the descriptor
}

}  // namespace
}  // namespace samsa

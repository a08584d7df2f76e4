// FaultInjectionEnv::SimulateCrash: what survives a crash and what does not,
// over a MemEnv and over a PosixEnv in a temporary directory.
#include <atomic>
#include <random>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "io/fault_injection_env.h"
#include "io/test_env.h"
#include "samsa/env.h"

namespace samsa {
namespace {

using testing::Contents;
using testing::Message;
using testing::ReadString;
using testing::TestEnv;
using testing::WriteFile;

#define FOR_EACH_BASE_ENV(t)                           \
  TestEnv t(GENERATE(TestEnv::kPosix, TestEnv::kMem)); \
  INFO(t.name())

// A file whose contents and directory entry are both durable.
void WriteDurableFile(Env* env, const std::string& path, std::string_view contents) {
  WriteFile(env, path, contents);
  REQUIRE(env->SyncDir(DirName(path)).ok());
}

std::vector<std::string> Children(Env* env, const std::string& dir) {
  auto children = env->GetChildren(dir);
  REQUIRE(children.ok());
  return *children;
}

TEST_CASE("an unsynced append is lost in a crash and a synced one stays", "[io][fault]") {
  FOR_EACH_BASE_ENV(t);
  FaultInjectionEnv env(t.env());
  const std::string path = t.Path("00000000000000000000.log");
  auto file = *env.OpenFile(path, OpenMode::kCreate);
  REQUIRE(env.SyncDir(t.root()).ok());
  REQUIRE(file->Append("synced").ok());
  REQUIRE(file->Sync().ok());
  REQUIRE(file->Append("+lost").ok());
  CHECK(env.SyncedSize(path) == 6u);
  REQUIRE(env.SimulateCrash().ok());
  CHECK(Contents(&env, path) == "synced");
  CHECK(Contents(t.env(), path) == "synced");  // cut in the base Env itself
}

TEST_CASE("a file never synced is empty after a crash", "[io][fault]") {
  FOR_EACH_BASE_ENV(t);
  FaultInjectionEnv env(t.env());
  auto file = *env.OpenFile(t.Path("f"), OpenMode::kCreate);
  REQUIRE(env.SyncDir(t.root()).ok());
  REQUIRE(file->Append("never synced").ok());
  CHECK(env.SyncedSize(t.Path("f")) == 0u);
  REQUIRE(env.SimulateCrash().ok());
  CHECK(env.FileExists(t.Path("f")));
  CHECK(Contents(&env, t.Path("f")).empty());
}

TEST_CASE("a file that existed before the Env saw it is durable as found", "[io][fault]") {
  FOR_EACH_BASE_ENV(t);
  WriteFile(t.env(), t.Path("old"), "from before");
  FaultInjectionEnv env(t.env());
  CHECK(env.SyncedSize(t.Path("old")) == 11u);
  auto file = *env.OpenFile(t.Path("old"), OpenMode::kOpenExisting);
  REQUIRE(file->Append(", and after").ok());
  REQUIRE(env.SimulateCrash().ok());
  CHECK(Contents(&env, t.Path("old")) == "from before");
  CHECK_FALSE(env.SyncedSize(t.Path("missing")).has_value());
}

TEST_CASE("a truncate after the last sync lowers what a crash keeps", "[io][fault]") {
  FOR_EACH_BASE_ENV(t);
  FaultInjectionEnv env(t.env());
  auto file = *env.OpenFile(t.Path("f"), OpenMode::kCreate);
  REQUIRE(env.SyncDir(t.root()).ok());
  REQUIRE(file->Append("0123456789").ok());
  REQUIRE(file->Sync().ok());
  REQUIRE(file->Truncate(4).ok());
  REQUIRE(file->Append("xy").ok());
  CHECK(env.SyncedSize(t.Path("f")) == 4u);
  REQUIRE(env.SimulateCrash().ok());
  CHECK(Contents(&env, t.Path("f")) == "0123");
}

TEST_CASE("a file created in a directory that was not synced vanishes in a crash", "[io][fault]") {
  FOR_EACH_BASE_ENV(t);
  FaultInjectionEnv env(t.env());
  WriteFile(&env, t.Path("new"), "synced data, unsynced name");
  auto lock = env.LockFile(t.Path(".lock"));  // creates the lock file too
  REQUIRE(lock.ok());
  CHECK(env.PendingDirChanges() == 2);
  REQUIRE(env.SimulateCrash().ok());
  CHECK_FALSE(env.FileExists(t.Path("new")));
  CHECK_FALSE(env.FileExists(t.Path(".lock")));
  CHECK(Children(t.env(), t.root()).empty());
}

TEST_CASE("a file created and its directory synced survives a crash", "[io][fault]") {
  FOR_EACH_BASE_ENV(t);
  FaultInjectionEnv env(t.env());
  WriteFile(&env, t.Path("new"), "kept");
  REQUIRE(env.SyncDir(t.root()).ok());
  CHECK(env.PendingDirChanges() == 0);
  REQUIRE(env.SimulateCrash().ok());
  CHECK(Contents(&env, t.Path("new")) == "kept");
}

TEST_CASE("a deleted file comes back with its synced contents unless its directory is synced",
          "[io][fault]") {
  FOR_EACH_BASE_ENV(t);
  FaultInjectionEnv env(t.env());
  WriteDurableFile(&env, t.Path("f"), "durable");
  {
    auto file = *env.OpenFile(t.Path("f"), OpenMode::kOpenExisting);
    REQUIRE(file->Append(" and not").ok());
  }
  REQUIRE(env.DeleteFile(t.Path("f")).ok());
  CHECK_FALSE(env.FileExists(t.Path("f")));
  CHECK(Children(&env, t.root()).empty());  // the trash is hidden

  SECTION("not synced: it comes back") {
    REQUIRE(env.SimulateCrash().ok());
    CHECK(Contents(&env, t.Path("f")) == "durable");
    CHECK(Children(t.env(), t.root()) == std::vector<std::string>{"f"});
  }
  SECTION("synced: it stays deleted, and the trash is gone") {
    REQUIRE(env.SyncDir(t.root()).ok());
    CHECK(Children(t.env(), t.root()).empty());
    REQUIRE(env.SimulateCrash().ok());
    CHECK_FALSE(env.FileExists(t.Path("f")));
  }
}

TEST_CASE("a rename is undone by a crash unless the destination directory is synced",
          "[io][fault]") {
  FOR_EACH_BASE_ENV(t);
  FaultInjectionEnv env(t.env());
  WriteDurableFile(&env, t.Path("a"), "A");
  WriteDurableFile(&env, t.Path("b"), "B");
  REQUIRE(env.RenameFile(t.Path("a"), t.Path("b")).ok());
  CHECK(Children(&env, t.root()) == std::vector<std::string>{"b"});
  CHECK(Contents(&env, t.Path("b")) == "A");

  SECTION("not synced: both names come back as they were") {
    REQUIRE(env.SimulateCrash().ok());
    CHECK(Contents(&env, t.Path("a")) == "A");
    CHECK(Contents(&env, t.Path("b")) == "B");
  }
  SECTION("synced: the rename and the replacement stay") {
    REQUIRE(env.SyncDir(t.root()).ok());
    REQUIRE(env.SimulateCrash().ok());
    CHECK_FALSE(env.FileExists(t.Path("a")));
    CHECK(Contents(&env, t.Path("b")) == "A");
    CHECK(Children(t.env(), t.root()) == std::vector<std::string>{"b"});
  }
}

TEST_CASE("a rename across directories is durable once the destination is synced", "[io][fault]") {
  FOR_EACH_BASE_ENV(t);
  FaultInjectionEnv env(t.env());
  REQUIRE(env.CreateDir(t.Path("src")).ok());
  REQUIRE(env.CreateDir(t.Path("dst")).ok());
  REQUIRE(env.SyncDir(t.root()).ok());
  WriteDurableFile(&env, t.Path("src/f"), "moving");
  REQUIRE(env.RenameFile(t.Path("src/f"), t.Path("dst/f")).ok());

  SECTION("only the source synced: undone") {
    REQUIRE(env.SyncDir(t.Path("src")).ok());
    REQUIRE(env.SimulateCrash().ok());
    CHECK(Contents(&env, t.Path("src/f")) == "moving");
    CHECK_FALSE(env.FileExists(t.Path("dst/f")));
  }
  SECTION("the destination synced: kept") {
    REQUIRE(env.SyncDir(t.Path("dst")).ok());
    REQUIRE(env.SimulateCrash().ok());
    CHECK_FALSE(env.FileExists(t.Path("src/f")));
    CHECK(Contents(&env, t.Path("dst/f")) == "moving");
  }
}

TEST_CASE("a directory created since its parent's sync vanishes with its contents", "[io][fault]") {
  FOR_EACH_BASE_ENV(t);
  FaultInjectionEnv env(t.env());
  REQUIRE(CreateDirs(&env, t.Path("topic-0/sub")).ok());
  WriteDurableFile(&env, t.Path("topic-0/sub/f"), "synced, in a synced dir");
  REQUIRE(env.SyncDir(t.Path("topic-0")).ok());  // but not root: topic-0 is not durable
  REQUIRE(env.SimulateCrash().ok());
  CHECK_FALSE(env.FileExists(t.Path("topic-0")));
  CHECK(Children(t.env(), t.root()).empty());
}

TEST_CASE("a deleted directory comes back with its files if its parent was not synced",
          "[io][fault]") {
  FOR_EACH_BASE_ENV(t);
  FaultInjectionEnv env(t.env());
  REQUIRE(env.CreateDir(t.Path("d")).ok());
  REQUIRE(env.SyncDir(t.root()).ok());
  WriteDurableFile(&env, t.Path("d/f"), "inside");
  REQUIRE(DeleteRecursively(&env, t.Path("d")).ok());
  CHECK_FALSE(env.FileExists(t.Path("d")));
  CHECK(Children(&env, t.root()).empty());

  SECTION("not synced") {
    REQUIRE(env.SimulateCrash().ok());
    CHECK(Contents(&env, t.Path("d/f")) == "inside");
  }
  SECTION("synced") {
    REQUIRE(env.SyncDir(t.root()).ok());
    CHECK(Children(t.env(), t.root()).empty());  // trash purged
    REQUIRE(env.SimulateCrash().ok());
    CHECK_FALSE(env.FileExists(t.Path("d")));
  }
}

TEST_CASE("a renamed directory's new entries are durable once it is synced under its new name",
          "[io][fault]") {
  FOR_EACH_BASE_ENV(t);
  FaultInjectionEnv env(t.env());
  REQUIRE(env.CreateDir(t.Path("topic-0")).ok());
  REQUIRE(env.SyncDir(t.root()).ok());
  WriteFile(&env, t.Path("topic-0/f"), "data");  // its name is not durable yet
  REQUIRE(env.RenameFile(t.Path("topic-0"), t.Path("topic-0.deleted")).ok());
  REQUIRE(env.SyncDir(t.root()).ok());

  SECTION("not synced under the new name: the file is lost") {
    REQUIRE(env.SimulateCrash().ok());
    CHECK(env.IsDirectory(t.Path("topic-0.deleted")));
    CHECK(Children(&env, t.Path("topic-0.deleted")).empty());
  }
  SECTION("synced under the new name: kept") {
    REQUIRE(env.SyncDir(t.Path("topic-0.deleted")).ok());
    REQUIRE(env.SimulateCrash().ok());
    CHECK(Contents(&env, t.Path("topic-0.deleted/f")) == "data");
  }
}

TEST_CASE("handles opened before a crash fail after it and the Env works again", "[io][fault]") {
  FOR_EACH_BASE_ENV(t);
  FaultInjectionEnv env(t.env());
  auto file = *env.OpenFile(t.Path("f"), OpenMode::kCreate);
  REQUIRE(env.SyncDir(t.root()).ok());
  REQUIRE(file->Append("abc").ok());
  REQUIRE(file->Sync().ok());
  REQUIRE(env.SimulateCrash().ok());

  absl::Status append = file->Append("x");
  CHECK(absl::IsFailedPrecondition(append));
  CHECK_THAT(Message(append), Catch::Contains("crashed"));
  CHECK_THAT(Message(append), Catch::Contains(t.Path("f")));
  char scratch[8];
  CHECK(absl::IsFailedPrecondition(file->ReadAt(0, 3, scratch).status()));
  CHECK(absl::IsFailedPrecondition(file->ReadShared(0, 3).status()));
  CHECK(absl::IsFailedPrecondition(file->Sync()));
  CHECK(absl::IsFailedPrecondition(file->Truncate(0)));
  CHECK(absl::IsFailedPrecondition(file->Size().status()));
  CHECK(absl::IsFailedPrecondition(file->Close()));

  auto reopened = *env.OpenFile(t.Path("f"), OpenMode::kOpenExisting);
  CHECK(ReadString(*reopened, 0, 10) == "abc");
  REQUIRE(reopened->Append("def").ok());
  REQUIRE(env.SimulateCrash().ok());  // a second crash: "def" was never synced
  CHECK(Contents(&env, t.Path("f")) == "abc");
}

TEST_CASE("a crash releases the locks taken through the Env", "[io][fault]") {
  FOR_EACH_BASE_ENV(t);
  FaultInjectionEnv env(t.env());
  auto lock = env.LockFile(t.Path(".lock"));
  REQUIRE(lock.ok());
  REQUIRE(env.SyncDir(t.root()).ok());
  CHECK(absl::IsFailedPrecondition(env.LockFile(t.Path(".lock")).status()));
  REQUIRE(env.SimulateCrash().ok());
  auto after = env.LockFile(t.Path(".lock"));
  CHECK(after.ok());
  lock->reset();  // the dead lock's destructor releases nothing of the new holder's
  CHECK(absl::IsFailedPrecondition(env.LockFile(t.Path(".lock")).status()));
}

TEST_CASE("a halted Env refuses every change until the crash", "[io][fault]") {
  FOR_EACH_BASE_ENV(t);
  FaultInjectionEnv env(t.env());
  auto file = *env.OpenFile(t.Path("log"), OpenMode::kCreate);
  REQUIRE(env.SyncDir(t.root()).ok());
  REQUIRE(file->Append("unsynced").ok());
  env.Halt();
  // What a destructor might try on its way out: all refused, nothing changes.
  CHECK(absl::IsFailedPrecondition(file->Sync()));
  CHECK(absl::IsFailedPrecondition(file->Close()));
  auto marker = env.OpenFile(t.Path(".kafka_cleanshutdown"), OpenMode::kCreate);
  CHECK(absl::IsFailedPrecondition(marker.status()));
  CHECK_THAT(Message(marker.status()), Catch::Contains("halted"));
  CHECK(absl::IsFailedPrecondition(env.RenameFile(t.Path("log"), t.Path("log.deleted"))));
  CHECK(absl::IsFailedPrecondition(env.DeleteFile(t.Path("log"))));
  CHECK(absl::IsFailedPrecondition(env.CreateDir(t.Path("d"))));
  CHECK(absl::IsFailedPrecondition(env.SyncDir(t.root())));
  CHECK(absl::IsFailedPrecondition(env.LockFile(t.Path(".lock")).status()));
  CHECK(env.FileExists(t.Path("log")));  // looking still works
  CHECK(Children(&env, t.root()) == std::vector<std::string>{"log"});
  CHECK(env.CallCount(FaultOp::kOpen) == 1);  // refused calls are not counted

  REQUIRE(env.SimulateCrash().ok());
  CHECK(Contents(&env, t.Path("log")).empty());
  CHECK(Children(&env, t.root()) == std::vector<std::string>{"log"});
  CHECK(env.CreateDir(t.Path("d")).ok());  // alive again
}

TEST_CASE("random appends, syncs and truncates keep exactly the synced prefix in a crash",
          "[io][fault]") {
  FOR_EACH_BASE_ENV(t);
  const std::string path = t.Path("log");
  for (uint32_t seed = 1; seed <= 30; ++seed) {
    CAPTURE(seed);
    std::mt19937 rng(seed);
    FaultInjectionEnv env(t.env());
    auto file = *env.OpenFile(path, OpenMode::kTruncate);
    REQUIRE(env.SyncDir(t.root()).ok());
    std::string written;  // the file's contents
    size_t synced = 0;    // what a crash must keep
    for (int step = 0; step < 60; ++step) {
      const uint32_t action = rng() % 10;
      if (action < 6) {
        std::string data(1 + rng() % 300, '\0');
        for (char& c : data) c = static_cast<char>(rng());
        REQUIRE(file->Append(data).ok());
        written += data;
      } else if (action < 9) {
        REQUIRE(file->Sync().ok());
        synced = written.size();
      } else {
        const size_t size = written.empty() ? 0 : rng() % written.size();
        REQUIRE(file->Truncate(size).ok());
        written.resize(size);
        synced = std::min(synced, size);
      }
    }
    REQUIRE(env.SimulateCrash().ok());
    REQUIRE(Contents(&env, path) == written.substr(0, synced));
  }
}

TEST_CASE("a crash waits for an append in progress and fails the appender's next call",
          "[io][fault][threads]") {
  FOR_EACH_BASE_ENV(t);
  FaultInjectionEnv env(t.env());
  auto file = *env.OpenFile(t.Path("log"), OpenMode::kCreate);
  REQUIRE(env.SyncDir(t.root()).ok());
  constexpr size_t kRecord = 100;  // record i: kRecord bytes of 'a' + i % 26
  std::atomic<uint64_t> synced{0};
  std::atomic<bool> failed_as_crashed{false};
  std::thread appender([&] {
    uint64_t appended = 0;
    for (int i = 0;; ++i) {
      absl::Status status = file->Append(std::string(kRecord, static_cast<char>('a' + i % 26)));
      if (status.ok() && i % 10 == 9) {
        const uint64_t before_sync = appended + kRecord;
        status = file->Sync();
        if (status.ok()) synced = before_sync;
      }
      if (!status.ok()) {
        failed_as_crashed = absl::IsFailedPrecondition(status);
        return;
      }
      appended += kRecord;
    }
  });
  while (env.AppendedBytes() < 50 * 1000) std::this_thread::yield();
  const absl::Status crash = env.SimulateCrash();
  appender.join();
  REQUIRE(crash.ok());
  CHECK(failed_as_crashed);
  const std::string contents = Contents(&env, t.Path("log"));
  CHECK(contents.size() >= synced);
  CHECK(contents.size() % kRecord == 0);
  for (size_t j = 0; j < contents.size(); j += kRecord) {
    REQUIRE(contents.substr(j, kRecord) ==
            std::string(kRecord, static_cast<char>('a' + j / kRecord % 26)));
  }
}

}  // namespace
}  // namespace samsa

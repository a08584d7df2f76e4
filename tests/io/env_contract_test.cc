// The Env contract of samsa/env.h, checked against PosixEnv and MemEnv alike.
#include <algorithm>
#include <atomic>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "io/test_env.h"
#include "samsa/env.h"

namespace samsa {
namespace {

using testing::Contents;
using testing::Message;
using testing::ReadString;
using testing::TestEnv;
using testing::WriteFile;

#define FOR_EACH_ENV(t)                                \
  TestEnv t(GENERATE(TestEnv::kPosix, TestEnv::kMem)); \
  INFO(t.name())

TEST_CASE("opening a missing file fails with NotFound naming the path", "[io][env]") {
  FOR_EACH_ENV(t);
  auto file = t.env()->OpenFile(t.Path("missing"), OpenMode::kOpenExisting);
  REQUIRE(absl::IsNotFound(file.status()));
  CHECK_THAT(Message(file.status()), Catch::Contains("open " + t.Path("missing")));
  CHECK_THAT(Message(file.status()), Catch::Contains("No such file or directory"));
  CHECK_FALSE(t.env()->FileExists(t.Path("missing")));
}

TEST_CASE("kCreate creates an empty file and opens an existing one unchanged", "[io][env]") {
  FOR_EACH_ENV(t);
  {
    auto file = t.env()->OpenFile(t.Path("f"), OpenMode::kCreate);
    REQUIRE(file.ok());
    CHECK(*(*file)->Size() == 0);
    CHECK((*file)->path() == t.Path("f"));
    REQUIRE((*file)->Append("hello").ok());
  }
  auto again = t.env()->OpenFile(t.Path("f"), OpenMode::kCreate);
  REQUIRE(again.ok());
  CHECK(ReadString(**again, 0, 100) == "hello");
  auto existing = t.env()->OpenFile(t.Path("f"), OpenMode::kOpenExisting);
  REQUIRE(existing.ok());
  CHECK(*(*existing)->Size() == 5);
}

TEST_CASE("kCreateNew fails with AlreadyExists when the file exists", "[io][env]") {
  FOR_EACH_ENV(t);
  REQUIRE(t.env()->OpenFile(t.Path("f"), OpenMode::kCreateNew).ok());
  auto second = t.env()->OpenFile(t.Path("f"), OpenMode::kCreateNew);
  CHECK(absl::IsAlreadyExists(second.status()));
  CHECK_THAT(Message(second.status()), Catch::Contains(t.Path("f")));
}

TEST_CASE("kTruncate empties an existing file", "[io][env]") {
  FOR_EACH_ENV(t);
  WriteFile(t.env(), t.Path("f"), "old contents");
  auto file = t.env()->OpenFile(t.Path("f"), OpenMode::kTruncate);
  REQUIRE(file.ok());
  CHECK(*(*file)->Size() == 0);
  REQUIRE((*file)->Append("new").ok());
  CHECK(Contents(t.env(), t.Path("f")) == "new");
}

TEST_CASE("appended bytes read back at any offset, and short at end of file", "[io][env]") {
  FOR_EACH_ENV(t);
  auto file = *t.env()->OpenFile(t.Path("f"), OpenMode::kCreate);
  REQUIRE(file->Append("0123456789").ok());
  REQUIRE(file->Append("").ok());
  REQUIRE(file->Append("abc").ok());
  CHECK(*file->Size() == 13);
  CHECK(ReadString(*file, 0, 13) == "0123456789abc");
  CHECK(ReadString(*file, 8, 4) == "89ab");
  CHECK(ReadString(*file, 10, 100) == "abc");  // short read at end of file
  CHECK(ReadString(*file, 13, 5).empty());     // at the end
  CHECK(ReadString(*file, 1000, 5).empty());   // past it
}

TEST_CASE("ReadShared returns what ReadAt does and outlives the file", "[io][env]") {
  FOR_EACH_ENV(t);
  SharedBytes bytes;
  {
    auto file = *t.env()->OpenFile(t.Path("f"), OpenMode::kCreate);
    REQUIRE(file->Append("shared bytes").ok());
    auto read = file->ReadShared(7, 100);
    REQUIRE(read.ok());
    bytes = *read;
    CHECK(file->ReadShared(12, 4)->empty());
    REQUIRE(file->Close().ok());
  }
  REQUIRE(t.env()->DeleteFile(t.Path("f")).ok());
  CHECK(bytes.view() == "bytes");
}

TEST_CASE("Truncate cuts the file and appends continue at the new end", "[io][env]") {
  FOR_EACH_ENV(t);
  auto file = *t.env()->OpenFile(t.Path("f"), OpenMode::kCreate);
  REQUIRE(file->Append("0123456789").ok());
  REQUIRE(file->Truncate(4).ok());
  CHECK(*file->Size() == 4);
  REQUIRE(file->Append("xy").ok());
  CHECK(ReadString(*file, 0, 100) == "0123xy");
  REQUIRE(file->Truncate(6).ok());  // to its own size: nothing changes
  CHECK(ReadString(*file, 0, 100) == "0123xy");
  REQUIRE(file->Truncate(0).ok());
  CHECK(*file->Size() == 0);
}

TEST_CASE("Truncate beyond the end of the file is an error", "[io][env]") {
  FOR_EACH_ENV(t);
  auto file = *t.env()->OpenFile(t.Path("f"), OpenMode::kCreate);
  REQUIRE(file->Append("abc").ok());
  absl::Status status = file->Truncate(10);
  CHECK(absl::IsInvalidArgument(status));
  CHECK_THAT(Message(status), Catch::Contains(t.Path("f")));
  CHECK(*file->Size() == 3);
}

TEST_CASE("a second handle sees appends through the first at once", "[io][env]") {
  FOR_EACH_ENV(t);
  auto writer = *t.env()->OpenFile(t.Path("f"), OpenMode::kCreate);
  auto reader = *t.env()->OpenFile(t.Path("f"), OpenMode::kOpenExisting);
  REQUIRE(writer->Append("first").ok());
  CHECK(*reader->Size() == 5);
  CHECK(ReadString(*reader, 0, 5) == "first");
  REQUIRE(writer->Append("second").ok());
  CHECK(ReadString(*reader, 5, 100) == "second");
  CHECK(*t.env()->GetFileSize(t.Path("f")) == 11);
}

TEST_CASE("RenameFile moves a file and replaces the target", "[io][env]") {
  FOR_EACH_ENV(t);
  WriteFile(t.env(), t.Path("a"), "A");
  WriteFile(t.env(), t.Path("b"), "B");
  REQUIRE(t.env()->RenameFile(t.Path("a"), t.Path("b")).ok());
  CHECK_FALSE(t.env()->FileExists(t.Path("a")));
  CHECK(Contents(t.env(), t.Path("b")) == "A");
  REQUIRE(t.env()->RenameFile(t.Path("b"), t.Path("c")).ok());
  CHECK(Contents(t.env(), t.Path("c")) == "A");
  CHECK(*t.env()->GetChildren(t.root()) == std::vector<std::string>{"c"});
}

TEST_CASE("renaming a missing file or into a missing directory fails with NotFound", "[io][env]") {
  FOR_EACH_ENV(t);
  absl::Status missing = t.env()->RenameFile(t.Path("nope"), t.Path("x"));
  CHECK(absl::IsNotFound(missing));
  CHECK_THAT(Message(missing), Catch::Contains(t.Path("nope")));
  WriteFile(t.env(), t.Path("a"), "A");
  CHECK(absl::IsNotFound(t.env()->RenameFile(t.Path("a"), t.Path("no-dir/a"))));
  CHECK(Contents(t.env(), t.Path("a")) == "A");
}

TEST_CASE("DeleteFile removes a file and fails with NotFound on a missing one", "[io][env]") {
  FOR_EACH_ENV(t);
  WriteFile(t.env(), t.Path("f"), "x");
  REQUIRE(t.env()->DeleteFile(t.Path("f")).ok());
  CHECK_FALSE(t.env()->FileExists(t.Path("f")));
  absl::Status again = t.env()->DeleteFile(t.Path("f"));
  CHECK(absl::IsNotFound(again));
  CHECK_THAT(Message(again), Catch::Contains("delete " + t.Path("f")));
}

TEST_CASE("an open handle keeps working after its file is renamed or deleted", "[io][env]") {
  FOR_EACH_ENV(t);
  auto file = *t.env()->OpenFile(t.Path("f"), OpenMode::kCreate);
  REQUIRE(file->Append("abc").ok());
  REQUIRE(t.env()->RenameFile(t.Path("f"), t.Path("g")).ok());
  REQUIRE(file->Append("def").ok());
  CHECK(Contents(t.env(), t.Path("g")) == "abcdef");
  REQUIRE(t.env()->DeleteFile(t.Path("g")).ok());
  REQUIRE(file->Append("ghi").ok());
  CHECK(ReadString(*file, 0, 100) == "abcdefghi");
}

TEST_CASE("GetChildren lists the names of a directory, sorted", "[io][env]") {
  FOR_EACH_ENV(t);
  CHECK(t.env()->GetChildren(t.root())->empty());
  for (const char* name : {"b.log", "a.index", "c", "00000000000000000000.log"}) {
    WriteFile(t.env(), t.Path(name), "");
  }
  REQUIRE(t.env()->CreateDir(t.Path("sub")).ok());
  CHECK(*t.env()->GetChildren(t.root()) ==
        std::vector<std::string>{"00000000000000000000.log", "a.index", "b.log", "c", "sub"});
  auto missing = t.env()->GetChildren(t.Path("nope"));
  CHECK(absl::IsNotFound(missing.status()));
  CHECK_THAT(Message(missing.status()), Catch::Contains(t.Path("nope")));
}

TEST_CASE("directories are created under an existing parent and deleted when empty", "[io][env]") {
  FOR_EACH_ENV(t);
  CHECK(absl::IsNotFound(t.env()->CreateDir(t.Path("a/b"))));
  REQUIRE(t.env()->CreateDir(t.Path("a")).ok());
  CHECK(absl::IsAlreadyExists(t.env()->CreateDir(t.Path("a"))));
  REQUIRE(t.env()->CreateDir(t.Path("a/b")).ok());
  CHECK(t.env()->IsDirectory(t.Path("a/b")));
  CHECK(t.env()->FileExists(t.Path("a/b")));
  WriteFile(t.env(), t.Path("a/f"), "x");
  CHECK_FALSE(t.env()->IsDirectory(t.Path("a/f")));

  absl::Status not_empty = t.env()->DeleteDir(t.Path("a"));
  CHECK_FALSE(not_empty.ok());
  CHECK_THAT(Message(not_empty), Catch::Contains(t.Path("a")));
  CHECK(t.env()->IsDirectory(t.Path("a")));
  REQUIRE(t.env()->DeleteDir(t.Path("a/b")).ok());
  CHECK_FALSE(t.env()->FileExists(t.Path("a/b")));
  CHECK(absl::IsNotFound(t.env()->DeleteDir(t.Path("a/b"))));
}

TEST_CASE("CreateDirs makes missing parents and DeleteRecursively removes a tree", "[io][env]") {
  FOR_EACH_ENV(t);
  REQUIRE(CreateDirs(t.env(), t.Path("x/y/z")).ok());
  REQUIRE(CreateDirs(t.env(), t.Path("x/y/z")).ok());  // already there: fine
  CHECK(t.env()->IsDirectory(t.Path("x/y/z")));
  WriteFile(t.env(), t.Path("x/y/z/f"), "1");
  WriteFile(t.env(), t.Path("x/g"), "2");
  CHECK_FALSE(CreateDirs(t.env(), t.Path("x/g/h")).ok());  // a file in the way
  REQUIRE(DeleteRecursively(t.env(), t.Path("x")).ok());
  CHECK_FALSE(t.env()->FileExists(t.Path("x")));
  CHECK(t.env()->GetChildren(t.root())->empty());
}

TEST_CASE("a second lock of a file fails until the first is released", "[io][env]") {
  FOR_EACH_ENV(t);
  auto first = t.env()->LockFile(t.Path(".lock"));
  REQUIRE(first.ok());
  CHECK(t.env()->FileExists(t.Path(".lock")));  // created
  auto second = t.env()->LockFile(t.Path(".lock"));
  REQUIRE(absl::IsFailedPrecondition(second.status()));
  CHECK_THAT(Message(second.status()),
             Catch::Contains("lock " + t.Path(".lock") + ": held by another broker/process"));
  auto other = t.env()->LockFile(t.Path("other.lock"));  // another file: independent
  CHECK(other.ok());
  first->reset();
  auto third = t.env()->LockFile(t.Path(".lock"));
  CHECK(third.ok());
}

TEST_CASE("a lock in a missing directory fails with NotFound", "[io][env]") {
  FOR_EACH_ENV(t);
  CHECK(absl::IsNotFound(t.env()->LockFile(t.Path("no-dir/.lock")).status()));
}

TEST_CASE("every call on a closed handle fails with FailedPrecondition", "[io][env]") {
  FOR_EACH_ENV(t);
  auto file = *t.env()->OpenFile(t.Path("f"), OpenMode::kCreate);
  REQUIRE(file->Append("abc").ok());
  REQUIRE(file->Close().ok());
  char scratch[4];
  CHECK(absl::IsFailedPrecondition(file->Append("x")));
  CHECK(absl::IsFailedPrecondition(file->ReadAt(0, 3, scratch).status()));
  CHECK(absl::IsFailedPrecondition(file->ReadShared(0, 3).status()));
  CHECK(absl::IsFailedPrecondition(file->Truncate(0)));
  CHECK(absl::IsFailedPrecondition(file->Sync()));
  CHECK(absl::IsFailedPrecondition(file->Size().status()));
  absl::Status again = file->Close();
  CHECK(absl::IsFailedPrecondition(again));
  CHECK_THAT(Message(again), Catch::Contains(t.Path("f")));
  CHECK(Contents(t.env(), t.Path("f")) == "abc");
}

TEST_CASE("Sync, SyncDir and GetFileSize work, and name a missing path", "[io][env]") {
  FOR_EACH_ENV(t);
  auto file = *t.env()->OpenFile(t.Path("f"), OpenMode::kCreate);
  REQUIRE(file->Append("12345").ok());
  CHECK(file->Sync().ok());
  CHECK(t.env()->SyncDir(t.root()).ok());
  CHECK(*t.env()->GetFileSize(t.Path("f")) == 5);
  auto size = t.env()->GetFileSize(t.Path("nope"));
  CHECK(absl::IsNotFound(size.status()));
  CHECK_THAT(Message(size.status()), Catch::Contains(t.Path("nope")));
  absl::Status sync_dir = t.env()->SyncDir(t.Path("nope"));
  CHECK(absl::IsNotFound(sync_dir));
  CHECK_THAT(Message(sync_dir), Catch::Contains(t.Path("nope")));
}

TEST_CASE("the Env's clock is the one it was made with", "[io][env]") {
  FOR_EACH_ENV(t);
  CHECK(t.env()->clock() == t.clock());
}

TEST_CASE("a reader sees every byte while another thread appends", "[io][env][threads]") {
  FOR_EACH_ENV(t);
  auto writer = *t.env()->OpenFile(t.Path("f"), OpenMode::kCreate);
  auto reader = *t.env()->OpenFile(t.Path("f"), OpenMode::kOpenExisting);
  constexpr int kAppends = 2000;
  constexpr size_t kRecord = 97;  // not a divisor of any chunk size
  // Record i is kRecord copies of the byte 'a' + i % 26.
  std::atomic<bool> append_failed{false};
  std::thread appender([&] {  // no Catch2 assertion off the main thread
    for (int i = 0; i < kAppends && !append_failed; ++i) {
      if (!writer->Append(std::string(kRecord, static_cast<char>('a' + i % 26))).ok()) {
        append_failed = true;
      }
    }
  });
  uint64_t checked = 0;
  int reads = 0;
  std::string scratch(64 << 10, '\0');
  while (checked < kAppends * kRecord && !append_failed) {
    const uint64_t size = *reader->Size();
    if (size == checked) {
      std::this_thread::yield();
      continue;
    }
    // Alternate ReadAt and ReadShared over what Size() promised is there.
    const size_t n = static_cast<size_t>(std::min<uint64_t>(size - checked, scratch.size()));
    std::string got;
    if (++reads % 2 == 0) {
      got = std::string(*reader->ReadAt(checked, n, scratch.data()));
    } else {
      got = std::string(reader->ReadShared(checked, n)->view());
    }
    std::string expected(n, '\0');
    for (size_t j = 0; j < n; ++j) {
      expected[j] = static_cast<char>('a' + (checked + j) / kRecord % 26);
    }
    REQUIRE(got == expected);
    checked += n;
  }
  appender.join();
  REQUIRE_FALSE(append_failed);
  CHECK(*reader->Size() == kAppends * kRecord);
}

}  // namespace
}  // namespace samsa

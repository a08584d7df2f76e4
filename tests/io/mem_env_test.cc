// What MemEnv promises beyond the Env contract: zero-copy reads of its chunks,
// views that never change, and its tree of normalized paths.
#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "io/mem_file_data.h"
#include "io/test_env.h"
#include "samsa/env.h"

namespace samsa {
namespace {

using io::MemFileData;
using testing::Contents;
using testing::ReadString;
using testing::WriteFile;

TEST_CASE("MemEnv ReadShared of one append is a view of the storage, not a copy", "[io][mem]") {
  auto env = NewMemEnv();
  auto file = *env->OpenFile("/f", OpenMode::kCreate);
  // Appends of assorted sizes, enough to fill several chunks.
  std::vector<std::pair<uint64_t, size_t>> appends;
  uint64_t offset = 0;
  for (int i = 0; i < 400; ++i) {
    const size_t size = 100 + (i * 7919) % 20000;
    REQUIRE(file->Append(std::string(size, static_cast<char>('a' + i % 26))).ok());
    appends.emplace_back(offset, size);
    offset += size;
  }
  for (const auto& [start, size] : appends) {
    SharedBytes first = *file->ReadShared(start, size);
    SharedBytes second = *file->ReadShared(start, size);
    REQUIRE(first.size() == size);
    // A copy would have its own buffer: the same address means the storage.
    REQUIRE(first.data() == second.data());
    REQUIRE(first.owner() == second.owner());
    SharedBytes inner = *file->ReadShared(start + 1, size - 2);
    REQUIRE(inner.data() == first.data() + 1);
  }
}

TEST_CASE("MemEnv copies a range that spans chunks, with the right bytes", "[io][mem]") {
  MemFileData data;
  const std::string first(MemFileData::kMinChunkBytes - 10, 'x');
  const std::string second(100, 'y');  // does not fit the 10 bytes left: a new chunk
  data.Append(first);
  data.Append(second);
  REQUIRE(data.NumChunks() == 2);
  SharedBytes across = data.ReadShared(first.size() - 5, 10);
  CHECK(across.view() == "xxxxxyyyyy");
  SharedBytes again = data.ReadShared(first.size() - 5, 10);
  CHECK(again.data() != across.data());  // each a fresh copy
  char scratch[10];
  CHECK(std::string_view(scratch, data.ReadAt(first.size() - 5, 10, scratch)) == "xxxxxyyyyy");
}

TEST_CASE("MemEnv ReadSharedPrefix stops at the end of a chunk, with a view", "[io][mem]") {
  auto env = NewMemEnv();
  auto file = *env->OpenFile("/f", OpenMode::kCreate);
  const std::string first(MemFileData::kMinChunkBytes - 10, 'x');
  const std::string second(100, 'y');  // a new chunk
  REQUIRE(file->Append(first).ok());
  REQUIRE(file->Append(second).ok());
  // Asked for everything from byte 5: the rest of the first chunk only.
  SharedBytes prefix = *file->ReadSharedPrefix(5, first.size() + second.size());
  CHECK(prefix.view() == first.substr(5));
  CHECK(prefix.data() == file->ReadShared(0, 10)->data() + 5);  // the storage itself
  // Within one chunk: everything asked for.
  CHECK(file->ReadSharedPrefix(first.size() + 10, 50)->view() == second.substr(10, 50));
  CHECK(file->ReadSharedPrefix(first.size() + 10, 1000)->view() == second.substr(10));
  // At the end of the file: nothing.
  CHECK(file->ReadSharedPrefix(first.size() + second.size(), 10)->empty());
  // ReadShared still returns the whole range (a copy).
  CHECK(file->ReadShared(5, first.size() + second.size())->view() == first.substr(5) + second);
}

TEST_CASE("MemEnv chunks grow with the file and an append larger than a chunk gets its own",
          "[io][mem]") {
  MemFileData data;
  data.Append(std::string(10, 'a'));
  CHECK(data.NumChunks() == 1);
  data.Append(std::string(MemFileData::kMinChunkBytes - 10, 'b'));  // fills the first chunk
  CHECK(data.NumChunks() == 1);
  const std::string big(3 * MemFileData::kMaxChunkBytes, 'c');
  data.Append(big);
  CHECK(data.NumChunks() == 2);
  SharedBytes view = data.ReadShared(MemFileData::kMinChunkBytes, big.size());
  CHECK(view.view() == big);
  CHECK(view.data() == data.ReadShared(MemFileData::kMinChunkBytes, 1).data());  // zero copy
}

TEST_CASE("a MemEnv view keeps its bytes through truncate and later appends", "[io][mem]") {
  auto env = NewMemEnv();
  auto file = *env->OpenFile("/f", OpenMode::kCreate);
  REQUIRE(file->Append(std::string(100, 'A')).ok());
  SharedBytes view = *file->ReadShared(0, 100);
  SharedBytes tail = *file->ReadShared(60, 40);
  const char* storage = view.data();

  REQUIRE(file->Truncate(50).ok());  // into the middle of the chunk
  REQUIRE(file->Append(std::string(100, 'B')).ok());
  CHECK(view.view() == std::string(100, 'A'));
  CHECK(tail.view() == std::string(40, 'A'));
  CHECK(ReadString(*file, 0, 200) == std::string(50, 'A') + std::string(100, 'B'));
  CHECK(file->ReadShared(0, 50)->data() != storage);  // the kept prefix was copied

  REQUIRE(file->Truncate(0).ok());
  REQUIRE(file->Append(std::string(100, 'C')).ok());
  CHECK(view.view() == std::string(100, 'A'));
  CHECK(ReadString(*file, 0, 200) == std::string(100, 'C'));
}

TEST_CASE("a MemEnv view outlives the deletion of its file and the Env", "[io][mem]") {
  SharedBytes view;
  {
    auto env = NewMemEnv();
    WriteFile(env.get(), "/f", "still here");
    auto file = *env->OpenFile("/f", OpenMode::kOpenExisting);
    view = *file->ReadShared(6, 4);
    REQUIRE(env->DeleteFile("/f").ok());
  }
  CHECK(view.view() == "here");
}

TEST_CASE("MemEnv views taken while another thread appends never change", "[io][mem][threads]") {
  auto env = NewMemEnv();
  auto writer = *env->OpenFile("/f", OpenMode::kCreate);
  auto reader = *env->OpenFile("/f", OpenMode::kOpenExisting);
  constexpr int kAppends = 3000;
  constexpr size_t kRecord = 1000;
  std::atomic<bool> append_failed{false};
  std::thread appender([&] {
    for (int i = 0; i < kAppends && !append_failed; ++i) {
      if (!writer->Append(std::string(kRecord, static_cast<char>('a' + i % 26))).ok()) {
        append_failed = true;
      }
    }
  });
  // Read each record whole, as soon as it is there, and keep every view.
  std::vector<SharedBytes> views;
  for (int i = 0; i < kAppends && !append_failed;) {
    if (*reader->Size() < (i + 1) * kRecord) {
      std::this_thread::yield();
      continue;
    }
    SharedBytes record = *reader->ReadShared(i * kRecord, kRecord);
    REQUIRE(record.view() == std::string(kRecord, static_cast<char>('a' + i % 26)));
    views.push_back(std::move(record));
    ++i;
  }
  appender.join();
  REQUIRE_FALSE(append_failed);
  for (size_t i = 0; i < views.size(); ++i) {  // unchanged since they were read
    REQUIRE(views[i].view() == std::string(kRecord, static_cast<char>('a' + i % 26)));
  }
}

TEST_CASE("MemEnv appends from several threads land whole, one after another", "[io][mem][threads]") {
  // An append copies its bytes before it takes the file's writer lock;
  // appenders must still take turns, or two would write the same tail.
  auto env = NewMemEnv();
  constexpr int kThreads = 3;
  constexpr int kAppends = 2000;
  constexpr size_t kRecord = 700;  // not a divisor of a chunk: some appends open chunks
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto file = *env->OpenFile("/f", OpenMode::kCreate);
      for (int i = 0; i < kAppends; ++i) {
        if (!file->Append(std::string(kRecord, static_cast<char>('a' + t))).ok()) failed.fetch_add(1);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  REQUIRE(failed.load() == 0);
  auto file = *env->OpenFile("/f", OpenMode::kOpenExisting);
  REQUIRE(*file->Size() == kThreads * kAppends * kRecord);
  std::map<char, int> per_thread;
  for (size_t i = 0; i < kThreads * kAppends; ++i) {
    SharedBytes record = *file->ReadShared(i * kRecord, kRecord);
    const char c = record.view()[0];
    REQUIRE(record.view() == std::string(kRecord, c));
    ++per_thread[c];
  }
  CHECK(per_thread == std::map<char, int>{{'a', kAppends}, {'b', kAppends}, {'c', kAppends}});
}

TEST_CASE("MemEnv treats every spelling of a path as the same name", "[io][mem]") {
  auto env = NewMemEnv();
  REQUIRE(env->CreateDir("/a").ok());
  REQUIRE(env->CreateDir("a/b/").ok());
  WriteFile(env.get(), "//a/./b/f", "x");
  CHECK(Contents(env.get(), "/a/b/f") == "x");
  CHECK(Contents(env.get(), "a/b/../b/f") == "x");
  CHECK(env->IsDirectory("/"));
  CHECK(*env->GetChildren("/") == std::vector<std::string>{"a"});
  auto lock = env->LockFile("/a/b/f");
  REQUIRE(lock.ok());
  CHECK(absl::IsFailedPrecondition(env->LockFile("a//b/f").status()));
}

TEST_CASE("MemEnv renames a directory with everything in it", "[io][mem]") {
  auto env = NewMemEnv();
  REQUIRE(CreateDirs(env.get(), "/logs/topic-0").ok());
  WriteFile(env.get(), "/logs/topic-0/00000000000000000000.log", "batch");
  auto open = *env->OpenFile("/logs/topic-0/00000000000000000000.log", OpenMode::kOpenExisting);
  REQUIRE(env->RenameFile("/logs/topic-0", "/logs/topic-0.abc-delete").ok());
  CHECK_FALSE(env->FileExists("/logs/topic-0"));
  CHECK(Contents(env.get(), "/logs/topic-0.abc-delete/00000000000000000000.log") == "batch");
  CHECK(ReadString(*open, 0, 10) == "batch");
  // Not into itself, and not over a non-empty directory or a file.
  CHECK_FALSE(env->RenameFile("/logs", "/logs/topic-0.abc-delete/x").ok());
  REQUIRE(env->CreateDir("/other").ok());
  WriteFile(env.get(), "/other/f", "");
  CHECK_FALSE(env->RenameFile("/logs/topic-0.abc-delete", "/other").ok());
  CHECK_FALSE(env->RenameFile("/logs/topic-0.abc-delete", "/other/f").ok());
  CHECK_FALSE(env->RenameFile("/other/f", "/logs").ok());
  CHECK(env->IsDirectory("/logs/topic-0.abc-delete"));
}

TEST_CASE("MemEnv refuses to treat a file as a directory", "[io][mem]") {
  auto env = NewMemEnv();
  WriteFile(env.get(), "/f", "x");
  CHECK(absl::IsInternal(env->OpenFile("/f/g", OpenMode::kCreate).status()));
  CHECK(absl::IsInternal(env->GetChildren("/f").status()));
  CHECK(absl::IsInternal(env->DeleteDir("/f")));
  CHECK(absl::IsInternal(env->DeleteFile("/")));
  REQUIRE(env->CreateDir("/d").ok());
  CHECK(absl::IsInternal(env->DeleteFile("/d")));
  CHECK(absl::IsInternal(env->OpenFile("/d", OpenMode::kCreate).status()));
}

}  // namespace
}  // namespace samsa

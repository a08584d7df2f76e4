// FaultInjectionEnv's injected faults: FailNth, the space limit, corrupted
// reads; and WriteFileAtomically under a fault at each of its steps.
#include <functional>
#include <string>

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

// One operation under test: Call(k) makes the k-th call (k = 1, 2, 3), each
// changing something different; State() shows what the calls change.
struct OpCase {
  FaultOp op;
  std::function<absl::Status(int k)> call;
  std::function<std::string()> state;  // must not call `op` itself
  bool changes_state = true;           // false for reads
};

std::string Join(const std::vector<std::string>& names) {
  std::string joined;
  for (const std::string& name : names) joined += name + ",";
  return joined;
}

TEST_CASE("FailNth fails exactly the n-th call of each operation and changes nothing",
          "[io][fault]") {
  FOR_EACH_BASE_ENV(t);
  FaultInjectionEnv env(t.env());
  auto file = *env.OpenFile(t.Path("f"), OpenMode::kCreate);
  REQUIRE(file->Append("0123456789").ok());
  const auto name = [&](const char* prefix, int k) { return t.Path(prefix + std::to_string(k)); };
  for (int k = 1; k <= 3; ++k) {
    WriteFile(&env, name("del", k), "");
    WriteFile(&env, name("ren", k), "");
    REQUIRE(env.CreateDir(name("dir", k)).ok());
    REQUIRE(env.CreateDir(name("sd", k)).ok());
    WriteFile(&env, name("sd", k) + "/f", "");  // a change that SyncDir(sd<k>) makes durable
  }
  const auto children = [&] { return Join(*env.GetChildren(t.root())); };
  const auto contents = [&] { return Contents(t.env(), t.Path("f")); };  // not through `env`
  char scratch[16];
  const std::vector<OpCase> cases = {
      {FaultOp::kOpen,
       [&](int k) { return env.OpenFile(name("new", k), OpenMode::kCreateNew).status(); },
       children},
      {FaultOp::kAppend, [&](int k) { return file->Append(std::to_string(k)); }, contents},
      {FaultOp::kRead, [&](int k) { return file->ReadAt(k, 3, scratch).status(); }, contents,
       false},
      {FaultOp::kRead, [&](int k) { return file->ReadShared(k, 3).status(); }, contents, false},
      {FaultOp::kSync,
       [&](int k) {
         absl::Status append = file->Append("s");
         return append.ok() ? file->Sync() : append;
       },
       [&] { return std::to_string(*env.SyncedSize(t.Path("f"))); }},
      {FaultOp::kTruncate, [&](int) { return file->Truncate(*file->Size() - 1); }, contents},
      {FaultOp::kRename, [&](int k) { return env.RenameFile(name("ren", k), name("renamed", k)); },
       children},
      {FaultOp::kDelete, [&](int k) { return env.DeleteFile(name("del", k)); }, children},
      {FaultOp::kCreateDir, [&](int k) { return env.CreateDir(name("newdir", k)); }, children},
      {FaultOp::kDeleteDir, [&](int k) { return env.DeleteDir(name("dir", k)); }, children},
      {FaultOp::kSyncDir, [&](int k) { return env.SyncDir(name("sd", k)); },
       [&] { return std::to_string(env.PendingDirChanges()); }},
  };
  for (const OpCase& c : cases) {
    INFO("op: " << FaultOpName(c.op));
    const int64_t faults_before = env.FaultsInjected();
    env.FailNth(c.op, 2);
    REQUIRE(c.call(1).ok());
    const std::string before = c.state();
    const absl::Status failed = c.call(2);
    CHECK(absl::IsInternal(failed));
    CHECK_THAT(Message(failed), Catch::StartsWith("injected fault: "));
    CHECK(c.state() == before);
    CHECK(env.FaultsInjected() == faults_before + 1);
    REQUIRE(c.call(3).ok());  // only the n-th call fails
    if (c.changes_state) CHECK(c.state() != before);
  }
  CHECK(env.CallCount(FaultOp::kRead) == 6);
  CHECK(env.CallCount(FaultOp::kDeleteDir) == 3);
}

TEST_CASE("FailNth can be cancelled before it fires", "[io][fault]") {
  FOR_EACH_BASE_ENV(t);
  FaultInjectionEnv env(t.env());
  auto file = *env.OpenFile(t.Path("f"), OpenMode::kCreate);
  env.FailNth(FaultOp::kAppend, 1);
  env.FailNth(FaultOp::kSync, 1);
  env.ClearFaults();
  CHECK(file->Append("x").ok());
  CHECK(file->Sync().ok());
  env.FailNth(FaultOp::kAppend, 1);
  env.FailNth(FaultOp::kAppend, 0);
  CHECK(file->Append("y").ok());
  CHECK(env.FaultsInjected() == 0);
}

TEST_CASE("a space limit fails the appends that would pass it, writing nothing", "[io][fault]") {
  FOR_EACH_BASE_ENV(t);
  FaultInjectionEnv env(t.env());
  auto file = *env.OpenFile(t.Path("f"), OpenMode::kCreate);
  REQUIRE(file->Append("before the limit").ok());  // not counted
  env.SetSpaceLimit(10);
  REQUIRE(file->Append("123456").ok());
  absl::Status full = file->Append("12345");
  CHECK(absl::IsResourceExhausted(full));
  CHECK_THAT(Message(full), Catch::Contains("No space left on device"));
  CHECK_THAT(Message(full), Catch::Contains(t.Path("f")));
  CHECK(*file->Size() == 22);
  REQUIRE(file->Append("1234").ok());  // exactly at the limit
  CHECK(absl::IsResourceExhausted(file->Append("x")));
  CHECK(env.AppendedBytes() == 26);
  env.SetSpaceLimit(-1);
  CHECK(file->Append(std::string(1000, 'x')).ok());
}

TEST_CASE("CorruptReads flips exactly that byte in reads and leaves the file intact",
          "[io][fault]") {
  FOR_EACH_BASE_ENV(t);
  FaultInjectionEnv env(t.env());
  WriteFile(&env, t.Path("00.log"), "0123456789");
  WriteFile(&env, t.Path("00.index"), "0123456789");
  env.CorruptReads(".log", 3, 0x01);
  auto file = *env.OpenFile(t.Path("00.log"), OpenMode::kOpenExisting);
  CHECK(ReadString(*file, 0, 10) == "0122456789");  // '3' ^ 1 == '2'
  CHECK(ReadString(*file, 3, 1) == "2");
  CHECK(ReadString(*file, 4, 6) == "456789");
  CHECK(ReadString(*file, 0, 3) == "012");
  CHECK(file->ReadShared(2, 3)->view() == "224");
  CHECK(Contents(&env, t.Path("00.index")) == "0123456789");
  CHECK(Contents(t.env(), t.Path("00.log")) == "0123456789");  // the file is untouched
  env.ClearFaults();
  CHECK(ReadString(*file, 0, 10) == "0123456789");
}

TEST_CASE("reads through a FaultInjectionEnv over a MemEnv stay zero-copy", "[io][fault]") {
  auto base = NewMemEnv();
  FaultInjectionEnv env(base.get());
  auto file = *env.OpenFile("/f", OpenMode::kCreate);
  REQUIRE(file->Append("a record batch").ok());
  SharedBytes first = *file->ReadShared(2, 6);
  CHECK(first.view() == "record");
  CHECK(file->ReadShared(2, 6)->data() == first.data());
  env.CorruptReads("/f", 0, 0xff);
  CHECK(file->ReadShared(2, 6)->data() == first.data());  // the corrupt byte is not in range
  CHECK(file->ReadShared(0, 6)->data() != first.data() - 2);
}

TEST_CASE("WriteFileAtomically leaves the old or the new contents after a crash at any step",
          "[io][fault]") {
  FOR_EACH_BASE_ENV(t);
  const std::string path = t.Path("recovery-point-offset-checkpoint");
  const FaultOp op = GENERATE(FaultOp::kOpen, FaultOp::kAppend, FaultOp::kSync, FaultOp::kRename,
                              FaultOp::kSyncDir);
  INFO("failing: " << FaultOpName(op));
  FaultInjectionEnv env(t.env());
  REQUIRE(WriteFileAtomically(&env, path, "old").ok());
  REQUIRE(env.SimulateCrash().ok());
  REQUIRE(Contents(&env, path) == "old");

  env.FailNth(op, 1);
  const absl::Status status = WriteFileAtomically(&env, path, "new");
  CHECK(absl::IsInternal(status));
  CHECK(env.FaultsInjected() == 1);
  const std::string before_crash = Contents(&env, path);
  CHECK((before_crash == "old" || before_crash == "new"));
  REQUIRE(env.SimulateCrash().ok());
  const std::string after_crash = Contents(&env, path);
  CHECK((after_crash == "old" || after_crash == "new"));
  // Only a failed SyncDir comes after the rename: the rest leave the old file.
  if (op != FaultOp::kSyncDir) CHECK(after_crash == "old");

  env.ClearFaults();
  REQUIRE(WriteFileAtomically(&env, path, "newer").ok());
  REQUIRE(env.SimulateCrash().ok());
  CHECK(Contents(&env, path) == "newer");
  CHECK(*env.GetChildren(t.root()) == std::vector<std::string>{BaseName(path)});
}

}  // namespace
}  // namespace samsa

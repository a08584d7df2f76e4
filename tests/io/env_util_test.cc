// The helpers at the bottom of samsa/env.h and File's default ReadShared.
#include <string>

#include <catch2/catch.hpp>

#include "io/test_env.h"
#include "samsa/env.h"

namespace samsa {
namespace {

using testing::Contents;
using testing::TestEnv;
using testing::WriteFile;

TEST_CASE("JoinPath, DirName and BaseName split paths as a shell does", "[io][util]") {
  CHECK(JoinPath("a/b", "c") == "a/b/c");
  CHECK(JoinPath("a/b/", "c") == "a/b/c");
  CHECK(JoinPath("/", "c") == "/c");
  CHECK(JoinPath("", "c") == "c");
  CHECK(JoinPath("a", "") == "a");

  CHECK(DirName("a/b/c") == "a/b");
  CHECK(DirName("c") == ".");
  CHECK(DirName("/c") == "/");
  CHECK(DirName("/") == "/");
  CHECK(DirName("a/b/") == "a");
  CHECK(DirName("a//b") == "a");

  CHECK(BaseName("a/b/c") == "c");
  CHECK(BaseName("c") == "c");
  CHECK(BaseName("a/b/") == "b");
  CHECK(BaseName("/") == "/");
}

TEST_CASE("ReadFileToString reads a whole file, or fails with NotFound", "[io][util]") {
  TestEnv t(GENERATE(TestEnv::kPosix, TestEnv::kMem));
  INFO(t.name());
  std::string big;
  for (int i = 0; i < 100000; ++i) big += static_cast<char>('a' + i % 26);
  WriteFile(t.env(), t.Path("big"), big);
  CHECK(*ReadFileToString(t.env(), t.Path("big")) == big);
  WriteFile(t.env(), t.Path("empty"), "");
  CHECK(ReadFileToString(t.env(), t.Path("empty"))->empty());
  CHECK(absl::IsNotFound(ReadFileToString(t.env(), t.Path("nope")).status()));
}

TEST_CASE("WriteFileAtomically creates or replaces a file and leaves no temporary", "[io][util]") {
  TestEnv t(GENERATE(TestEnv::kPosix, TestEnv::kMem));
  INFO(t.name());
  const std::string path = t.Path("recovery-point-offset-checkpoint");
  REQUIRE(WriteFileAtomically(t.env(), path, "0\n1\ntopic 0 42\n").ok());
  CHECK(Contents(t.env(), path) == "0\n1\ntopic 0 42\n");
  REQUIRE(WriteFileAtomically(t.env(), path, "0\n0\n").ok());
  CHECK(Contents(t.env(), path) == "0\n0\n");
  CHECK(*t.env()->GetChildren(t.root()) ==
        std::vector<std::string>{"recovery-point-offset-checkpoint"});
  CHECK(absl::IsNotFound(WriteFileAtomically(t.env(), t.Path("no-dir/f"), "x")));
}

// A File whose ReadAt returns a view of its own buffer, never of scratch.
class ViewFile final : public File {
 public:
  explicit ViewFile(std::string contents) : contents_(std::move(contents)) {}
  const std::string& path() const override { return path_; }
  absl::Status Append(std::string_view data) override {
    contents_.append(data);
    return absl::OkStatus();
  }
  absl::StatusOr<std::string_view> ReadAt(uint64_t offset, size_t n, char*) const override {
    if (offset >= contents_.size()) return std::string_view();
    return std::string_view(contents_).substr(offset, n);
  }
  absl::Status Truncate(uint64_t size) override {
    contents_.resize(size);
    return absl::OkStatus();
  }
  absl::Status Sync() override { return absl::OkStatus(); }
  absl::StatusOr<uint64_t> Size() const override { return contents_.size(); }
  absl::Status Close() override { return absl::OkStatus(); }

 private:
  const std::string path_ = "view";
  std::string contents_;
};

TEST_CASE("the default ReadShared copies bytes that ReadAt returned from elsewhere", "[io][util]") {
  ViewFile file("hello world");
  SharedBytes bytes = *file.ReadShared(6, 100);
  CHECK(bytes.view() == "world");
  REQUIRE(file.Truncate(0).ok());
  REQUIRE(file.Append("HELLO WORLD").ok());  // rewrites the buffer ReadAt pointed into
  CHECK(bytes.view() == "world");
  CHECK(file.ReadShared(11, 5)->empty());
}

TEST_CASE("a short default ReadShared does not pin a buffer sized for the request", "[io][util]") {
  TestEnv t(TestEnv::kPosix);  // PosixEnv files use the default ReadShared
  WriteFile(t.env(), t.Path("f"), "ten bytes!");
  auto file = *t.env()->OpenFile(t.Path("f"), OpenMode::kOpenExisting);
  SharedBytes bytes = *file->ReadShared(0, 1 << 20);
  CHECK(bytes.view() == "ten bytes!");
  // The default implementation owns a std::string: check what it holds.
  auto owner = std::static_pointer_cast<const std::string>(bytes.owner());
  CHECK(owner->capacity() < 4096);
}

}  // namespace
}  // namespace samsa

// TestEnv: the Env a test runs against, with a fresh empty directory in it.
//
// Contract tests run once per kind (Catch2's GENERATE):
//
//   TestEnv t(GENERATE(TestEnv::kPosix, TestEnv::kMem));
//   INFO(t.name());
//   auto file = t.env()->OpenFile(t.Path("a"), OpenMode::kCreate);
//
// kPosix: a PosixEnv in a new directory made by mkdtemp under /tmp, deleted
// with everything in it by the destructor. kMem: a MemEnv with directory
// "/data". Both run on a ManualClock. Plus small helpers for file contents.
//
// Thread-safety: env() is thread-safe; the TestEnv itself belongs to one test.
#pragma once

#include <stdlib.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include <catch2/catch.hpp>

#include "samsa/clock.h"
#include "samsa/env.h"

namespace samsa::testing {

class TestEnv {
 public:
  enum Kind { kPosix, kMem };

  explicit TestEnv(Kind kind) : kind_(kind) {
    if (kind == kPosix) {
      env_ = NewPosixEnv(&clock_);
      char dir[] = "/tmp/samsa-io-test-XXXXXX";
      if (::mkdtemp(dir) == nullptr) throw std::runtime_error("mkdtemp failed");
      root_ = dir;
    } else {
      env_ = NewMemEnv(&clock_);
      root_ = "/data";
      if (!env_->CreateDir(root_).ok()) throw std::runtime_error("CreateDir /data failed");
    }
  }
  ~TestEnv() {
    if (kind_ == kPosix) DeleteRecursively(Env::Default(), root_).IgnoreError();
  }
  TestEnv(const TestEnv&) = delete;
  TestEnv& operator=(const TestEnv&) = delete;

  Kind kind() const { return kind_; }
  std::string name() const { return kind_ == kPosix ? "PosixEnv" : "MemEnv"; }
  Env* env() const { return env_.get(); }
  ManualClock* clock() { return &clock_; }
  // The test's own directory.
  const std::string& root() const { return root_; }
  // `name` inside root().
  std::string Path(std::string_view name) const { return JoinPath(root_, name); }

 private:
  const Kind kind_;
  ManualClock clock_;
  std::unique_ptr<Env> env_;
  std::string root_;
};

// Reads up to `n` bytes at `offset` (ReadAt); "<error: ...>" on failure.
inline std::string ReadString(const File& file, uint64_t offset, size_t n) {
  std::string scratch(n, '\0');
  absl::StatusOr<std::string_view> read = file.ReadAt(offset, n, scratch.data());
  if (!read.ok()) return "<error: " + std::string(read.status().message()) + ">";
  return std::string(*read);
}

// The whole file, or "<missing>" if it cannot be read.
inline std::string Contents(Env* env, const std::string& path) {
  absl::StatusOr<std::string> contents = ReadFileToString(env, path);
  return contents.ok() ? *contents : "<missing>";
}

// Creates (or truncates) `path` with `contents`, synced.
inline void WriteFile(Env* env, const std::string& path, std::string_view contents) {
  auto file = env->OpenFile(path, OpenMode::kTruncate);
  REQUIRE(file.ok());
  REQUIRE((*file)->Append(contents).ok());
  REQUIRE((*file)->Sync().ok());
  REQUIRE((*file)->Close().ok());
}

inline std::string Message(const absl::Status& status) { return std::string(status.message()); }

}  // namespace samsa::testing

// Mutation fuzzing of the request decoder: request frames of every API and
// version (header + populated body) get random damage (bit flips, byte
// stores, interesting int32s and varints, truncation, extension, insertion,
// deletion) and are decoded as the server would: envelope, then body. Nothing
// may crash (ASan/UBSan run this suite) and no single allocation may be
// absurd for the input's size. Responses get the same treatment at the body
// level. SAMSA_FUZZ_SEED / SAMSA_FUZZ_ITERATIONS rerun with another seed or
// longer.
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <new>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "fuzz_mutate.h"
#include "kafka/bytes_span.h"

#include "kafka/messages/messages.h"
#include "kafka/messages/testing.h"
#include "kafka/protocol/request_envelope.h"
#include "util/endian.h"

namespace {
// The largest single allocation while `g_track` is set.
std::atomic<bool> g_track{false};
std::atomic<size_t> g_largest{0};

void* Allocate(size_t n) {
  if (g_track.load(std::memory_order_relaxed)) {
    size_t prev = g_largest.load(std::memory_order_relaxed);
    while (n > prev && !g_largest.compare_exchange_weak(prev, n)) {
    }
  }
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
}  // namespace

void* operator new(size_t n) { return Allocate(n); }
void* operator new[](size_t n) { return Allocate(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
// Every non-aligned form is replaced, so that what one allocates the other
// frees (ASan checks the pairing).
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  try {
    return Allocate(n);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace samsa::kafka {
namespace {

using testing::AllMessageTypes;
using testing::MessageType;

struct Seed {
  const MessageType* type;
  int16_t version;
  bool frame;  // a whole request payload (header + body), else a body
  std::string bytes;
};

std::vector<Seed> Seeds() {
  std::vector<Seed> out;
  for (const MessageType& type : AllMessageTypes()) {
    if (type.api_key < 0) continue;
    const ApiInfo* api = FindApi(type.api_key);
    for (int16_t v = type.min_version; v <= type.max_version; ++v) {
      for (uint32_t s = 0; s < 3; ++s) {
        absl::StatusOr<std::string> body = type.populated_bytes(v, s);
        REQUIRE(body.ok());
        if (!type.is_request) {
          out.push_back({&type, v, false, *body});
          continue;
        }
        RequestHeader header;
        header.request_api_key = type.api_key;
        header.request_api_version = v;
        header.correlation_id = static_cast<int32_t>(s);
        header.client_id = "fuzz";
        Writer w;
        header.Write(w, RequestHeaderVersion(*api, v));
        out.push_back({&type, v, true, w.Release() + *body});
      }
    }
  }
  return out;
}

void Mutate(std::mt19937_64& rng, std::string* b) {
  samsa::testing::Mutate(rng, b, {.big_varints = true});
}

TEST_CASE("mutation fuzz: request and response decoding never crashes or allocates absurdly", "[kafka][fuzz]") {
  const uint64_t seed = samsa::testing::FuzzSeed(0x5A115A);
  const int iterations = samsa::testing::FuzzIterations(20000);
  const std::vector<Seed> seeds = Seeds();

  // Unmutated seeds decode.
  for (const Seed& s : seeds) {
    INFO(s.type->name << " v" << s.version);
    if (!s.frame) {
      REQUIRE(s.type->decode(Span(s.bytes), s.version).ok());
      continue;
    }
    RequestEnvelope env;
    REQUIRE(DecodeRequestEnvelope(Span(s.bytes), &env).ok());
    REQUIRE(s.type->decode(env.body, s.version).ok());
  }

  std::mt19937_64 rng(seed);
  int envelope_failed = 0, body_failed = 0, valid = 0;
  for (int it = 0; it < iterations; ++it) {
    const Seed& original = seeds[rng() % seeds.size()];
    std::string b = original.bytes;
    const int mutations = 1 + static_cast<int>(rng() % 4);
    for (int m = 0; m < mutations; ++m) Mutate(rng, &b);
    INFO("seed " << seed << " (SAMSA_FUZZ_SEED), iteration " << it << ": " << original.type->name << " v"
                 << original.version << ", size " << b.size());
    g_largest = 0;
    g_track = true;
    bool ok;
    if (original.frame) {
      RequestEnvelope env;
      if (!DecodeRequestEnvelope(Span(b), &env).ok()) {
        ++envelope_failed;
        ok = false;
      } else {
        // The (possibly mutated) header names the API and version.
        const MessageType* type = nullptr;
        for (const MessageType& t : AllMessageTypes()) {
          if (t.is_request && t.api_key == env.header.request_api_key) type = &t;
        }
        REQUIRE(type != nullptr);
        ok = type->decode(env.body, env.header.request_api_version).ok();
        if (!ok) ++body_failed;
      }
    } else {
      ok = original.type->decode(Span(b), original.version).ok();
      if (!ok) ++body_failed;
    }
    g_track = false;
    if (ok) ++valid;
    // Allocations follow the input: strings and reserves are bounded by the
    // bytes present (and arrays reserve at most 1024 elements up front).
    REQUIRE(g_largest.load() <= 64 * b.size() + 512 * 1024);
  }
  INFO("envelope failed " << envelope_failed << ", body failed " << body_failed << ", valid " << valid);
  if (iterations >= 20000) {
    CHECK(envelope_failed > 100);
    CHECK(body_failed > 1000);
    CHECK(valid > 1000);
  }
}

}  // namespace
}  // namespace samsa::kafka

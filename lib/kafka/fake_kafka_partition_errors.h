// Partition-level errors for FakeKafka (include/samsa/testing/fake_kafka.h):
// a partition-keyed request — Produce, Fetch, ListOffsets, OffsetCommit,
// OffsetFetch (v0-7 topics, v8 groups) — split around the partitions a
// pushed error is scoped to, as a Kafka broker answers when one partition of
// a request has a problem:
// - the rest of the request is served by the real handler, as if the scoped
//   partitions had not been named (a Produce stores nothing of them);
// - each scoped partition gets an entry carrying the error, with the fields
//   Kafka puts in an error partition (Produce base_offset -1; Fetch high
//   watermark, last stable offset and log start -1, empty records;
//   ListOffsets offset and timestamp -1; OffsetFetch offset -1);
// - the response lists topics and partitions in the request's order.
// An OffsetFetch (v2-7, or a v8 group) with topics null names no partition:
// it is served whole and the scoped partitions among those answered get the
// error (whether any is, the caller decides before: FakeKafka asks the
// group's coordinator).
//
//   auto plan = PlanPartitionError(header, body, code, in_scope);
//   if (!plan->rest_body) send(plan->merge(std::nullopt));   // all scoped
//   else serve(*plan->rest_body) and send(plan->merge(handler_frame));
//
// Thread-safety: pure functions; a plan (its merge) may be used from any
// thread, and copied.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/types/span.h"
#include "kafka/messages/headers.h"

namespace samsa::kafka {

// Whether a partition the request names is in the error's scope. `topic` is
// the topic as the request names it: its name, or "id:<topic id>" for a
// Fetch v13+ (which names topics by id). Called again by the merge, so it
// must own what it captures.
using ScopedPartition = std::function<bool(const std::string& topic, int32_t partition)>;

struct PartitionErrorPlan {
  // The request without the scoped partitions (topics left with none
  // dropped), encoded at the request's version, for the real handler; a
  // Fetch's max_wait_ms is 0 (Kafka answers at once when a partition
  // fails). nullopt when nothing is left to serve: merge(nullopt) answers.
  std::optional<std::string> rest_body;
  // The whole response frame: the handler's answer to rest_body (its whole
  // frame, size prefix included) with the scoped partitions' error entries
  // merged in. A partition the handler did not answer is left out; a
  // request-level error in its answer (Fetch's error_code, OffsetFetch's
  // top-level error_code, or a v8 group's) is kept as the handler gave it,
  // without the error entries (of that group), as Kafka answers a request
  // (or group) that fails as a whole. A frame that does not decode is
  // returned unchanged.
  std::function<std::string(std::optional<std::string> handler_frame)> merge;
};

// Produce, Fetch, ListOffsets, OffsetCommit, OffsetFetch.
bool HasPartitionErrorResponder(int16_t api_key);

// nullopt: not one of those APIs, a request that does not decode, a Produce
// with acks=0 (no response), or a request naming no scoped partition.
std::optional<PartitionErrorPlan> PlanPartitionError(const RequestHeader& header,
                                                     absl::Span<const uint8_t> body,
                                                     int16_t error_code, ScopedPartition scoped);

}  // namespace samsa::kafka

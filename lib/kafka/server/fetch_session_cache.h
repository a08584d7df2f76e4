// FetchSessionCache: one broker's incremental fetch sessions (KIP-227), kept
// as Kafka keeps them (FetchSessionCache, FetchSession and CachedPartition in
// Apache Kafka's core/src/main/scala/kafka/server/FetchSession.scala, 3.x).
//
// A client that sends a full Fetch with epoch 0 gets a session id; it then
// sends only what changed (new or moved partitions, forgotten ones) with the
// session's next epoch, and the broker answers only the partitions that have
// something new. The cache holds, per session, every partition's request
// parameters and the watermarks last sent for it.
//
// How the Fetch handler uses it:
// - full request, epoch 0: serve it, then MaybeCreate() with every partition
//   served (0 back: no session, the client keeps sending full requests).
// - incremental request: BeginIncremental() checks the id and epoch, applies
//   the request's partitions and forgotten partitions, advances the epoch and
//   returns the partitions to fetch; after fetching, FinishIncremental() says
//   which of them the response must carry.
//
// Slots: at most `max_slots` sessions (max.incremental.fetch.session.cache.
// slots; 0 disables sessions). When full, a new session may evict, as
// Kafka's tryEvict does, (1) the least recently used session if it has been
// unused for more than `eviction_ms` (Kafka's hard-coded
// MIN_INCREMENTAL_FETCH_SESSION_EVICTION_MS, 120000), else (2) the smallest
// session that is older than `eviction_ms` (as of its last use) and has fewer
// partitions than the new one. samsa does not act on replica_id, so every
// session is a consumer's ("unprivileged" in Kafka's terms).
//
// Thread-safety: thread-safe. One mutex guards the cache and every session;
// no call blocks or does I/O under it.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "kafka/protocol/wire_types.h"
#include "samsa/clock.h"
#include "util/mutex.h"

namespace samsa::kafka {

// One partition of a session (Kafka's CachedPartition). A session of v13+
// requests names topics by id (`topic` is then the name the id resolved to,
// or "" while unknown); an older one by name (`topic_id` zero).
struct FetchSessionPartition {
  Uuid topic_id;
  std::string topic;
  int32_t partition = 0;
  // The request's parameters, as last sent.
  int64_t fetch_offset = 0;
  int32_t max_bytes = 0;
  int64_t fetcher_log_start_offset = -1;  // a follower's log start offset
  int32_t current_leader_epoch = -1;
  int32_t last_fetched_epoch = -1;
  // What the last response carrying this partition said (-1: nothing yet,
  // or an error was sent, so that the next answer carries it again).
  int64_t high_watermark = -1;
  int64_t last_stable_offset = -1;
  int64_t log_start_offset = -1;
};

// What one partition's answer holds, as FinishIncremental needs it.
struct FetchPartitionOutcome {
  bool has_records = false;
  bool has_error = false;
  int64_t high_watermark = -1;
  int64_t last_stable_offset = -1;
  int64_t log_start_offset = -1;
};

class FetchSessionCache {
 public:
  static constexpr int64_t kDefaultEvictionMs = 120000;

  // Kafka's FetchMetadata.nextEpoch: after INT32_MAX comes 1; a negative
  // epoch stays the final epoch, -1.
  static int32_t NextEpoch(int32_t epoch);

  // "*clock" must outlive the cache.
  FetchSessionCache(Clock* clock, int32_t max_slots, int64_t eviction_ms = kDefaultEvictionMs);
  ~FetchSessionCache();
  FetchSessionCache(const FetchSessionCache&) = delete;
  FetchSessionCache& operator=(const FetchSessionCache&) = delete;

  // Caches a session of `partitions` (a full request's, in request order,
  // with what its response said) if a slot is free or can be freed. Returns
  // the new session's id (random, positive, unique), whose next epoch is 1,
  // or 0 ("no session"). A partition named twice is kept once, at its first
  // place with its last values.
  int32_t MaybeCreate(bool uses_topic_ids, std::vector<FetchSessionPartition> partitions);

  // Closes session `id` (a full request naming it); false if there is none.
  bool Remove(int32_t id);
  // Closes every session (the server stopped).
  void Clear();

  struct Session;
  // An incremental request's view of its session, from BeginIncremental to
  // FinishIncremental.
  struct IncrementalFetch {
    // The request's changes emptied the session: it was closed, and the
    // request is served sessionless (Kafka's SessionlessFetchContext),
    // answering only the partitions it names, with session id 0.
    bool closed = false;
    int32_t session_id = 0;
    int32_t request_epoch = 0;
    // What to fetch, in the session's order.
    std::vector<FetchSessionPartition> partitions;
    std::shared_ptr<Session> session;
  };
  // The topic name a topic id has now, or "" if none (v13+ sessions resolve
  // partitions added under an unknown id when the id becomes known, as
  // Kafka's maybeResolveUnknownName does).
  using TopicNameResolver = std::function<std::string(const Uuid&)>;
  // Looks session `id` up and, at epoch `epoch`, applies the request:
  // `upserts` are added (at the end) or have their request parameters
  // replaced; `forgotten` (only topic_id/topic and partition read) are
  // removed. Then the session's epoch advances. Errors (a Kafka error code in
  // the status): FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH, and
  // FETCH_SESSION_TOPIC_ID_ERROR when the request's version names topics
  // differently from the one that created the session.
  absl::StatusOr<IncrementalFetch> BeginIncremental(int32_t id, int32_t epoch, bool uses_topic_ids,
                                                    const std::vector<FetchSessionPartition>& upserts,
                                                    const std::vector<FetchSessionPartition>& forgotten,
                                                    const TopicNameResolver& resolve);
  // After the fetch: `outcomes[i]` answers `fetch.partitions[i]`. Returns,
  // per partition, whether the response carries it — it has records or an
  // error, or its high watermark, last stable offset or log start offset
  // changed since last sent (Kafka's CachedPartition.maybeUpdateResponseData,
  // plus the last stable offset, which samsa keeps equal to the high
  // watermark) — and remembers what is sent. Partitions that returned records
  // move to the end of the session, so the next fetch reads the others first.
  // INVALID_FETCH_SESSION_EPOCH if another request of the session came in
  // meanwhile (a duplicate).
  absl::StatusOr<std::vector<bool>> FinishIncremental(const IncrementalFetch& fetch,
                                                      const std::vector<FetchPartitionOutcome>& outcomes);

  // For tests and metrics.
  int32_t max_slots() const { return max_slots_; }
  size_t size() const;
  int64_t total_partitions() const;
  bool Contains(int32_t id) const;

 private:
  // REQUIRES: mu_ held.
  bool TryEvict(int64_t size, int64_t now_ms) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RemoveLocked(Session& session) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Touch(Session& session, int64_t now_ms) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int32_t NewSessionId() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Clock* const clock_;
  const int32_t max_slots_;
  const int64_t eviction_ms_;

  mutable Mutex mu_;
  // Every session's fields are guarded by mu_ too.
  std::map<int32_t, std::shared_ptr<Session>> sessions_ ABSL_GUARDED_BY(mu_);
  // (last used ms, id), oldest first (Kafka's lastUsed).
  std::set<std::pair<int64_t, int32_t>> last_used_ ABSL_GUARDED_BY(mu_);
  // (size, id) of sessions older than eviction_ms_ as of their last use,
  // smallest first (Kafka's evictableByAll).
  std::set<std::pair<int64_t, int32_t>> evictable_ ABSL_GUARDED_BY(mu_);
  int64_t total_partitions_ ABSL_GUARDED_BY(mu_) = 0;
  std::mt19937 rng_ ABSL_GUARDED_BY(mu_);
};

}  // namespace samsa::kafka

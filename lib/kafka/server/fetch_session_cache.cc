// Follows Apache Kafka's core/src/main/scala/kafka/server/FetchSession.scala
// (3.x): FetchSessionCacheShard.maybeCreateSession / tryEvict / touch /
// remove, FetchManager.newContext's incremental branch (BeginIncremental),
// and IncrementalFetchContext.updateAndGenerateResponseData with
// CachedPartition.maybeUpdateResponseData (FinishIncremental).
#include "kafka/server/fetch_session_cache.h"

#include <array>
#include <climits>
#include <tuple>

#include <fmt/format.h>

#include "samsa/errors.h"

namespace samsa::kafka {

namespace {

// A partition's identity in a session: (topic id, partition) for sessions by
// id — a partition added under an unknown id is the same partition once the
// id resolves — and (topic name, partition) otherwise, as Kafka's
// CachedPartition.equals does.
struct PartitionKey {
  std::array<uint8_t, 16> topic_id{};
  std::string topic;
  int32_t partition = 0;
  friend bool operator<(const PartitionKey& a, const PartitionKey& b) {
    return std::tie(a.topic_id, a.topic, a.partition) < std::tie(b.topic_id, b.topic, b.partition);
  }
};

PartitionKey KeyOf(bool uses_topic_ids, const FetchSessionPartition& p) {
  PartitionKey key;
  if (uses_topic_ids) {
    key.topic_id = p.topic_id.bytes;
  } else {
    key.topic = p.topic;
  }
  key.partition = p.partition;
  return key;
}

// CachedPartition.updateRequestParams.
void UpdateRequestParams(const FetchSessionPartition& from, FetchSessionPartition* to) {
  to->fetch_offset = from.fetch_offset;
  to->max_bytes = from.max_bytes;
  to->fetcher_log_start_offset = from.fetcher_log_start_offset;
  to->current_leader_epoch = from.current_leader_epoch;
  to->last_fetched_epoch = from.last_fetched_epoch;
}

}  // namespace

struct FetchSessionCache::Session {
  using Partitions = std::list<FetchSessionPartition>;

  int32_t id = 0;
  bool uses_topic_ids = false;
  int64_t creation_ms = 0;
  int64_t last_used_ms = 0;
  int32_t epoch = 0;         // the one the next incremental request must carry
  int64_t cached_size = -1;  // the size the cache last counted; -1: not in the cache
  Partitions partitions;     // in fetch order
  std::map<PartitionKey, Partitions::iterator> index;

  // Adds `p` at the end, or replaces the request parameters of the entry
  // already there. True if added.
  bool Upsert(const FetchSessionPartition& p) {
    PartitionKey key = KeyOf(uses_topic_ids, p);
    auto it = index.find(key);
    if (it != index.end()) {
      UpdateRequestParams(p, &*it->second);
      return false;
    }
    partitions.push_back(p);
    index.emplace(std::move(key), std::prev(partitions.end()));
    return true;
  }
};

int32_t FetchSessionCache::NextEpoch(int32_t epoch) {
  if (epoch < 0) return -1;  // FINAL_EPOCH stays final
  if (epoch == INT32_MAX) return 1;
  return epoch + 1;
}

FetchSessionCache::FetchSessionCache(Clock* clock, int32_t max_slots, int64_t eviction_ms)
    : clock_(clock),
      max_slots_(std::max(max_slots, 0)),
      eviction_ms_(eviction_ms),
      rng_(std::random_device{}()) {}

FetchSessionCache::~FetchSessionCache() = default;

int32_t FetchSessionCache::MaybeCreate(bool uses_topic_ids, std::vector<FetchSessionPartition> partitions) {
  if (max_slots_ == 0) return 0;
  auto session = std::make_shared<Session>();
  session->uses_topic_ids = uses_topic_ids;
  // Kafka builds the session from the response map, one entry per partition.
  for (FetchSessionPartition& p : partitions) {
    const PartitionKey key = KeyOf(uses_topic_ids, p);
    auto it = session->index.find(key);
    if (it == session->index.end()) {
      session->partitions.push_back(std::move(p));
      session->index.emplace(key, std::prev(session->partitions.end()));
    } else {
      *it->second = std::move(p);
    }
  }
  const int64_t now = clock_->NowMs();
  MutexLock lock(&mu_);
  if (sessions_.size() >= static_cast<size_t>(max_slots_) &&
      !TryEvict(static_cast<int64_t>(session->partitions.size()), now)) {
    return 0;
  }
  session->id = NewSessionId();
  session->creation_ms = now;
  session->last_used_ms = now;
  session->epoch = NextEpoch(0);
  sessions_[session->id] = session;
  Touch(*session, now);
  return session->id;
}

bool FetchSessionCache::TryEvict(int64_t size, int64_t now_ms) {
  // A stale session (unused for longer than eviction_ms_) goes first.
  if (last_used_.empty()) return false;
  const auto [oldest_ms, oldest_id] = *last_used_.begin();
  if (now_ms - oldest_ms > eviction_ms_) {
    RemoveLocked(*sessions_.at(oldest_id));
    return true;
  }
  // Else the smallest evictable one, if smaller than the new one: Kafka's
  // EvictableKey(privileged, size, id) comparison with the new entry's id 0,
  // where an equal size never wins.
  if (evictable_.empty()) return false;
  const auto [smallest_size, smallest_id] = *evictable_.begin();
  if (size <= smallest_size) return false;
  RemoveLocked(*sessions_.at(smallest_id));
  return true;
}

bool FetchSessionCache::Remove(int32_t id) {
  MutexLock lock(&mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return false;
  RemoveLocked(*it->second);
  return true;
}

void FetchSessionCache::RemoveLocked(Session& session) {
  last_used_.erase({session.last_used_ms, session.id});
  evictable_.erase({session.cached_size, session.id});
  if (session.cached_size >= 0) total_partitions_ -= session.cached_size;
  session.cached_size = -1;
  const int32_t id = session.id;
  sessions_.erase(id);  // may release `session`: last
}

void FetchSessionCache::Clear() {
  MutexLock lock(&mu_);
  for (auto& [id, session] : sessions_) session->cached_size = -1;
  sessions_.clear();
  last_used_.clear();
  evictable_.clear();
  total_partitions_ = 0;
}

void FetchSessionCache::Touch(Session& session, int64_t now_ms) {
  last_used_.erase({session.last_used_ms, session.id});
  session.last_used_ms = now_ms;
  last_used_.insert({session.last_used_ms, session.id});
  if (session.cached_size >= 0) {
    evictable_.erase({session.cached_size, session.id});
    total_partitions_ -= session.cached_size;
  }
  session.cached_size = static_cast<int64_t>(session.partitions.size());
  if (now_ms - session.creation_ms > eviction_ms_) evictable_.insert({session.cached_size, session.id});
  total_partitions_ += session.cached_size;
}

int32_t FetchSessionCache::NewSessionId() {
  // ThreadLocalRandom.nextInt(1, Int.MaxValue) in Kafka: [1, INT32_MAX).
  std::uniform_int_distribution<int32_t> dist(1, INT32_MAX - 1);
  int32_t id;
  do {
    id = dist(rng_);
  } while (sessions_.count(id) != 0);
  return id;
}

absl::StatusOr<FetchSessionCache::IncrementalFetch> FetchSessionCache::BeginIncremental(
    int32_t id, int32_t epoch, bool uses_topic_ids, const std::vector<FetchSessionPartition>& upserts,
    const std::vector<FetchSessionPartition>& forgotten, const TopicNameResolver& resolve) {
  const int64_t now = clock_->NowMs();
  MutexLock lock(&mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) {
    return KafkaError(ErrorCode::kFetchSessionIdNotFound, fmt::format("no fetch session {}", id));
  }
  std::shared_ptr<Session> session = it->second;
  if (session->epoch != epoch) {
    return KafkaError(ErrorCode::kInvalidFetchSessionEpoch,
                      fmt::format("fetch session {} expects epoch {}, not {}", id, session->epoch, epoch));
  }
  if (session->uses_topic_ids != uses_topic_ids) {
    return KafkaError(ErrorCode::kFetchSessionTopicIdError,
                      fmt::format("fetch session {} {} topic ids; this request's version {}", id,
                                  session->uses_topic_ids ? "uses" : "does not use",
                                  uses_topic_ids ? "does" : "does not"));
  }
  for (const FetchSessionPartition& p : upserts) session->Upsert(p);
  for (const FetchSessionPartition& p : forgotten) {
    auto f = session->index.find(KeyOf(session->uses_topic_ids, p));
    if (f == session->index.end()) continue;
    session->partitions.erase(f->second);
    session->index.erase(f);
  }
  IncrementalFetch fetch;
  fetch.session_id = id;
  fetch.request_epoch = epoch;
  if (session->partitions.empty()) {
    // Kafka closes a session left with no partitions and serves the request
    // sessionless.
    RemoveLocked(*session);
    fetch.closed = true;
    return fetch;
  }
  Touch(*session, now);
  session->epoch = NextEpoch(session->epoch);
  if (session->uses_topic_ids && resolve) {
    for (FetchSessionPartition& p : session->partitions) {
      if (p.topic.empty()) p.topic = resolve(p.topic_id);
    }
  }
  fetch.partitions.assign(session->partitions.begin(), session->partitions.end());
  fetch.session = std::move(session);
  return fetch;
}

absl::StatusOr<std::vector<bool>> FetchSessionCache::FinishIncremental(
    const IncrementalFetch& fetch, const std::vector<FetchPartitionOutcome>& outcomes) {
  if (fetch.session == nullptr || outcomes.size() != fetch.partitions.size()) {
    return absl::InvalidArgumentError("FinishIncremental without its BeginIncremental's partitions");
  }
  MutexLock lock(&mu_);
  Session& session = *fetch.session;
  const int32_t expected = NextEpoch(fetch.request_epoch);
  if (session.epoch != expected) {
    return KafkaError(ErrorCode::kInvalidFetchSessionEpoch,
                      fmt::format("fetch session {} moved to epoch {} while serving epoch {} (a duplicate "
                                  "request?)",
                                  session.id, session.epoch, fetch.request_epoch));
  }
  std::vector<bool> include(outcomes.size(), true);
  for (size_t i = 0; i < outcomes.size(); ++i) {
    auto it = session.index.find(KeyOf(session.uses_topic_ids, fetch.partitions[i]));
    if (it == session.index.end()) continue;  // cannot happen while the epoch matches; answer it
    FetchSessionPartition& cached = *it->second;
    const FetchPartitionOutcome& o = outcomes[i];
    bool must_respond = o.has_records;
    if (cached.high_watermark != o.high_watermark) {
      must_respond = true;
      cached.high_watermark = o.high_watermark;
    }
    if (cached.last_stable_offset != o.last_stable_offset) {
      must_respond = true;
      cached.last_stable_offset = o.last_stable_offset;
    }
    if (cached.log_start_offset != o.log_start_offset) {
      must_respond = true;
      cached.log_start_offset = o.log_start_offset;
    }
    if (o.has_error) {
      // Sent again once the error is gone.
      cached.high_watermark = -1;
      must_respond = true;
    }
    include[i] = must_respond;
    if (must_respond && o.has_records) {
      session.partitions.splice(session.partitions.end(), session.partitions, it->second);
    }
  }
  return include;
}

size_t FetchSessionCache::size() const {
  MutexLock lock(&mu_);
  return sessions_.size();
}

int64_t FetchSessionCache::total_partitions() const {
  MutexLock lock(&mu_);
  return total_partitions_;
}

bool FetchSessionCache::Contains(int32_t id) const {
  MutexLock lock(&mu_);
  return sessions_.count(id) != 0;
}

}  // namespace samsa::kafka

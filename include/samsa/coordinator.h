// samsa/coordinator.h — the coordination service: ZooKeeper's role in a Kafka
// cluster, behind an interface, with an in-memory implementation.
//
// A Coordinator holds a tree of versioned nodes ("znodes") addressed by
// absolute paths such as "/brokers/ids/1". Kafka keeps its cluster metadata
// there (see lib/coordination/kafka_zk_paths.h): registered brokers as
// ephemeral nodes, topic assignments, partition leader/ISR state, the active
// controller and its epoch. The model is ZooKeeper's:
//
//  * Paths: start with '/', no trailing '/', no empty component, no "." or
//    ".." component, no control characters. "/" always exists. A node's
//    parent must exist when it is created.
//  * Every change is a transaction with a new zxid (a global counter). Each
//    node has a Stat: the zxids that created it, last changed its data and
//    last changed its children; its data version and children version, which
//    start at 0 and grow by one per change (compare-and-set uses them); its
//    ctime/mtime (ms since the epoch, from the coordinator's Clock).
//  * Sessions: a client opens a session with a time-out and keeps it alive
//    with Heartbeat() (any Create() with the session counts too). A session
//    that is not heart-beaten for its whole time-out expires: its ephemeral
//    nodes are deleted (their watches fire), its listener is told kExpired,
//    and every later call with it fails with a session-expired status.
//    CloseSession() ends it at once the same way (listener told kClosed).
//  * Watches are one-shot callbacks set by reads: Get() and Exists() set a
//    data watch (NodeCreated for a node that did not exist when Exists() was
//    called, NodeDataChanged, NodeDeleted); GetChildren() sets a child watch
//    (NodeChildrenChanged when a child is created or deleted, NodeDeleted
//    when the node itself goes). A watch fires at most once and is then
//    forgotten: re-read with a watcher to keep watching. A read that fails
//    (NoNode from Get/GetChildren) sets no watch. Each registration is its
//    own watch: the same callback registered twice fires twice.
//  * Multi() applies a list of Create/Set/Delete/Check operations atomically
//    as one transaction: all of them or none (Kafka fences every controller
//    write with a Check of /controller_epoch's version this way).
//
// Errors. Every failure is an absl::Status whose message names the path, and
// which carries ZooKeeper's error code (KeeperException.Code) as a payload;
// read it with CoordinatorErrorOf() or the Is...() predicates below, which is
// how a caller tells NodeExists from BadVersion. The canonical codes:
//
//   ZooKeeper error            absl::StatusCode       predicate
//   NONODE                     kNotFound              IsNoNode
//   NODEEXISTS                 kAlreadyExists         IsNodeExists
//   BADVERSION                 kFailedPrecondition    IsBadVersion ("bad version ...")
//   NOTEMPTY                   kFailedPrecondition    IsNotEmpty
//   NOCHILDRENFOREPHEMERALS    kFailedPrecondition    IsNoChildrenForEphemerals
//   BADARGUMENTS (bad path,    kInvalidArgument       IsBadArguments
//     bad time-out, ...)
//   SESSIONEXPIRED (expired,   kUnavailable           IsSessionExpired
//     closed or unknown session)
//   CONNECTIONLOSS (injected)  kUnavailable           IsConnectionLoss
//   (coordinator closed)       kUnavailable           IsCoordinatorClosed
//
// A failed call changes nothing (a connection loss here always fails before
// the operation is applied, unlike a real ZooKeeper's, where it is unknown).
//
// Callbacks (watchers and session listeners) run on one event thread owned by
// the coordinator, one at a time, in the order their events happened, and
// never with the coordinator's lock held: a callback may call the coordinator
// (re-read and re-watch, create, delete). A callback must not destroy or
// Close() the coordinator. AwaitEventsDelivered() waits until every event
// queued so far (and every event those callbacks cause) has been delivered.
//
// Thread-safety: a Coordinator is thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "samsa/clock.h"

namespace samsa {

// A session's id; never 0. kNoSession stands for "no session" where one is
// optional (a persistent Create needs none).
using SessionId = int64_t;
inline constexpr SessionId kNoSession = 0;

// A node's metadata, as ZooKeeper's org.apache.zookeeper.data.Stat.
struct Stat {
  int64_t czxid = 0;            // zxid of the transaction that created the node
  int64_t mzxid = 0;            // zxid of the last change of its data (czxid at first)
  int64_t pzxid = 0;            // zxid of the last change of its children (czxid at first)
  int64_t ctime = 0;            // creation time, ms since the Unix epoch
  int64_t mtime = 0;            // last data change, ms since the Unix epoch
  int32_t version = 0;          // data version: number of data changes
  int32_t cversion = 0;         // children version: number of child creates/deletes
  SessionId ephemeral_owner = kNoSession;  // owning session of an ephemeral node
  int32_t data_length = 0;
  int32_t num_children = 0;

  friend bool operator==(const Stat&, const Stat&) = default;
};

enum class CreateMode {
  kPersistent,
  kEphemeral,             // deleted when its session ends
  kPersistentSequential,  // name gets a 10-digit suffix: the parent's cversion
  kEphemeralSequential,
};

enum class WatchEventType {
  kNodeCreated,
  kNodeDeleted,
  kNodeDataChanged,
  kNodeChildrenChanged,
};
// "NodeCreated", ... as ZooKeeper names them.
std::string_view WatchEventTypeName(WatchEventType type);

struct WatchEvent {
  WatchEventType type;
  std::string path;  // the watched node

  friend bool operator==(const WatchEvent&, const WatchEvent&) = default;
};
using Watcher = std::function<void(const WatchEvent&)>;

// What happened to a session, as told to its listener.
enum class SessionState {
  kExpired,  // not heart-beaten within its time-out (or ExpireSession())
  kClosed,   // CloseSession()
};
using SessionListener = std::function<void(SessionId, SessionState)>;

// The data version that matches any version in Set/Delete/Check.
inline constexpr int32_t kAnyVersion = -1;

// One operation of Multi().
struct Op {
  enum class Type { kCreate, kSet, kDelete, kCheck };
  Type type = Type::kCheck;
  std::string path;
  std::string data;                        // kCreate, kSet
  CreateMode mode = CreateMode::kPersistent;  // kCreate
  int32_t version = kAnyVersion;           // kSet, kDelete, kCheck

  static Op Create(std::string path, std::string data, CreateMode mode = CreateMode::kPersistent);
  static Op Set(std::string path, std::string data, int32_t version = kAnyVersion);
  static Op Delete(std::string path, int32_t version = kAnyVersion);
  // Fails the whole Multi with BadVersion unless `path`'s version matches.
  static Op Check(std::string path, int32_t version);
};

// The result of one operation of a successful Multi().
struct OpResult {
  Op::Type type = Op::Type::kCheck;
  std::string path;  // kCreate: the actual path (with a sequential suffix)
  Stat stat;         // kCreate, kSet: the node's new Stat
};

struct NodeData {
  std::string data;
  Stat stat;
};

struct Children {
  std::vector<std::string> names;  // sorted; names, not paths
  Stat stat;                       // the parent's
};

class Coordinator {
 public:
  virtual ~Coordinator() = default;

  // Opens a session that expires when not heart-beaten for `timeout` (> 0).
  // `listener` (may be empty) is told when the session expires or is closed.
  [[nodiscard]] virtual absl::StatusOr<SessionId> OpenSession(absl::Duration timeout,
                                                              SessionListener listener) = 0;
  // Keeps `session` alive for another time-out.
  [[nodiscard]] virtual absl::Status Heartbeat(SessionId session) = 0;
  // Ends `session` now: its ephemeral nodes are deleted.
  [[nodiscard]] virtual absl::Status CloseSession(SessionId session) = 0;

  // Creates `path` with `data`; returns the path created (with the
  // sequential suffix for the *Sequential modes, in which case `path` is the
  // prefix and may end with '/'). Ephemeral modes need a live session; a
  // persistent create may pass kNoSession (if it passes a session, that
  // session must be live). Fails with NoNode if the parent is missing,
  // NodeExists, NoChildrenForEphemerals if the parent is ephemeral.
  [[nodiscard]] virtual absl::StatusOr<std::string> Create(SessionId session, std::string_view path,
                                                           std::string_view data,
                                                           CreateMode mode) = 0;
  // The node's data and Stat; sets `watcher` (if any) as a data watch.
  [[nodiscard]] virtual absl::StatusOr<NodeData> Get(std::string_view path,
                                                     Watcher watcher = nullptr) = 0;
  // Replaces the data if `expected_version` is the node's version or
  // kAnyVersion (BadVersion otherwise); returns the new Stat.
  [[nodiscard]] virtual absl::StatusOr<Stat> Set(std::string_view path, std::string_view data,
                                                 int32_t expected_version = kAnyVersion) = 0;
  // Deletes a node that has no children (NotEmpty otherwise) if its version
  // matches (BadVersion otherwise). "/" cannot be deleted.
  [[nodiscard]] virtual absl::Status Delete(std::string_view path,
                                            int32_t expected_version = kAnyVersion) = 0;
  // The node's Stat, or nullopt if there is none. The watch, if any, is set
  // either way: on a missing node it fires NodeCreated.
  [[nodiscard]] virtual absl::StatusOr<std::optional<Stat>> Exists(std::string_view path,
                                                                   Watcher watcher = nullptr) = 0;
  // The sorted names of the node's children; sets `watcher` as a child watch.
  [[nodiscard]] virtual absl::StatusOr<Children> GetChildren(std::string_view path,
                                                             Watcher watcher = nullptr) = 0;
  // Applies `ops` atomically, in order, as one transaction (later ops see the
  // effect of earlier ones). On failure nothing changes and the status is the
  // first failing op's, its message prefixed with "multi op #<i>". Ephemeral
  // creates belong to `session`.
  [[nodiscard]] virtual absl::StatusOr<std::vector<OpResult>> Multi(SessionId session,
                                                                    std::vector<Op> ops) = 0;

  // Blocks until every queued watch and session event has been delivered and
  // no callback runs. Called from a callback, returns at once.
  virtual void AwaitEventsDelivered() = 0;
};

// ZooKeeper's error codes (org.apache.zookeeper.KeeperException.Code), carried
// by the coordinator's statuses; kClosed is ours.
enum class CoordinatorError : int32_t {
  kOk = 0,
  kConnectionLoss = -4,
  kBadArguments = -8,
  kNoNode = -101,
  kBadVersion = -103,
  kNoChildrenForEphemerals = -108,
  kNodeExists = -110,
  kNotEmpty = -111,
  kSessionExpired = -112,
  kClosed = -1000,  // the coordinator was closed
  kOther = -1001,   // OK-less status without a coordinator code
};

// The coordinator error a status carries: kOk for OK, kOther for a status
// that did not come from a coordinator.
CoordinatorError CoordinatorErrorOf(const absl::Status& status);
// A status with `error`'s canonical code (see the table above) and payload.
absl::Status CoordinatorStatus(CoordinatorError error, std::string message);

inline bool IsNoNode(const absl::Status& s) {
  return CoordinatorErrorOf(s) == CoordinatorError::kNoNode;
}
inline bool IsNodeExists(const absl::Status& s) {
  return CoordinatorErrorOf(s) == CoordinatorError::kNodeExists;
}
inline bool IsBadVersion(const absl::Status& s) {
  return CoordinatorErrorOf(s) == CoordinatorError::kBadVersion;
}
inline bool IsNotEmpty(const absl::Status& s) {
  return CoordinatorErrorOf(s) == CoordinatorError::kNotEmpty;
}
inline bool IsNoChildrenForEphemerals(const absl::Status& s) {
  return CoordinatorErrorOf(s) == CoordinatorError::kNoChildrenForEphemerals;
}
inline bool IsBadArguments(const absl::Status& s) {
  return CoordinatorErrorOf(s) == CoordinatorError::kBadArguments;
}
inline bool IsSessionExpired(const absl::Status& s) {
  return CoordinatorErrorOf(s) == CoordinatorError::kSessionExpired;
}
inline bool IsConnectionLoss(const absl::Status& s) {
  return CoordinatorErrorOf(s) == CoordinatorError::kConnectionLoss;
}
inline bool IsCoordinatorClosed(const absl::Status& s) {
  return CoordinatorErrorOf(s) == CoordinatorError::kClosed;
}

// Validates a node path by ZooKeeper's rules (PathUtils.validatePath); for a
// sequential create, `path` is the prefix, to which a suffix is appended (so
// it may end with '/'). Returns InvalidArgument (BadArguments) naming it.
absl::Status ValidatePath(std::string_view path, bool sequential = false);

// A Coordinator held in memory: one process's ZooKeeper ensemble, for
// clusters that live in one process and for tests.
//
// Session time-outs read `clock`: with a ManualClock, a session expires when
// the test advances the clock past its deadline. Expiry is applied by a
// background thread woken by the clock and also, before anything else, by
// every call, so the call after ManualClock::Advance() already sees the
// expired session and its deleted ephemerals (and AwaitEventsDelivered()
// then sees its listener called) — no sleep needed.
//
// Thread-safety: thread-safe. Owns two threads (session expiry, event
// delivery); the destructor closes the coordinator and joins them. While a
// session is open, the expiry thread is one of a ManualClock's waiters
// (ManualClock::NumWaiters counts it).
class InMemoryCoordinator final : public Coordinator {
 public:
  // "*clock" must outlive the coordinator.
  explicit InMemoryCoordinator(Clock* clock = Clock::System());
  ~InMemoryCoordinator() override;
  InMemoryCoordinator(const InMemoryCoordinator&) = delete;
  InMemoryCoordinator& operator=(const InMemoryCoordinator&) = delete;

  absl::StatusOr<SessionId> OpenSession(absl::Duration timeout, SessionListener listener) override;
  absl::Status Heartbeat(SessionId session) override;
  absl::Status CloseSession(SessionId session) override;
  absl::StatusOr<std::string> Create(SessionId session, std::string_view path,
                                     std::string_view data, CreateMode mode) override;
  absl::StatusOr<NodeData> Get(std::string_view path, Watcher watcher = nullptr) override;
  absl::StatusOr<Stat> Set(std::string_view path, std::string_view data,
                           int32_t expected_version = kAnyVersion) override;
  absl::Status Delete(std::string_view path, int32_t expected_version = kAnyVersion) override;
  absl::StatusOr<std::optional<Stat>> Exists(std::string_view path,
                                             Watcher watcher = nullptr) override;
  absl::StatusOr<Children> GetChildren(std::string_view path, Watcher watcher = nullptr) override;
  absl::StatusOr<std::vector<OpResult>> Multi(SessionId session, std::vector<Op> ops) override;
  void AwaitEventsDelivered() override;

  // Makes every later call fail with a coordinator-closed status, drops the
  // sessions (no ephemeral deletions, no listener calls) and the events not
  // yet delivered, and joins the threads after the callback in progress.
  // Idempotent. Must not be called from a callback.
  void Close();

  // --- Fault injection, for tests of the layers above. ---

  // Expires `session` now, as if its time-out had passed (ephemerals
  // deleted, listener told kExpired). SessionExpired if it is not live.
  absl::Status ExpireSession(SessionId session);
  // The next `n` calls (any operation above, including session calls) fail
  // with a connection-loss status and change nothing.
  void InjectConnectionLoss(int n);

  // The last zxid committed.
  int64_t LastZxid() const;
  // Live sessions.
  int NumSessions() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace samsa

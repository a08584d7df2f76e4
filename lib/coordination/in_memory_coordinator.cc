// InMemoryCoordinator: ZooKeeper's data tree, sessions and watches in one
// process.
//
// One mutex guards everything: the tree (a map from path to node), the
// sessions, the watch tables and the event queue. A change is applied as a
// transaction (Txn): each op validates, then mutates; Multi() keeps an undo
// log and rolls back on the first failing op. Watch events are collected by
// the transaction and triggered only when it commits, so a rolled-back Multi
// fires nothing. Triggered watches become closures on the event queue, which
// the event thread runs without the lock held. The expiry thread sleeps on
// the clock until the earliest session deadline; every public call also
// expires due sessions first, so the call after a ManualClock advance already
// sees the effect.
#include <deque>
#include <map>
#include <set>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "samsa/coordinator.h"
#include "util/logging.h"
#include "util/mutex.h"

namespace samsa {
namespace {

std::string_view ParentOf(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == 0 ? std::string_view("/") : path.substr(0, slash);
}

std::string_view NameOf(std::string_view path) { return path.substr(path.rfind('/') + 1); }

std::string SessionName(SessionId id) { return fmt::format("0x{:x}", id); }

absl::Status NoNode(std::string_view path) {
  return CoordinatorStatus(CoordinatorError::kNoNode, fmt::format("no node {}", path));
}

absl::Status BadVersion(std::string_view path, int32_t expected, int32_t actual) {
  return CoordinatorStatus(
      CoordinatorError::kBadVersion,
      fmt::format("bad version for {}: expected version {}, node has version {}", path, expected,
                  actual));
}

std::string_view OpTypeName(Op::Type type) {
  switch (type) {
    case Op::Type::kCreate:
      return "create";
    case Op::Type::kSet:
      return "set";
    case Op::Type::kDelete:
      return "delete";
    case Op::Type::kCheck:
      return "check";
  }
  return "?";
}

}  // namespace

class InMemoryCoordinator::Impl {
 public:
  explicit Impl(Clock* clock) : clock_(clock) {
    Node root;
    nodes_.emplace("/", std::move(root));
    event_thread_ = std::thread([this] { DeliverEvents(); });
    event_thread_id_ = event_thread_.get_id();
    expiry_thread_ = std::thread([this] { ExpireSessions(); });
  }

  ~Impl() { Close(); }

  void Close() {
    std::deque<std::function<void()>> dropped;
    std::map<SessionId, Session> sessions;
    {
      MutexLock lock(&mu_);
      if (!closed_) {
        closed_ = true;
        dropped.swap(events_);
        sessions.swap(sessions_);
        data_watches_.clear();
        child_watches_.clear();
        event_cv_.SignalAll();
        expiry_cv_.SignalAll();
        idle_cv_.SignalAll();
      }
    }
    // Destroyed without the lock: a closure's captures may do anything.
    dropped.clear();
    sessions.clear();
    MutexLock join_lock(&join_mu_);
    if (std::this_thread::get_id() == event_thread_id_) return;  // documented misuse
    if (event_thread_.joinable()) event_thread_.join();
    if (expiry_thread_.joinable()) expiry_thread_.join();
  }

  absl::StatusOr<SessionId> OpenSession(absl::Duration timeout, SessionListener listener) {
    MutexLock lock(&mu_);
    if (auto s = BeginCallLocked(); !s.ok()) return s;
    if (timeout <= absl::ZeroDuration()) {
      return CoordinatorStatus(CoordinatorError::kBadArguments,
                               fmt::format("session time-out must be > 0, got {}",
                                           absl::FormatDuration(timeout)));
    }
    const SessionId id = next_session_id_++;
    Session session;
    session.timeout = timeout;
    session.deadline = clock_->Now() + timeout;
    session.listener = std::move(listener);
    sessions_.emplace(id, std::move(session));
    expiry_cv_.SignalAll();  // its deadline may be the earliest
    return id;
  }

  absl::Status Heartbeat(SessionId session) {
    MutexLock lock(&mu_);
    if (auto s = BeginCallLocked(); !s.ok()) return s;
    return TouchSessionLocked(session);
  }

  absl::Status CloseSession(SessionId session) {
    MutexLock lock(&mu_);
    if (auto s = BeginCallLocked(); !s.ok()) return s;
    if (auto s = TouchSessionLocked(session); !s.ok()) return s;
    EndSessionLocked(session, SessionState::kClosed);
    return absl::OkStatus();
  }

  absl::Status ExpireSession(SessionId session) {
    MutexLock lock(&mu_);
    if (closed_) return ClosedStatus();
    ExpireDueSessionsLocked();
    if (auto s = CheckSessionLocked(session); !s.ok()) return s;
    EndSessionLocked(session, SessionState::kExpired);
    return absl::OkStatus();
  }

  void InjectConnectionLoss(int n) {
    MutexLock lock(&mu_);
    connection_losses_ = std::max(n, 0);
  }

  int64_t LastZxid() {
    MutexLock lock(&mu_);
    return last_zxid_;
  }

  int NumSessions() {
    MutexLock lock(&mu_);
    ExpireDueSessionsLocked();
    return static_cast<int>(sessions_.size());
  }

  absl::StatusOr<std::string> Create(SessionId session, std::string_view path,
                                     std::string_view data, CreateMode mode) {
    MutexLock lock(&mu_);
    if (auto s = BeginCallLocked(); !s.ok()) return s;
    if (session != kNoSession) {
      if (auto s = TouchSessionLocked(session); !s.ok()) return s;
    }
    Txn txn = NewTxnLocked(session, /*undo=*/false);
    OpResult result;
    if (auto s = CreateLocked(txn, path, data, mode, &result); !s.ok()) return s;
    CommitLocked(txn);
    return std::move(result.path);
  }

  absl::StatusOr<NodeData> Get(std::string_view path, Watcher watcher) {
    MutexLock lock(&mu_);
    if (auto s = BeginCallLocked(); !s.ok()) return s;
    if (auto s = ValidatePath(path); !s.ok()) return s;
    auto it = nodes_.find(path);
    if (it == nodes_.end()) return NoNode(path);
    if (watcher) data_watches_[std::string(path)].push_back(std::move(watcher));
    return NodeData{it->second.data, it->second.stat};
  }

  absl::StatusOr<Stat> Set(std::string_view path, std::string_view data, int32_t version) {
    MutexLock lock(&mu_);
    if (auto s = BeginCallLocked(); !s.ok()) return s;
    Txn txn = NewTxnLocked(kNoSession, /*undo=*/false);
    OpResult result;
    if (auto s = SetLocked(txn, path, data, version, &result); !s.ok()) return s;
    CommitLocked(txn);
    return result.stat;
  }

  absl::Status Delete(std::string_view path, int32_t version) {
    MutexLock lock(&mu_);
    if (auto s = BeginCallLocked(); !s.ok()) return s;
    Txn txn = NewTxnLocked(kNoSession, /*undo=*/false);
    if (auto s = DeleteLocked(txn, path, version); !s.ok()) return s;
    CommitLocked(txn);
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<Stat>> Exists(std::string_view path, Watcher watcher) {
    MutexLock lock(&mu_);
    if (auto s = BeginCallLocked(); !s.ok()) return s;
    if (auto s = ValidatePath(path); !s.ok()) return s;
    if (watcher) data_watches_[std::string(path)].push_back(std::move(watcher));
    auto it = nodes_.find(path);
    if (it == nodes_.end()) return std::optional<Stat>();
    return std::optional<Stat>(it->second.stat);
  }

  absl::StatusOr<Children> GetChildren(std::string_view path, Watcher watcher) {
    MutexLock lock(&mu_);
    if (auto s = BeginCallLocked(); !s.ok()) return s;
    if (auto s = ValidatePath(path); !s.ok()) return s;
    auto it = nodes_.find(path);
    if (it == nodes_.end()) return NoNode(path);
    if (watcher) child_watches_[std::string(path)].push_back(std::move(watcher));
    Children children;
    children.names.assign(it->second.children.begin(), it->second.children.end());
    children.stat = it->second.stat;
    return children;
  }

  absl::StatusOr<std::vector<OpResult>> Multi(SessionId session, std::vector<Op> ops) {
    MutexLock lock(&mu_);
    if (auto s = BeginCallLocked(); !s.ok()) return s;
    if (session != kNoSession) {
      if (auto s = TouchSessionLocked(session); !s.ok()) return s;
    }
    Txn txn = NewTxnLocked(session, /*undo=*/true);
    std::vector<OpResult> results;
    results.reserve(ops.size());
    for (size_t i = 0; i < ops.size(); ++i) {
      const Op& op = ops[i];
      OpResult result;
      result.type = op.type;
      result.path = op.path;
      absl::Status status;
      switch (op.type) {
        case Op::Type::kCreate:
          status = CreateLocked(txn, op.path, op.data, op.mode, &result);
          break;
        case Op::Type::kSet:
          status = SetLocked(txn, op.path, op.data, op.version, &result);
          break;
        case Op::Type::kDelete:
          status = DeleteLocked(txn, op.path, op.version);
          break;
        case Op::Type::kCheck:
          status = CheckLocked(op.path, op.version);
          break;
      }
      if (!status.ok()) {
        RollbackLocked(txn);
        return CoordinatorStatus(CoordinatorErrorOf(status),
                                 fmt::format("multi op #{} ({} {}): {}", i, OpTypeName(op.type),
                                             op.path, std::string(status.message())));
      }
      results.push_back(std::move(result));
    }
    CommitLocked(txn);
    return results;
  }

  void AwaitEventsDelivered() {
    if (std::this_thread::get_id() == event_thread_id_) return;
    MutexLock lock(&mu_);
    if (!closed_) ExpireDueSessionsLocked();
    while (!closed_ && (!events_.empty() || delivering_)) idle_cv_.Wait(&mu_);
  }

 private:
  struct Node {
    std::string data;
    Stat stat;
    std::set<std::string> children;  // names, sorted
  };

  struct Session {
    absl::Duration timeout;
    absl::Time deadline;
    SessionListener listener;
    std::set<std::string> ephemerals;  // paths of the nodes it owns
  };

  // A transaction being applied. Its events fire and its ephemeral-node
  // bookkeeping reaches the sessions only on commit.
  struct Txn {
    int64_t zxid = 0;
    int64_t now_ms = 0;
    SessionId session = kNoSession;
    bool keep_undo = false;
    bool changed = false;
    // Each node's value before the txn first touched it (nullopt: absent),
    // in order; restored in reverse on rollback.
    std::vector<std::pair<std::string, std::optional<Node>>> undo;
    std::vector<WatchEvent> events;
    std::vector<std::pair<SessionId, std::string>> ephemerals_added;
    std::vector<std::pair<SessionId, std::string>> ephemerals_removed;
  };

  static absl::Status ClosedStatus() {
    return CoordinatorStatus(CoordinatorError::kClosed, "coordinator is closed");
  }

  // The start of every public operation: fails when closed or when a
  // connection loss is injected, and applies due session expiries.
  absl::Status BeginCallLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (closed_) return ClosedStatus();
    ExpireDueSessionsLocked();
    if (connection_losses_ > 0) {
      --connection_losses_;
      return CoordinatorStatus(CoordinatorError::kConnectionLoss,
                               "connection loss (injected fault)");
    }
    return absl::OkStatus();
  }

  absl::Status CheckSessionLocked(SessionId id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (sessions_.count(id) != 0) return absl::OkStatus();
    auto ended = ended_sessions_.find(id);
    if (ended == ended_sessions_.end()) {
      return CoordinatorStatus(CoordinatorError::kSessionExpired,
                               fmt::format("unknown session {}", SessionName(id)));
    }
    return CoordinatorStatus(
        CoordinatorError::kSessionExpired,
        fmt::format("session {} {}", SessionName(id),
                    ended->second == SessionState::kExpired ? "expired" : "was closed"));
  }

  absl::Status TouchSessionLocked(SessionId id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (auto s = CheckSessionLocked(id); !s.ok()) return s;
    Session& session = sessions_.at(id);
    session.deadline = clock_->Now() + session.timeout;
    return absl::OkStatus();
  }

  void ExpireDueSessionsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (sessions_.empty()) return;
    const absl::Time now = clock_->Now();
    std::vector<SessionId> due;
    for (const auto& [id, session] : sessions_) {
      if (session.deadline <= now) due.push_back(id);
    }
    for (SessionId id : due) {
      SAMSA_LOG(kInfo, "coordinator: session {} expired (time-out {})", SessionName(id),
                absl::FormatDuration(sessions_.at(id).timeout));
      EndSessionLocked(id, SessionState::kExpired);
    }
  }

  // Deletes the session's ephemeral nodes in one transaction, forgets it and
  // tells its listener.
  void EndSessionLocked(SessionId id, SessionState state) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = sessions_.find(id);
    Session session = std::move(it->second);
    sessions_.erase(it);
    ended_sessions_[id] = state;
    Txn txn = NewTxnLocked(id, /*undo=*/false);
    for (const std::string& path : session.ephemerals) {
      if (auto s = DeleteLocked(txn, path, kAnyVersion); !s.ok()) {
        SAMSA_LOG(kError, "coordinator: deleting ephemeral {} of session {}: {}", path,
                  SessionName(id), s.ToString());
      }
    }
    CommitLocked(txn);
    if (session.listener) {
      EnqueueLocked([listener = std::move(session.listener), id, state] { listener(id, state); });
    }
  }

  Txn NewTxnLocked(SessionId session, bool undo) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Txn txn;
    txn.zxid = last_zxid_ + 1;
    txn.now_ms = clock_->NowMs();
    txn.session = session;
    txn.keep_undo = undo;
    return txn;
  }

  // Records `path`'s value before its first change in `txn`.
  void SaveUndoLocked(Txn& txn, const std::string& path) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    txn.changed = true;
    if (!txn.keep_undo) return;
    auto it = nodes_.find(path);
    txn.undo.emplace_back(path, it == nodes_.end() ? std::nullopt : std::optional<Node>(it->second));
  }

  void RollbackLocked(Txn& txn) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (auto it = txn.undo.rbegin(); it != txn.undo.rend(); ++it) {
      if (it->second.has_value()) {
        nodes_.insert_or_assign(it->first, std::move(*it->second));
      } else {
        nodes_.erase(it->first);
      }
    }
  }

  void CommitLocked(Txn& txn) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!txn.changed) return;
    last_zxid_ = txn.zxid;
    for (auto& [session, path] : txn.ephemerals_removed) {
      if (auto it = sessions_.find(session); it != sessions_.end()) it->second.ephemerals.erase(path);
    }
    for (auto& [session, path] : txn.ephemerals_added) {
      if (auto it = sessions_.find(session); it != sessions_.end()) {
        it->second.ephemerals.insert(path);
      }
    }
    for (const WatchEvent& event : txn.events) TriggerLocked(event);
  }

  absl::Status CreateLocked(Txn& txn, std::string_view path, std::string_view data,
                            CreateMode mode, OpResult* result) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const bool sequential =
        mode == CreateMode::kPersistentSequential || mode == CreateMode::kEphemeralSequential;
    const bool ephemeral =
        mode == CreateMode::kEphemeral || mode == CreateMode::kEphemeralSequential;
    if (auto s = ValidatePath(path, sequential); !s.ok()) return s;
    if (ephemeral && txn.session == kNoSession) {
      return CoordinatorStatus(CoordinatorError::kBadArguments,
                               fmt::format("ephemeral node {} needs a session", path));
    }
    if (path == "/" && !sequential) {
      return CoordinatorStatus(CoordinatorError::kNodeExists, "node / already exists");
    }
    const std::string parent_path(ParentOf(path));
    auto parent = nodes_.find(parent_path);
    if (parent == nodes_.end()) {
      return CoordinatorStatus(CoordinatorError::kNoNode,
                               fmt::format("no node {} (parent of {})", parent_path, path));
    }
    if (parent->second.stat.ephemeral_owner != kNoSession) {
      return CoordinatorStatus(
          CoordinatorError::kNoChildrenForEphemerals,
          fmt::format("ephemeral node {} cannot have children (creating {})", parent_path, path));
    }
    std::string actual(path);
    if (sequential) actual += fmt::format("{:010d}", parent->second.stat.cversion);
    if (nodes_.count(actual) != 0) {
      return CoordinatorStatus(CoordinatorError::kNodeExists,
                               fmt::format("node {} already exists", actual));
    }

    SaveUndoLocked(txn, parent_path);
    SaveUndoLocked(txn, actual);
    Node node;
    node.data = std::string(data);
    node.stat.czxid = node.stat.mzxid = node.stat.pzxid = txn.zxid;
    node.stat.ctime = node.stat.mtime = txn.now_ms;
    node.stat.ephemeral_owner = ephemeral ? txn.session : kNoSession;
    node.stat.data_length = static_cast<int32_t>(data.size());
    result->path = actual;
    result->stat = node.stat;
    nodes_.emplace(actual, std::move(node));
    Node& p = nodes_.at(parent_path);  // the undo may not hold iterators
    p.children.emplace(NameOf(actual));
    p.stat.cversion++;
    p.stat.pzxid = txn.zxid;
    p.stat.num_children = static_cast<int32_t>(p.children.size());
    if (ephemeral) txn.ephemerals_added.emplace_back(txn.session, actual);
    txn.events.push_back({WatchEventType::kNodeCreated, actual});
    txn.events.push_back({WatchEventType::kNodeChildrenChanged, parent_path});
    return absl::OkStatus();
  }

  absl::Status SetLocked(Txn& txn, std::string_view path, std::string_view data, int32_t version,
                         OpResult* result) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (auto s = ValidatePath(path); !s.ok()) return s;
    auto it = nodes_.find(path);
    if (it == nodes_.end()) return NoNode(path);
    if (version != kAnyVersion && version != it->second.stat.version) {
      return BadVersion(path, version, it->second.stat.version);
    }
    SaveUndoLocked(txn, it->first);
    Node& node = it->second;
    node.data = std::string(data);
    node.stat.version++;
    node.stat.mzxid = txn.zxid;
    node.stat.mtime = txn.now_ms;
    node.stat.data_length = static_cast<int32_t>(data.size());
    result->stat = node.stat;
    txn.events.push_back({WatchEventType::kNodeDataChanged, std::string(path)});
    return absl::OkStatus();
  }

  absl::Status DeleteLocked(Txn& txn, std::string_view path, int32_t version)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (auto s = ValidatePath(path); !s.ok()) return s;
    if (path == "/") return CoordinatorStatus(CoordinatorError::kBadArguments, "cannot delete /");
    auto it = nodes_.find(path);
    if (it == nodes_.end()) return NoNode(path);
    if (version != kAnyVersion && version != it->second.stat.version) {
      return BadVersion(path, version, it->second.stat.version);
    }
    if (!it->second.children.empty()) {
      return CoordinatorStatus(CoordinatorError::kNotEmpty,
                               fmt::format("node {} is not empty: it has {} children", path,
                                           it->second.children.size()));
    }
    const std::string parent_path(ParentOf(path));
    const std::string node_path(path);
    SaveUndoLocked(txn, parent_path);
    SaveUndoLocked(txn, node_path);
    const SessionId owner = it->second.stat.ephemeral_owner;
    nodes_.erase(node_path);
    Node& p = nodes_.at(parent_path);
    p.children.erase(std::string(NameOf(node_path)));
    p.stat.cversion++;
    p.stat.pzxid = txn.zxid;
    p.stat.num_children = static_cast<int32_t>(p.children.size());
    if (owner != kNoSession) txn.ephemerals_removed.emplace_back(owner, node_path);
    txn.events.push_back({WatchEventType::kNodeDeleted, node_path});
    txn.events.push_back({WatchEventType::kNodeChildrenChanged, parent_path});
    return absl::OkStatus();
  }

  absl::Status CheckLocked(std::string_view path, int32_t version)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (auto s = ValidatePath(path); !s.ok()) return s;
    auto it = nodes_.find(path);
    if (it == nodes_.end()) return NoNode(path);
    if (version != kAnyVersion && version != it->second.stat.version) {
      return BadVersion(path, version, it->second.stat.version);
    }
    return absl::OkStatus();
  }

  // Fires (queues) and forgets the watches `event` triggers, as ZooKeeper's
  // DataTree does: data watches for created/changed/deleted, then child
  // watches for deleted (the node) and children-changed (the parent).
  void TriggerLocked(const WatchEvent& event) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto fire = [&](std::map<std::string, std::vector<Watcher>, std::less<>>& table) {
      auto it = table.find(event.path);
      if (it == table.end()) return;
      std::vector<Watcher> watchers = std::move(it->second);
      table.erase(it);
      for (Watcher& watcher : watchers) {
        EnqueueLocked([watcher = std::move(watcher), event] { watcher(event); });
      }
    };
    switch (event.type) {
      case WatchEventType::kNodeCreated:
      case WatchEventType::kNodeDataChanged:
        fire(data_watches_);
        break;
      case WatchEventType::kNodeDeleted:
        fire(data_watches_);
        fire(child_watches_);
        break;
      case WatchEventType::kNodeChildrenChanged:
        fire(child_watches_);
        break;
    }
  }

  void EnqueueLocked(std::function<void()> fn) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    events_.push_back(std::move(fn));
    event_cv_.Signal();
  }

  // The event thread: runs queued callbacks one at a time, without the lock.
  void DeliverEvents() {
    MutexLock lock(&mu_);
    while (true) {
      while (events_.empty() && !closed_) event_cv_.Wait(&mu_);
      if (closed_) break;
      std::function<void()> fn = std::move(events_.front());
      events_.pop_front();
      delivering_ = true;
      mu_.Unlock();
      fn();
      fn = nullptr;  // its captures are destroyed without the lock too
      mu_.Lock();
      delivering_ = false;
      if (events_.empty()) idle_cv_.SignalAll();
    }
    idle_cv_.SignalAll();
  }

  // The expiry thread: sleeps on the clock until the earliest deadline.
  void ExpireSessions() {
    MutexLock lock(&mu_);
    while (!closed_) {
      ExpireDueSessionsLocked();
      absl::Time next = absl::InfiniteFuture();
      for (const auto& [id, session] : sessions_) next = std::min(next, session.deadline);
      expiry_cv_.WaitUntil(&mu_, clock_, next);
    }
  }

  Clock* const clock_;

  Mutex mu_;
  CondVar event_cv_;   // an event was queued, or closed
  CondVar idle_cv_;    // the event queue drained, or closed
  CondVar expiry_cv_;  // a session was opened, or closed
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  int64_t last_zxid_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, Node, std::less<>> nodes_ ABSL_GUARDED_BY(mu_);
  SessionId next_session_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<SessionId, Session> sessions_ ABSL_GUARDED_BY(mu_);
  std::map<SessionId, SessionState> ended_sessions_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<Watcher>, std::less<>> data_watches_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<Watcher>, std::less<>> child_watches_ ABSL_GUARDED_BY(mu_);
  std::deque<std::function<void()>> events_ ABSL_GUARDED_BY(mu_);
  bool delivering_ ABSL_GUARDED_BY(mu_) = false;
  int connection_losses_ ABSL_GUARDED_BY(mu_) = 0;

  Mutex join_mu_;                    // serialises Close()'s joins
  std::thread::id event_thread_id_;  // immutable after construction
  std::thread event_thread_;
  std::thread expiry_thread_;
};

InMemoryCoordinator::InMemoryCoordinator(Clock* clock) : impl_(std::make_unique<Impl>(clock)) {}
InMemoryCoordinator::~InMemoryCoordinator() = default;

absl::StatusOr<SessionId> InMemoryCoordinator::OpenSession(absl::Duration timeout,
                                                           SessionListener listener) {
  return impl_->OpenSession(timeout, std::move(listener));
}
absl::Status InMemoryCoordinator::Heartbeat(SessionId session) {
  return impl_->Heartbeat(session);
}
absl::Status InMemoryCoordinator::CloseSession(SessionId session) {
  return impl_->CloseSession(session);
}
absl::StatusOr<std::string> InMemoryCoordinator::Create(SessionId session, std::string_view path,
                                                        std::string_view data, CreateMode mode) {
  return impl_->Create(session, path, data, mode);
}
absl::StatusOr<NodeData> InMemoryCoordinator::Get(std::string_view path, Watcher watcher) {
  return impl_->Get(path, std::move(watcher));
}
absl::StatusOr<Stat> InMemoryCoordinator::Set(std::string_view path, std::string_view data,
                                              int32_t expected_version) {
  return impl_->Set(path, data, expected_version);
}
absl::Status InMemoryCoordinator::Delete(std::string_view path, int32_t expected_version) {
  return impl_->Delete(path, expected_version);
}
absl::StatusOr<std::optional<Stat>> InMemoryCoordinator::Exists(std::string_view path,
                                                                Watcher watcher) {
  return impl_->Exists(path, std::move(watcher));
}
absl::StatusOr<Children> InMemoryCoordinator::GetChildren(std::string_view path,
                                                          Watcher watcher) {
  return impl_->GetChildren(path, std::move(watcher));
}
absl::StatusOr<std::vector<OpResult>> InMemoryCoordinator::Multi(SessionId session,
                                                                 std::vector<Op> ops) {
  return impl_->Multi(session, std::move(ops));
}
void InMemoryCoordinator::AwaitEventsDelivered() { impl_->AwaitEventsDelivered(); }
void InMemoryCoordinator::Close() { impl_->Close(); }
absl::Status InMemoryCoordinator::ExpireSession(SessionId session) {
  return impl_->ExpireSession(session);
}
void InMemoryCoordinator::InjectConnectionLoss(int n) { impl_->InjectConnectionLoss(n); }
int64_t InMemoryCoordinator::LastZxid() const { return impl_->LastZxid(); }
int InMemoryCoordinator::NumSessions() const { return impl_->NumSessions(); }

}  // namespace samsa

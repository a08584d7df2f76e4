// Helpers for the coordination tests: a thread-safe recorder of watch and
// session events.
#pragma once

#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "samsa/coordinator.h"

namespace samsa::testing {

class EventLog {
 public:
  // A watcher that records its event, tagged with `tag`.
  Watcher Watch(std::string tag) {
    return [this, tag = std::move(tag)](const WatchEvent& e) {
      std::lock_guard<std::mutex> lock(mu_);
      events_.push_back(tag + " " + std::string(WatchEventTypeName(e.type)) + " " + e.path);
    };
  }
  SessionListener Listener(std::string tag) {
    return [this, tag = std::move(tag)](SessionId, SessionState state) {
      std::lock_guard<std::mutex> lock(mu_);
      events_.push_back(tag + (state == SessionState::kExpired ? " expired" : " closed"));
    };
  }
  std::vector<std::string> Take() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::exchange(events_, {});
  }

 private:
  std::mutex mu_;
  std::vector<std::string> events_;
};

}  // namespace samsa::testing

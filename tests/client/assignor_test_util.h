// Helpers for the partition assignor tests: building subscriptions as each
// assignor's members would send them, flattening assignments, and Kafka's
// verifyValidityAndBalance check (AbstractStickyAssignorTest).
#pragma once

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "broker/group/consumer_protocol.h"
#include "client/group/partition_assignor.h"
#include "client/group/sticky_assignor.h"

namespace samsa::client::testing {

using Tps = std::vector<TopicPartition>;
using Flat = std::map<std::string, Tps>;

inline TopicPartition Tp(const std::string& topic, int32_t p) { return {topic, p}; }

inline Subscription Sub(std::vector<std::string> topics) {
  Subscription s;
  s.topics = std::move(topics);
  return s;
}

// What a cooperative-sticky member of a 3.x client sends (v2+ subscription).
inline Subscription CoopSub(std::vector<std::string> topics, const Tps& owned, int32_t generation) {
  Subscription s = Sub(std::move(topics));
  s.owned_partitions = GroupByTopic(owned);
  s.generation_id = generation;
  return s;
}

// What an eager sticky member sends: its previous assignment in user data.
inline Subscription StickySub(std::vector<std::string> topics, const Tps& owned,
                              int32_t generation) {
  Subscription s = Sub(std::move(topics));
  s.user_data = EncodeStickyAssignorUserData({GroupByTopic(owned), generation});
  return s;
}

inline Flat Flatten(const GroupAssignment& a) {
  Flat out;
  for (const auto& [member, assignment] : a) out[member] = assignment.PartitionList();
  return out;
}

inline std::string Describe(const Flat& a) {
  std::ostringstream os;
  for (const auto& [member, tps] : a) {
    os << member << ":";
    for (const auto& tp : tps) os << " " << tp.ToString();
    os << "\n";
  }
  return os.str();
}

// Empty when `assignment` is valid and balanced as Kafka's
// verifyValidityAndBalance defines it; otherwise what is wrong. Valid: every
// member present, only subscribed topics, no partition twice, and (when
// `complete`) every partition of a subscribed topic assigned. Balanced (when
// `balanced`): two members whose counts differ by more than one share no topic.
inline std::string ValidityAndBalanceProblems(const GroupSubscription& subscriptions,
                                              const Flat& assignment,
                                              const PartitionsPerTopic& partitions_per_topic,
                                              bool complete = true, bool balanced = true) {
  std::ostringstream problems;
  std::map<TopicPartition, std::string> owner;
  for (const auto& [member, subscription] : subscriptions) {
    const auto it = assignment.find(member);
    if (it == assignment.end()) {
      problems << member << " has no assignment\n";
      continue;
    }
    for (const TopicPartition& tp : it->second) {
      if (std::find(subscription.topics.begin(), subscription.topics.end(), tp.topic) ==
          subscription.topics.end()) {
        problems << tp << " is assigned to " << member << ", which does not subscribe to it\n";
      }
      const auto count = partitions_per_topic.find(tp.topic);
      if (count == partitions_per_topic.end() || tp.partition < 0 ||
          tp.partition >= count->second) {
        problems << tp << " (assigned to " << member << ") does not exist\n";
      }
      if (auto [o, inserted] = owner.emplace(tp, member); !inserted) {
        problems << tp << " is assigned to both " << o->second << " and " << member << "\n";
      }
    }
  }
  if (complete) {
    std::set<std::string> subscribed;
    for (const auto& entry : subscriptions) {
      subscribed.insert(entry.second.topics.begin(), entry.second.topics.end());
    }
    for (const auto& [topic, count] : partitions_per_topic) {
      if (!subscribed.contains(topic)) continue;
      for (int32_t p = 0; p < count; ++p) {
        if (!owner.contains({topic, p})) problems << topic << "-" << p << " is not assigned\n";
      }
    }
  }
  for (auto a = assignment.begin(); balanced && a != assignment.end(); ++a) {
    for (auto b = std::next(a); b != assignment.end(); ++b) {
      const auto la = static_cast<int64_t>(a->second.size());
      const auto lb = static_cast<int64_t>(b->second.size());
      if (std::abs(la - lb) <= 1) continue;
      std::set<std::string> ta, tb;
      for (const auto& tp : a->second) ta.insert(tp.topic);
      for (const auto& tp : b->second) tb.insert(tp.topic);
      for (const auto& t : ta) {
        if (tb.contains(t)) {
          problems << "partitions of " << t << " could move from the more loaded of " << a->first
                   << " (" << la << ") and " << b->first << " (" << lb << ") to the other\n";
        }
      }
    }
  }
  return problems.str();
}

inline size_t MaxMinusMin(const Flat& assignment) {
  size_t lo = SIZE_MAX, hi = 0;
  for (const auto& entry : assignment) {
    lo = std::min(lo, entry.second.size());
    hi = std::max(hi, entry.second.size());
  }
  return assignment.empty() ? 0 : hi - lo;
}

}  // namespace samsa::client::testing

// BrokerClient: what the producer and consumer need from "the cluster" —
// partition counts, Produce, Fetch, ListOffsets — behind one interface, so the
// same clients work against a Broker in this process today and against a
// Cluster (leader routing, metadata refresh) or a remote bootstrap later.
//
// LocalBrokerClient calls a Broker::Impl directly: no serialisation.
//
// Thread-safety: implementations are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "broker/broker_impl.h"

namespace samsa::client {

using GroupCoordinatorRef = std::shared_ptr<group::GroupCoordinator>;

struct TopicMetadata {
  int32_t partitions = 0;
  int32_t max_message_bytes = 1048588;  // the topic's max.message.bytes
};

class BrokerClient {
 public:
  virtual ~BrokerClient() = default;
  virtual Clock* clock() const = 0;
  // Changes whenever topics or partition counts change: cache against it.
  virtual uint64_t metadata_version() const = 0;
  // Creates the topic when the broker auto-creates topics.
  virtual absl::StatusOr<TopicMetadata> Topic(std::string_view topic) = 0;
  // Appends from the caller's buffer, whose batch headers the broker
  // rewrites (base offset, leader epoch, LogAppendTime); nothing keeps it
  // after the call. A caller that sends it again restores them first.
  // Only the Producer calls it, with batches its RecordBatchBuilder built:
  // the broker checks their records but does not recompute the CRC
  // (AppendOrigin::kLocalProducer).
  virtual absl::StatusOr<Broker::Impl::ProduceResult> Produce(const TopicPartition& tp,
                                                              absl::Span<char> records,
                                                              int16_t acks) = 0;
  virtual std::vector<Broker::Impl::FetchPartitionResponse> Fetch(
      const Broker::Impl::FetchRequest& request) = 0;
  // A topic's partition count, never creating it (UNKNOWN_TOPIC_OR_PARTITION).
  virtual absl::StatusOr<int32_t> PartitionCount(std::string_view topic) = 0;
  // Every topic but the internal ones (for pattern subscriptions).
  virtual std::vector<std::string> ListTopics() = 0;
  // The group coordinator for the consumer's group (Kafka's FindCoordinator).
  // The reference keeps the broker that hosts it alive while it is held (a
  // Cluster may stop or kill that broker meanwhile: calls then fail with
  // NOT_COORDINATOR). Hold it for the length of one call, not longer.
  virtual absl::StatusOr<GroupCoordinatorRef> GroupCoordinator() = 0;
  virtual absl::StatusOr<Broker::Impl::ListOffsetResult> ListOffset(const TopicPartition& tp,
                                                                    int64_t timestamp,
                                                                    FetchIsolation isolation) = 0;
};

// "*broker" must outlive the client.
std::unique_ptr<BrokerClient> NewLocalBrokerClient(Broker::Impl* broker, Clock* clock);

}  // namespace samsa::client

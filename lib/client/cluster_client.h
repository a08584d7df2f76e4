// ClusterBrokerClient: the BrokerClient of producers and consumers made from a
// Cluster. Each request goes to the current leader of its partition, read
// from the newest metadata the controller sent; a NOT_LEADER_OR_FOLLOWER or
// LEADER_NOT_AVAILABLE answer, or a leader that is not running, makes it read
// the metadata again and retry once — an offline partition then answers
// LEADER_NOT_AVAILABLE (retriable: the producer retries it until
// delivery.timeout.ms). A fetch spanning several leaders asks each of them
// and waits on all their partitions at once.
//
// GroupCoordinator() is the coordinator of the broker leading the
// __consumer_offsets partition of `group_id` (Kafka's FindCoordinator);
// COORDINATOR_NOT_AVAILABLE while that partition is offline. The pointer is
// valid while that broker runs.
//
// Thread-safety: thread-safe.
#pragma once

#include <memory>
#include <string>

#include "broker/cluster_impl.h"
#include "client/broker_client.h"

namespace samsa::client {

// "*cluster" must outlive the client.
std::unique_ptr<BrokerClient> NewClusterBrokerClient(Cluster::Impl* cluster, Clock* clock,
                                                     std::string group_id = {});

}  // namespace samsa::client

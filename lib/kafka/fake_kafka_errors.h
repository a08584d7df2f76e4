// Error responses for FakeKafka (include/samsa/testing/fake_kafka.h): the
// response an API would give if every partition of the request (or the
// request as a whole) failed with one error code, built from the request
// with the generated codec. Supported: Produce, Fetch, ListOffsets,
// OffsetCommit, OffsetFetch, FindCoordinator, JoinGroup, Heartbeat,
// SyncGroup, InitProducerId, and Metadata (every topic the request names —
// all topics for a null list — gets the error at topic level, with no
// partitions; the brokers, cluster id and controller are the real ones).
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/types/span.h"
#include "kafka/messages/headers.h"

namespace samsa::kafka {

// What an error answer needs from a request: the partitions it names (for
// scope matching; a topic named by id as "id:<topic id>") and the response
// frame carrying the error everywhere.
struct ErrorAnswer {
  std::vector<std::pair<std::string, int32_t>> partitions;
  std::string frame;
};

// What a Metadata answer shows besides the topics.
struct MetadataFacts {
  struct Broker {
    int32_t node_id = -1;
    std::string host;
    int32_t port = 0;
  };
  std::vector<Broker> brokers;
  std::string cluster_id;
  int32_t controller_id = -1;
  std::vector<std::string> all_topics;  // for a request asking for every topic
};

// nullopt: an API without an error responder, a request that does not
// decode, a Produce with acks=0 (which has no response), or a Metadata
// request naming no topic. `facts` is read for Metadata only (required then).
std::optional<ErrorAnswer> AnswerWithError(const RequestHeader& header, absl::Span<const uint8_t> body,
                                           int16_t error_code, const MetadataFacts* facts = nullptr);
bool HasErrorResponder(int16_t api_key);

// A whole response frame: `header`'s correlation id in the API's response
// header version, then `body` as given.
std::string RawResponseFrame(const RequestHeader& header, const std::string& body);

}  // namespace samsa::kafka

// The data API handlers (see AddDataHandlers/AddAdminHandlers/AddGroupHandlers
// in kafka/server/handler.h): each API's handler lives in its own file in
// this directory; this function lists them. The helpers they share are here.
#include "kafka/server/handlers/data_handlers.h"

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"

namespace samsa::kafka {

void AddDataHandlers(std::vector<ApiHandler>* out) {
  out->push_back(ProduceHandler());
  out->push_back(FetchHandler());
  out->push_back(ListOffsetsHandler());
  out->push_back(MetadataHandler());
  out->push_back(InitProducerIdHandler());
  out->push_back(OffsetForLeaderEpochHandler());
  out->push_back(DescribeClusterHandler());
}

ErrorCode CheckCurrentLeaderEpoch(Broker::Impl* broker, const TopicPartition& tp,
                                  int32_t current_leader_epoch) {
  if (current_leader_epoch < 0) return ErrorCode::kNone;
  std::shared_ptr<Partition> partition = broker->GetPartition(tp);
  if (partition == nullptr) return ErrorCode::kNone;
  const int32_t epoch = partition->leader_epoch();
  if (current_leader_epoch < epoch) return ErrorCode::kFencedLeaderEpoch;
  if (current_leader_epoch > epoch) return ErrorCode::kUnknownLeaderEpoch;
  return ErrorCode::kNone;
}

}  // namespace samsa::kafka

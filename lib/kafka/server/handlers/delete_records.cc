// DeleteRecords (api key 21), v0-2: Broker::Impl::DeleteRecords per
// partition — moves the log start offset up to `offset` (-1: the high
// watermark) and answers the new low watermark. As Kafka's: an offset past
// the high watermark (or negative other than -1) is OFFSET_OUT_OF_RANGE, an
// unknown topic or partition UNKNOWN_TOPIC_OR_PARTITION (low watermark -1).
// Synchronous: timeout_ms is not waited on.
#include "kafka/messages/delete_records.h"
#include "kafka/server/handlers/admin_util.h"

namespace samsa::kafka {
namespace {
// Named, so that unity builds (several .cc in one TU) keep each handler's
// helpers apart.
namespace delete_records_handler {

using Request = DeleteRecordsRequest;
using Response = DeleteRecordsResponse;

Response Handle(const RequestContext& ctx, Request& request) {
  Broker::Impl* broker = ctx.server->broker();
  Response response;
  for (const Request::DeleteRecordsTopic& t : request.topics) {
    Response::DeleteRecordsTopicResult topic;
    topic.name = t.name;
    for (const Request::DeleteRecordsPartition& p : t.partitions) {
      Response::DeleteRecordsPartitionResult result;
      result.partition_index = p.partition_index;
      absl::StatusOr<int64_t> low_watermark = broker->DeleteRecords({t.name, p.partition_index}, p.offset);
      result.low_watermark = low_watermark.ok() ? *low_watermark : -1;
      result.error_code = ErrorCodeFor(low_watermark.status());
      topic.partitions.push_back(result);
    }
    response.topics.push_back(std::move(topic));
  }
  return response;
}

}  // namespace delete_records_handler
}  // namespace

ApiHandler DeleteRecordsHandler() {
  using namespace delete_records_handler;
  return TypedHandler<Request, Response>(0, 2, Handle);
}

}  // namespace samsa::kafka

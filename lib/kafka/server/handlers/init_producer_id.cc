// InitProducerId (api key 22), versions 0-4: a producer id for an
// idempotent producer. As Kafka's TransactionCoordinator does for a null
// transactional id, every call gets a new id with epoch 0 (a producer
// id/epoch in the request, v3+, is not bumped but replaced).
//
// Ids come from one process-wide counter, so the brokers of a Cluster in
// this process never hand out the same id; it starts at the broker clock's
// milliseconds x 1024, so a restarted process does not reuse ids unless the
// last one allocated more than 1024 per millisecond on average.
//
// A transactional id is TRANSACTIONAL_ID_AUTHORIZATION_FAILED: samsa has no
// transaction coordinator, and that is what Kafka answers a transactional id
// it does not authorize — a fatal error to the client, not one to retry.
#include <algorithm>
#include <atomic>
#include <cstdint>

#include "kafka/messages/init_producer_id.h"
#include "kafka/server/handlers/data_handlers.h"

namespace samsa::kafka {
namespace {
// Named, so that unity builds (several .cc in one TU) keep each handler's
// helpers apart.
namespace init_producer_id_handler {

using Response = InitProducerIdResponse;

std::atomic<int64_t> last_producer_id{-1};

int64_t NextProducerId(Clock* clock) {
  const int64_t floor = std::max<int64_t>(clock->NowMs(), 0) * 1024;
  int64_t last = last_producer_id.load(std::memory_order_relaxed);
  while (true) {
    const int64_t next = std::max(last + 1, floor);
    if (last_producer_id.compare_exchange_weak(last, next, std::memory_order_relaxed)) return next;
  }
}

Response HandleInitProducerId(const RequestContext& ctx, InitProducerIdRequest& request) {
  Response response;
  if (request.transactional_id.has_value()) {
    response.error_code = static_cast<int16_t>(ErrorCode::kTransactionalIdAuthorizationFailed);
    response.producer_id = -1;
    response.producer_epoch = -1;
    return response;
  }
  response.error_code = 0;
  response.producer_id = NextProducerId(ctx.server->clock());
  response.producer_epoch = 0;
  return response;
}

}  // namespace init_producer_id_handler
}  // namespace

ApiHandler InitProducerIdHandler() {
  using namespace init_producer_id_handler;
  return TypedHandler<InitProducerIdRequest, InitProducerIdResponse>(0, 4, HandleInitProducerId);
}

}  // namespace samsa::kafka

// DescribeCluster (api key 60), version 0: the live brokers on the
// request's listener, the cluster id and the controller (v1's endpoint type
// — controllers' endpoints — is not served). Cluster authorized operations
// are Kafka's "no authorizer" bit field when asked for, INT32_MIN otherwise.
#include <utility>

#include "kafka/messages/describe_cluster.h"
#include "kafka/server/handlers/data_handlers.h"

namespace samsa::kafka {
namespace {
// Named, so that unity builds (several .cc in one TU) keep each handler's
// helpers apart.
namespace describe_cluster_handler {

using Response = DescribeClusterResponse;

Response HandleDescribeCluster(const RequestContext& ctx, DescribeClusterRequest& request) {
  ServerContext* server = ctx.server;
  Response response;
  response.error_code = 0;
  response.error_message = std::nullopt;
  response.cluster_id = server->cluster_id();
  response.controller_id = server->controller_id();
  for (const BrokerEndpoint& b : server->LiveBrokers(ctx.listener_name)) {
    Response::DescribeClusterBroker out;
    out.broker_id = b.node_id;
    out.host = b.host;
    out.port = b.port;
    out.rack = b.rack;
    response.brokers.push_back(std::move(out));
  }
  response.cluster_authorized_operations = request.include_cluster_authorized_operations
                                               ? kClusterAuthorizedOperations
                                               : kAuthorizedOperationsNotRequested;
  return response;
}

}  // namespace describe_cluster_handler
}  // namespace

ApiHandler DescribeClusterHandler() {
  using namespace describe_cluster_handler;
  return TypedHandler<DescribeClusterRequest, DescribeClusterResponse>(0, 0, HandleDescribeCluster);
}

}  // namespace samsa::kafka

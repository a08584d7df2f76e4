// The Kafka API handlers behind KafkaServer: each turns one decoded request
// into calls on the broker's internal request API (Broker::Impl, the same
// functions the in-process Producer and Consumer call) and answers with the
// response Kafka would give.
//
// Shape:
// - A handler gets the request context (header, listener, peer, principal,
//   the ServerContext it serves) and the request body bytes, and calls
//   `respond` exactly once, from any thread: with a response frame, with
//   kNoResponse (Produce with acks=0), or with kClose (a body that does not
//   decode: Kafka closes the connection and logs one line).
// - The server runs a handler on one of its io threads; a handler may block
//   (Produce waits for the append, Fetch long-polls up to fetch.max.wait.ms)
//   or answer later from another thread (JoinGroup, SyncGroup).
// - TypedHandler / AsyncTypedHandler do the decoding and encoding, so a
//   handler is written against the generated structs (kafka/messages/*.h).
// - Every handler's [min_version, max_version] is what ApiVersions
//   advertises; a request outside it never reaches the handler (the server
//   answers UNSUPPORTED_VERSION or closes, as Kafka does).
//
// Thread-safety: a ServerContext is thread-safe; handlers are stateless and
// may run concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "broker/broker_impl.h"
#include "kafka/messages/api_keys.h"
#include "kafka/messages/headers.h"
#include "kafka/protocol/request_envelope.h"
#include "kafka/protocol/writer.h"
#include "samsa/clock.h"

namespace samsa::kafka {

class FetchSessionCache;

// One broker as a client sees it in Metadata / FindCoordinator.
struct BrokerEndpoint {
  int32_t node_id = -1;
  std::string host;
  int32_t port = 0;
  std::optional<std::string> rack;
};

// What the handlers serve: one broker (alone, or one of a Cluster) and the
// cluster view that Metadata, FindCoordinator and DescribeCluster report.
class ServerContext {
 public:
  virtual ~ServerContext() = default;
  // The broker this server fronts; never null while requests are served.
  virtual Broker::Impl* broker() = 0;
  virtual Clock* clock() = 0;
  virtual std::string cluster_id() = 0;
  // The controller's broker id (a broker alone is its own controller).
  virtual int32_t controller_id() = 0;
  // Every live broker with its advertised endpoint on the named listener
  // (the listener the request came in on), ascending node id.
  virtual std::vector<BrokerEndpoint> LiveBrokers(std::string_view listener_name) = 0;
  // This broker's incremental fetch sessions (fetch_session_cache.h); never
  // null. The server clears it when it stops.
  virtual FetchSessionCache* fetch_sessions() = 0;
};

// Who asked, over which connection.
struct RequestContext {
  RequestHeader header;           // api key, version, correlation id, client id
  std::string listener_name;      // "PLAINTEXT", "SASL_PLAINTEXT", ...
  std::string client_host;        // the peer's address, as Kafka shows it ("/127.0.0.1")
  std::string principal = "User:ANONYMOUS";
  ServerContext* server = nullptr;

  int16_t api_version() const { return header.request_api_version; }
  int32_t correlation_id() const { return header.correlation_id; }
  std::string client_id() const { return header.client_id.value_or(""); }
};

struct HandlerResponse {
  enum class Kind { kFrame, kNoResponse, kClose };
  Kind kind = Kind::kFrame;
  std::string frame;   // kFrame: the whole response frame (size prefix included)
  absl::Status error;  // kClose: why, for the one log line

  static HandlerResponse Frame(std::string frame) { return {Kind::kFrame, std::move(frame), {}}; }
  static HandlerResponse None() { return {Kind::kNoResponse, {}, {}}; }
  static HandlerResponse Close(absl::Status why) { return {Kind::kClose, {}, std::move(why)}; }
};

using Respond = std::function<void(HandlerResponse)>;
using HandlerFn =
    std::function<void(const RequestContext& ctx, absl::Span<const uint8_t> body, Respond respond)>;

struct ApiHandler {
  ApiKey key;
  int16_t min_version = 0;
  int16_t max_version = 0;
  HandlerFn handle;
};

// Encodes `response` as a whole frame answering `ctx`'s request.
template <typename Response>
HandlerResponse EncodeResponse(const RequestContext& ctx, const Response& response) {
  Writer writer;
  absl::Status s = WriteResponseFrame(ctx.correlation_id(), ctx.api_version(), response, writer);
  if (!s.ok()) return HandlerResponse::Close(std::move(s));
  return HandlerResponse::Frame(writer.Release());
}

// Decodes the body as Request at the request's version.
template <typename Request>
absl::Status DecodeBody(const RequestContext& ctx, absl::Span<const uint8_t> body, Request* out) {
  return DecodeBody(body, ctx.api_version(), out);
}

// A handler answering synchronously: fn(ctx, request) -> Response.
template <typename Request, typename Response>
ApiHandler TypedHandler(int16_t min_version, int16_t max_version,
                        std::function<Response(const RequestContext&, Request&)> fn) {
  return ApiHandler{Request::kApiKey, min_version, max_version,
                    [fn = std::move(fn)](const RequestContext& ctx, absl::Span<const uint8_t> body,
                                         Respond respond) {
                      Request request;
                      absl::Status s = DecodeBody(ctx, body, &request);
                      if (!s.ok()) return respond(HandlerResponse::Close(std::move(s)));
                      respond(EncodeResponse(ctx, fn(ctx, request)));
                    }};
}

// A handler answering later: fn(ctx, request, done) calls done(response)
// exactly once, from any thread. The context is copied for the callback.
template <typename Request, typename Response>
ApiHandler AsyncTypedHandler(
    int16_t min_version, int16_t max_version,
    std::function<void(const RequestContext&, Request, std::function<void(Response)>)> fn) {
  return ApiHandler{Request::kApiKey, min_version, max_version,
                    [fn = std::move(fn)](const RequestContext& ctx, absl::Span<const uint8_t> body,
                                         Respond respond) {
                      Request request;
                      absl::Status s = DecodeBody(ctx, body, &request);
                      if (!s.ok()) return respond(HandlerResponse::Close(std::move(s)));
                      fn(ctx, std::move(request), [ctx, respond](Response response) {
                        respond(EncodeResponse(ctx, response));
                      });
                    }};
}

// A topic id as the broker keeps it (base64url of 16 bytes, no padding, as
// Kafka prints it) <-> the wire's Uuid. An id that does not decode to 16
// bytes is the zero Uuid. (handlers/topic_ids.cc)
Uuid TopicIdToUuid(std::string_view topic_id);
std::string UuidToTopicId(const Uuid& uuid);

// The handler groups (one file per API under lib/kafka/server/handlers/).
// Each appends its handlers; AllHandlers() is their union, by api key.
void AddDataHandlers(std::vector<ApiHandler>* out);   // Metadata, Produce, Fetch, ListOffsets,
                                                      // OffsetForLeaderEpoch, InitProducerId, DescribeCluster
void AddAdminHandlers(std::vector<ApiHandler>* out);  // Create/DeleteTopics, CreatePartitions,
                                                      // Describe/Alter/IncrementalAlterConfigs, DeleteRecords
void AddGroupHandlers(std::vector<ApiHandler>* out);  // FindCoordinator, Join/Sync/Heartbeat/LeaveGroup,
                                                      // OffsetCommit/Fetch, Describe/List/DeleteGroups
// ApiVersions, SaslHandshake and SaslAuthenticate are the connection's own
// (KafkaServer answers them from this table and its SASL state).
const std::vector<ApiHandler>& AllHandlers();
const ApiHandler* FindHandler(ApiKey key);

}  // namespace samsa::kafka

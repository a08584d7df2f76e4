// Calling the Kafka API handlers directly, without sockets: encode a request
// struct at a version, run the handler from the table, decode its response
// frame. Used by the handler tests; the server tests go over TCP.
#pragma once

#include <chrono>
#include <future>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "kafka/messages/messages.h"
#include "kafka/server/handler.h"
#include "kafka/server/server_context.h"
#include "samsa/errors.h"

namespace samsa::kafka::testing {

inline RequestContext MakeContext(ServerContext* server, ApiKey key, int16_t version,
                                  int32_t correlation_id = 7, std::string client_id = "test-client") {
  RequestContext ctx;
  ctx.header.request_api_key = static_cast<int16_t>(key);
  ctx.header.request_api_version = version;
  ctx.header.correlation_id = correlation_id;
  ctx.header.client_id = std::move(client_id);
  ctx.listener_name = "PLAINTEXT";
  ctx.client_host = "/127.0.0.1";
  ctx.server = server;
  return ctx;
}

// Starts the handler for `request` at `version`; the future gets its answer.
template <typename Request>
std::future<HandlerResponse> StartCall(ServerContext* server, const Request& request, int16_t version,
                                       RequestContext* ctx_out = nullptr) {
  RequestContext ctx = MakeContext(server, Request::kApiKey, version);
  if (ctx_out != nullptr) *ctx_out = ctx;
  Writer w;
  request.Write(w, version);
  auto body = std::make_shared<std::string>(w.Release());
  auto promise = std::make_shared<std::promise<HandlerResponse>>();
  std::future<HandlerResponse> f = promise->get_future();
  const ApiHandler* h = FindHandler(Request::kApiKey);
  if (h == nullptr || version < h->min_version || version > h->max_version) {
    promise->set_value(HandlerResponse::Close(absl::InternalError("no handler for this version")));
    return f;
  }
  h->handle(ctx,
            absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(body->data()), body->size()),
            [promise, body](HandlerResponse r) { promise->set_value(std::move(r)); });
  return f;
}

// Decodes a response frame answering a request of `version`.
template <typename Response>
absl::StatusOr<Response> DecodeResponseFrame(const HandlerResponse& r, int16_t version,
                                             int32_t expect_correlation_id = 7) {
  if (r.kind == HandlerResponse::Kind::kClose) return r.error.ok() ? absl::InternalError("closed") : r.error;
  if (r.kind == HandlerResponse::Kind::kNoResponse) return absl::NotFoundError("no response");
  if (r.frame.size() < 4) return absl::InternalError("short frame");
  Reader reader(r.frame.data() + 4, r.frame.size() - 4);
  ResponseHeader header;
  const ApiInfo* api = FindApi(static_cast<int16_t>(Response::kApiKey));
  SAMSA_RETURN_IF_ERROR(header.Read(reader, ResponseHeaderVersion(*api, version)));
  if (header.correlation_id != expect_correlation_id) return absl::InternalError("wrong correlation id");
  Response response;
  SAMSA_RETURN_IF_ERROR(response.Read(reader, version));
  if (!reader.empty()) return absl::InternalError("trailing bytes in the response");
  return response;
}

// Calls the handler and waits (real time, up to `wait`) for its response.
template <typename Response, typename Request>
absl::StatusOr<Response> Call(ServerContext* server, const Request& request, int16_t version,
                              std::chrono::milliseconds wait = std::chrono::seconds(10)) {
  std::future<HandlerResponse> f = StartCall(server, request, version);
  if (f.wait_for(wait) != std::future_status::ready) return absl::DeadlineExceededError("handler did not answer");
  return DecodeResponseFrame<Response>(f.get(), version);
}

}  // namespace samsa::kafka::testing

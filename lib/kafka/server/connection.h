// Connection: one client's TCP connection to kafka::Server.
//
// Reads size-prefixed frames (FrameReader, socket.request.max.bytes), handles
// one request at a time in arrival order — while a request is in flight
// (its handler running or its response being written) nothing more is read,
// so a client that stops reading its responses is stopped being read from —
// and answers ApiVersions and SASL (PLAIN, handshake v0 raw tokens or
// v1 + SaslAuthenticate) itself. Everything else goes to the handler table,
// on the server's io pool.
//
// A malformed frame, an unknown API or version, a non-SASL request before
// authentication, or a handler answering kClose closes the connection with
// one log line.
//
// Thread-safety: Start, Close and a handler's respond may be called from any
// thread; everything else runs on the connection's strand.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <asio.hpp>

#include "kafka/protocol/frame.h"
#include "kafka/server/handler.h"
#include "kafka/server/kafka_server.h"
#include "kafka/server/request_interceptor.h"
#include "util/mutex.h"

namespace samsa::kafka {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // "*listener" and "*server" must stay valid until the connection is closed
  // (the server closes every connection in Stop).
  Connection(std::shared_ptr<asio::io_context> io, asio::ip::tcp::socket socket, const ListenerSecurity* listener,
             Server* server);

  // Starts reading.
  void Start();
  // Closes the connection (from any thread); later responses are dropped.
  void Close();

  const std::string& peer() const { return peer_; }

 private:
  enum class SaslState {
    kNone,                 // PLAINTEXT listener
    kAwaitHandshake,       // SASL listener, nothing yet (ApiVersions allowed)
    kAwaitRawToken,        // after SaslHandshake v0: a raw size-prefixed token
    kAwaitAuthenticate,    // after SaslHandshake v1: SaslAuthenticate
    kAuthenticated,
  };

  void Read();
  void OnRead(const asio::error_code& ec, size_t n);
  void ProcessNext();
  void Dispatch(FramePayload payload);
  // The interceptor's verdict on a decoded request, then serving it.
  void Apply(RequestInterceptor::Verdict verdict, const RequestEnvelope& envelope,
             std::shared_ptr<const FramePayload> payload);
  // `rewrite`: applied to the handler's response frame, if set.
  void Serve(const RequestEnvelope& envelope, std::shared_ptr<const FramePayload> payload,
             std::function<std::string(std::string)> rewrite = {});
  // An ApiVersions v0 answer with UNSUPPORTED_VERSION and the versions served (KIP-511).
  void SendUnsupportedApiVersions(int32_t correlation_id);
  void AnswerApiVersions(const RequestEnvelope& envelope);
  void AnswerSaslHandshake(const RequestEnvelope& envelope);
  void AnswerSaslAuthenticate(const RequestEnvelope& envelope);
  void AnswerRawSaslToken(std::string_view token);
  void RunHandler(const ApiHandler& handler, const RequestEnvelope& envelope,
                  std::shared_ptr<const FramePayload> payload, std::function<std::string(std::string)> rewrite);
  // From any thread: a handler's answer to request `seq`.
  void PostResponse(uint64_t seq, HandlerResponse response);
  void OnResponse(uint64_t seq, HandlerResponse response);
  void Send(std::string frame, bool close_after);
  void OnWritten(const asio::error_code& ec);
  // Closes on the strand; logs `why` (one line) unless empty.
  void CloseNow(std::string_view why);
  std::string Describe(const RequestHeader& header) const;

  // Declared first: destroyed last, after the socket and strand that use it.
  const std::shared_ptr<asio::io_context> io_;
  asio::strand<asio::io_context::executor_type> strand_;
  asio::ip::tcp::socket socket_;
  const ListenerSecurity* const listener_;
  Server* const server_;
  std::string peer_;  // "/127.0.0.1:54321"
  std::string client_host_;  // "/127.0.0.1", as Kafka shows it

  Mutex mu_;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;

  // Strand state.
  FrameReader reader_;
  std::array<char, 16384> read_buf_{};
  bool direct_read_ = false;  // the read in progress fills reader_.DirectBuffer()
  bool reading_ = false;
  bool in_flight_ = false;     // a request is being handled or its answer written
  bool socket_closed_ = false;
  bool close_after_write_ = false;
  uint64_t seq_ = 0;           // of the request in flight
  bool awaiting_response_ = false;  // its handler has not answered yet
  RequestHeader current_;      // its header, for the log line of a kClose
  std::string out_;            // the frame being written
  std::shared_ptr<asio::steady_timer> delay_timer_;  // an interceptor's delay in progress
  // connections.max.idle.ms: armed while waiting for a request's bytes; a
  // read bumps idle_generation_, so an expiry armed before it does nothing.
  asio::steady_timer idle_timer_;
  uint64_t idle_generation_ = 0;
  SaslState sasl_ = SaslState::kNone;
  std::string principal_ = "User:ANONYMOUS";
};

}  // namespace samsa::kafka

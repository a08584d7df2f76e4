#include "kafka/server/connection.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "kafka/messages/messages.h"
#include "kafka/protocol/request_envelope.h"
#include "samsa/errors.h"
#include "util/logging.h"

namespace samsa::kafka {
namespace {

absl::Span<const uint8_t> Bytes(const FramePayload& s) {
  return absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

// Kafka's check of ApiVersions v3+ client software names and versions.
bool ValidSoftwareField(const std::string& s) {
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (s.empty() || !alnum(s.front()) || !alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) { return alnum(c) || c == '-' || c == '.'; });
}

// The message of a KafkaError status without its "<NAME>: " prefix.
std::string KafkaMessage(const absl::Status& s) {
  std::string message(s.message());
  const std::string prefix = ErrorCodeName(ErrorCodeOf(s)) + ": ";
  if (message.rfind(prefix, 0) == 0) message.erase(0, prefix.size());
  return message;
}

template <typename Response>
std::string ResponseFrame(int32_t correlation_id, int16_t version, const Response& response) {
  Writer writer;
  (void)WriteResponseFrame(correlation_id, version, response, writer);
  return writer.Release();
}

}  // namespace

Connection::Connection(std::shared_ptr<asio::io_context> io, asio::ip::tcp::socket socket,
                       const ListenerSecurity* listener, Server* server)
    : io_(std::move(io)),
      strand_(asio::make_strand(*io_)),
      socket_(std::move(socket)),
      listener_(listener),
      server_(server),
      reader_(server->max_request_bytes()),
      idle_timer_(strand_) {
  asio::error_code ec;
  const asio::ip::tcp::endpoint remote = socket_.remote_endpoint(ec);
  if (!ec) {
    client_host_ = "/" + remote.address().to_string();
    peer_ = fmt::format("{}:{}", client_host_, remote.port());
  } else {
    client_host_ = peer_ = "/unknown";
  }
  sasl_ = listener_->sasl() ? SaslState::kAwaitHandshake : SaslState::kNone;
}

void Connection::Start() {
  asio::post(strand_, [self = shared_from_this()] { self->ProcessNext(); });
}

void Connection::Close() {
  {
    MutexLock lock(&mu_);
    closed_ = true;
  }
  asio::post(strand_, [self = shared_from_this()] { self->CloseNow(""); });
}

void Connection::CloseNow(std::string_view why) {
  if (socket_closed_) return;
  socket_closed_ = true;
  {
    MutexLock lock(&mu_);
    closed_ = true;
  }
  if (!why.empty()) SAMSA_LOG(kInfo, "closing connection {} on {}: {}", peer_, listener_->name, why);
  if (delay_timer_ != nullptr) delay_timer_->cancel();  // a delayed request is dropped
  idle_timer_.cancel();
  asio::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  server_->Forget(this);
}

void Connection::Read() {
  if (reading_ || socket_closed_) return;
  reading_ = true;
  // A large request frame is received straight into its payload (no copy
  // through read_buf_, and reads as large as the socket has ready).
  const absl::Span<char> direct = reader_.DirectBuffer();
  direct_read_ = !direct.empty();
  socket_.async_read_some(direct_read_ ? asio::buffer(direct.data(), direct.size()) : asio::buffer(read_buf_),
                          asio::bind_executor(strand_, [self = shared_from_this()](const asio::error_code& ec,
                                                                                   size_t n) { self->OnRead(ec, n); }));
  // Kafka's Selector closes a connection with no traffic for
  // connections.max.idle.ms; a request being served is traffic to come.
  const int64_t idle_ms = server_->max_idle_ms();
  if (idle_ms < 0) return;
  idle_timer_.expires_after(std::chrono::milliseconds(idle_ms));
  idle_timer_.async_wait(asio::bind_executor(
      strand_, [self = shared_from_this(), generation = idle_generation_, idle_ms](const asio::error_code& ec) {
        if (ec || generation != self->idle_generation_) return;  // a read came first
        self->CloseNow(fmt::format("idle for {} ms (connections.max.idle.ms)", idle_ms));
      }));
}

void Connection::OnRead(const asio::error_code& ec, size_t n) {
  reading_ = false;
  ++idle_generation_;
  idle_timer_.cancel();
  if (socket_closed_) return;
  if (ec) {
    if (ec == asio::error::eof && reader_.buffered() > 0) {
      return CloseNow(fmt::format("end of stream inside a request frame ({} bytes of it received)",
                                  reader_.buffered()));
    }
    if (ec == asio::error::eof || ec == asio::error::operation_aborted) return CloseNow("");
    return CloseNow(fmt::format("read failed: {}", ec.message()));
  }
  if (direct_read_) {
    reader_.CommitDirect(n);
  } else {
    reader_.Append(std::string_view(read_buf_.data(), n));
  }
  ProcessNext();
}

void Connection::ProcessNext() {
  while (!socket_closed_ && !in_flight_) {
    FramePayload payload;
    switch (reader_.Next(&payload)) {
      case FrameStatus::kBad:
        return CloseNow(std::string(reader_.error().message()));
      case FrameStatus::kNeedMore:
        return Read();
      case FrameStatus::kComplete:
        Dispatch(std::move(payload));
        break;
    }
  }
}

std::string Connection::Describe(const RequestHeader& header) const {
  const ApiInfo* api = FindApi(header.request_api_key);
  return fmt::format("{} v{} (api key {}, correlation id {}, client id '{}')",
                     api != nullptr ? std::string(api->name) : "unknown API", header.request_api_version,
                     header.request_api_key, header.correlation_id, header.client_id.value_or(""));
}

void Connection::Dispatch(FramePayload payload_bytes) {
  auto payload = std::make_shared<const FramePayload>(std::move(payload_bytes));
  if (sasl_ == SaslState::kAwaitRawToken) return AnswerRawSaslToken(payload->view());

  RequestEnvelope envelope;
  const absl::Status s = DecodeRequestEnvelope(Bytes(*payload), &envelope);
  const RequestHeader& header = envelope.header;
  const auto key = static_cast<ApiKey>(header.request_api_key);
  if (!s.ok()) {
    if (key == ApiKey::kApiVersions && ErrorCodeOf(s) == ErrorCode::kUnsupportedVersion) {
      return SendUnsupportedApiVersions(header.correlation_id);
    }
    return CloseNow(KafkaMessage(s));
  }

  // Before authentication only the SASL exchange (and ApiVersions) is served.
  if (sasl_ == SaslState::kAwaitHandshake && key != ApiKey::kApiVersions && key != ApiKey::kSaslHandshake) {
    return CloseNow(fmt::format("unexpected {} during SASL handshake", Describe(header)));
  }
  if (sasl_ == SaslState::kAwaitAuthenticate && key != ApiKey::kSaslAuthenticate) {
    return CloseNow(fmt::format("unexpected {} during SASL authentication", Describe(header)));
  }

  if (RequestInterceptor* interceptor = server_->interceptor(); interceptor != nullptr) {
    RequestInterceptor::Verdict verdict =
        interceptor->OnRequest(server_->context()->broker()->broker_id(), header, envelope.body);
    if (verdict.delay <= absl::ZeroDuration()) return Apply(std::move(verdict), envelope, std::move(payload));
    in_flight_ = true;  // nothing more is read while the request waits
    delay_timer_ = std::make_shared<asio::steady_timer>(strand_, absl::ToChronoNanoseconds(verdict.delay));
    delay_timer_->async_wait(asio::bind_executor(
        strand_, [self = shared_from_this(), verdict = std::move(verdict), envelope,
                  payload = std::move(payload)](const asio::error_code&) mutable {
          self->delay_timer_.reset();
          if (self->socket_closed_) return;
          self->in_flight_ = false;
          self->Apply(std::move(verdict), envelope, std::move(payload));
          if (!self->in_flight_) self->ProcessNext();
        }));
    return;
  }
  Serve(envelope, std::move(payload));
}

void Connection::Apply(RequestInterceptor::Verdict verdict, const RequestEnvelope& envelope,
                       std::shared_ptr<const FramePayload> payload) {
  switch (verdict.kind) {
    case RequestInterceptor::Verdict::Kind::kServe: {
      if (!verdict.body.has_value()) return Serve(envelope, std::move(payload), std::move(verdict.rewrite_response));
      // The handler reads the interceptor's body; it lives as long as the request.
      auto body = std::make_shared<const FramePayload>(FramePayload::CopyOf(*verdict.body));
      RequestEnvelope rewritten = envelope;
      rewritten.body = Bytes(*body);
      return Serve(rewritten, std::move(body), std::move(verdict.rewrite_response));
    }
    case RequestInterceptor::Verdict::Kind::kRespond:
      return Send(std::move(verdict.frame), false);
    case RequestInterceptor::Verdict::Kind::kClose:
      return CloseNow(fmt::format("{}: closed by the request interceptor", Describe(envelope.header)));
  }
}

void Connection::Serve(const RequestEnvelope& envelope, std::shared_ptr<const FramePayload> payload,
                       std::function<std::string(std::string)> rewrite) {
  const RequestHeader& header = envelope.header;
  const auto key = static_cast<ApiKey>(header.request_api_key);
  switch (key) {
    case ApiKey::kApiVersions:
      return AnswerApiVersions(envelope);
    case ApiKey::kSaslHandshake:
      return AnswerSaslHandshake(envelope);
    case ApiKey::kSaslAuthenticate:
      return AnswerSaslAuthenticate(envelope);
    default:
      break;
  }
  const ApiHandler* handler = nullptr;
  for (const ApiHandler& h : server_->handlers()) {
    if (h.key == key) handler = &h;
  }
  if (handler == nullptr) return CloseNow(fmt::format("{}: the API is not served", Describe(header)));
  if (header.request_api_version < handler->min_version || header.request_api_version > handler->max_version) {
    return CloseNow(fmt::format("{}: versions {}-{} are served", Describe(header), handler->min_version,
                                handler->max_version));
  }
  RunHandler(*handler, envelope, std::move(payload), std::move(rewrite));
}

void Connection::SendUnsupportedApiVersions(int32_t correlation_id) {
  Writer writer;
  WriteUnsupportedApiVersionsFrame(correlation_id, kApiVersionsMaxVersion, writer);
  Send(writer.Release(), false);
}

void Connection::AnswerApiVersions(const RequestEnvelope& envelope) {
  const RequestHeader& header = envelope.header;
  if (header.request_api_version > kApiVersionsMaxVersion) {
    return SendUnsupportedApiVersions(header.correlation_id);
  }
  ApiVersionsRequest request;
  if (absl::Status s = DecodeRequestBody(envelope, &request); !s.ok()) {
    return CloseNow(fmt::format("{}: {}", Describe(header), KafkaMessage(s)));
  }
  ApiVersionsResponse response;
  if (header.request_api_version >= 3 &&
      (!ValidSoftwareField(request.client_software_name) || !ValidSoftwareField(request.client_software_version))) {
    response.error_code = static_cast<int16_t>(ErrorCode::kInvalidRequest);
  } else {
    response.api_keys = AdvertisedApis(server_->handlers());
    if (RequestInterceptor* interceptor = server_->interceptor(); interceptor != nullptr) {
      interceptor->AdjustApiVersions(server_->context()->broker()->broker_id(), &response.api_keys);
    }
  }
  Send(ResponseFrame(header.correlation_id, header.request_api_version, response), false);
}

void Connection::AnswerSaslHandshake(const RequestEnvelope& envelope) {
  const RequestHeader& header = envelope.header;
  SaslHandshakeRequest request;
  if (absl::Status s = DecodeRequestBody(envelope, &request); !s.ok()) {
    return CloseNow(fmt::format("{}: {}", Describe(header), KafkaMessage(s)));
  }
  SaslHandshakeResponse response;
  if (sasl_ != SaslState::kAwaitHandshake) {
    // Kafka: a handshake on a PLAINTEXT listener or after authentication.
    response.error_code = static_cast<int16_t>(ErrorCode::kIllegalSaslState);
    return Send(ResponseFrame(header.correlation_id, header.request_api_version, response), false);
  }
  response.mechanisms = listener_->mechanisms;
  if (std::find(listener_->mechanisms.begin(), listener_->mechanisms.end(), request.mechanism) ==
      listener_->mechanisms.end()) {
    response.error_code = static_cast<int16_t>(ErrorCode::kUnsupportedSaslMechanism);
    SAMSA_LOG(kInfo, "closing connection {} on {}: unsupported SASL mechanism '{}'", peer_, listener_->name,
              request.mechanism);
    return Send(ResponseFrame(header.correlation_id, header.request_api_version, response), true);
  }
  sasl_ = header.request_api_version == 0 ? SaslState::kAwaitRawToken : SaslState::kAwaitAuthenticate;
  Send(ResponseFrame(header.correlation_id, header.request_api_version, response), false);
}

void Connection::AnswerSaslAuthenticate(const RequestEnvelope& envelope) {
  const RequestHeader& header = envelope.header;
  SaslAuthenticateRequest request;
  if (absl::Status s = DecodeRequestBody(envelope, &request); !s.ok()) {
    return CloseNow(fmt::format("{}: {}", Describe(header), KafkaMessage(s)));
  }
  SaslAuthenticateResponse response;
  if (sasl_ != SaslState::kAwaitAuthenticate) {
    response.error_code = static_cast<int16_t>(ErrorCode::kIllegalSaslState);
    response.error_message = sasl_ == SaslState::kAuthenticated
                                 ? "SaslAuthenticate request received after successful authentication"
                                 : "SaslAuthenticate on a listener without SASL";
    return Send(ResponseFrame(header.correlation_id, header.request_api_version, response), false);
  }
  absl::StatusOr<std::string> user = AuthenticatePlain(request.auth_bytes, listener_->users);
  if (!user.ok()) {
    response.error_code = static_cast<int16_t>(ErrorCode::kSaslAuthenticationFailed);
    response.error_message = KafkaMessage(user.status());
    SAMSA_LOG(kInfo, "closing connection {} on {}: {}", peer_, listener_->name, *response.error_message);
    return Send(ResponseFrame(header.correlation_id, header.request_api_version, response), true);
  }
  sasl_ = SaslState::kAuthenticated;
  principal_ = "User:" + *user;
  Send(ResponseFrame(header.correlation_id, header.request_api_version, response), false);
}

void Connection::AnswerRawSaslToken(std::string_view token) {
  absl::StatusOr<std::string> user = AuthenticatePlain(token, listener_->users);
  if (!user.ok()) return CloseNow(KafkaMessage(user.status()));
  sasl_ = SaslState::kAuthenticated;
  principal_ = "User:" + *user;
  std::string frame;
  AppendFrame("", &frame);  // an empty server token: success
  Send(std::move(frame), false);
}

void Connection::RunHandler(const ApiHandler& handler, const RequestEnvelope& envelope,
                            std::shared_ptr<const FramePayload> payload,
                            std::function<std::string(std::string)> rewrite) {
  RequestContext ctx;
  ctx.header = envelope.header;
  ctx.listener_name = listener_->name;
  ctx.client_host = client_host_;
  ctx.principal = principal_;
  ctx.server = server_->context();
  const absl::Span<const uint8_t> body = envelope.body;  // points into *payload
  in_flight_ = true;
  awaiting_response_ = true;
  current_ = envelope.header;
  const uint64_t seq = ++seq_;
  server_->RunHandler([self = shared_from_this(), h = &handler, ctx = std::move(ctx), body, payload, seq,
                       rewrite = std::move(rewrite)] {
    {
      MutexLock lock(&self->mu_);
      if (self->closed_) return;  // gone before its turn: nobody to answer
    }
    h->handle(ctx, body, [self, seq, rewrite](HandlerResponse response) {
      if (rewrite && response.kind == HandlerResponse::Kind::kFrame) response.frame = rewrite(std::move(response.frame));
      self->PostResponse(seq, std::move(response));
    });
  });
}

void Connection::PostResponse(uint64_t seq, HandlerResponse response) {
  MutexLock lock(&mu_);
  if (closed_) return;  // the client (or the server) is gone: nobody to answer
  asio::post(strand_, [self = shared_from_this(), seq, response = std::move(response)]() mutable {
    self->OnResponse(seq, std::move(response));
  });
}

void Connection::OnResponse(uint64_t seq, HandlerResponse response) {
  if (socket_closed_ || !awaiting_response_ || seq != seq_) return;  // a second answer is ignored
  awaiting_response_ = false;
  switch (response.kind) {
    case HandlerResponse::Kind::kFrame:
      return Send(std::move(response.frame), false);
    case HandlerResponse::Kind::kNoResponse:
      in_flight_ = false;
      return ProcessNext();
    case HandlerResponse::Kind::kClose:
      return CloseNow(fmt::format("{}: {}", Describe(current_),
                                  response.error.ok() ? "the handler closed the connection"
                                                      : KafkaMessage(response.error)));
  }
}

void Connection::Send(std::string frame, bool close_after) {
  in_flight_ = true;
  close_after_write_ = close_after;
  out_ = std::move(frame);
  asio::async_write(socket_, asio::buffer(out_),
                    asio::bind_executor(strand_, [self = shared_from_this()](const asio::error_code& ec, size_t) {
                      self->OnWritten(ec);
                    }));
}

void Connection::OnWritten(const asio::error_code& ec) {
  if (socket_closed_) return;
  if (ec) return CloseNow(fmt::format("write failed: {}", ec.message()));
  if (close_after_write_) return CloseNow("");
  out_.clear();
  in_flight_ = false;
  ProcessNext();
}

}  // namespace samsa::kafka

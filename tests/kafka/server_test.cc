// KafkaServer over real loopback TCP: ApiVersions, SASL/PLAIN, dispatch to
// a handler table (one injected here: the real handlers are tested on their
// own), ordering, and hostile clients — each closing only its connection.
#include "kafka/server/kafka_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "samsa/env.h"
#include "kafka/messages/messages.h"
#include "kafka/server/cluster_server.h"
#include "samsa/cluster.h"
#include "kafka/protocol/frame.h"
#include "kafka/protocol/request_envelope.h"
#include "samsa/broker.h"
#include "samsa/clock.h"
#include "samsa/kafka_server.h"
#include "util/endian.h"
#include "util/mutex.h"

namespace samsa::kafka {
namespace {

// --- A blocking test client on plain sockets -----------------------------------

class Client {
 public:
  explicit Client(int32_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{10, 0};  // a failing test reports instead of hanging
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~Client() { CloseSocket(); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }
  int fd() const { return fd_; }
  void CloseSocket() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  void ShutdownWrite() { ::shutdown(fd_, SHUT_WR); }

  bool SendRaw(const std::string& bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }

  template <typename Request>
  static std::string Frame(const Request& request, int16_t version, int32_t correlation_id) {
    Writer w;
    REQUIRE(WriteRequestFrame(correlation_id, std::string("server-test"), version, request, w).ok());
    return w.Release();
  }
  template <typename Request>
  bool Send(const Request& request, int16_t version, int32_t correlation_id) {
    return SendRaw(Frame(request, version, correlation_id));
  }

  // The payload of the next frame; nullopt on end of stream, error or time-out.
  std::optional<std::string> ReadFrame() {
    std::string size;
    if (!ReadExactly(4, &size)) return std::nullopt;
    const int32_t n = static_cast<int32_t>(LoadBE32(size.data()));
    if (n < 0) return std::nullopt;
    std::string payload;
    if (!ReadExactly(static_cast<size_t>(n), &payload)) return std::nullopt;
    return payload;
  }

  // Reads a response frame answering a request of `version`; checks its
  // correlation id.
  template <typename Response>
  Response Read(int16_t version, int32_t correlation_id) {
    std::optional<std::string> payload = ReadFrame();
    REQUIRE(payload.has_value());
    Reader reader(payload->data(), payload->size());
    ResponseHeader header;
    const ApiInfo* api = FindApi(static_cast<int16_t>(Response::kApiKey));
    REQUIRE(header.Read(reader, ResponseHeaderVersion(*api, version)).ok());
    CHECK(header.correlation_id == correlation_id);
    Response response;
    REQUIRE(response.Read(reader, version).ok());
    CHECK(reader.empty());
    return response;
  }

  // True when the server closed the connection (end of stream or reset)
  // without sending anything more.
  bool ClosedByServer() {
    char c;
    const ssize_t n = ::recv(fd_, &c, 1, 0);
    return n == 0 || (n < 0 && (errno == ECONNRESET || errno == EPIPE));
  }

 private:
  bool ReadExactly(size_t n, std::string* out) {
    out->resize(n);
    size_t done = 0;
    while (done < n) {
      const ssize_t r = ::recv(fd_, out->data() + done, n - done, 0);
      if (r <= 0) return false;
      done += static_cast<size_t>(r);
    }
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
};

std::string BE32(int32_t v) {
  std::string s(4, '\0');
  StoreBE32(s.data(), static_cast<uint32_t>(v));
  return s;
}

ApiVersionsRequest V3Request() {
  ApiVersionsRequest r;
  r.client_software_name = "samsa-server-test";
  r.client_software_version = "1.0";
  return r;
}

// --- A handler table for the tests: Heartbeat v0-2, whose group_id says
// what the handler does ------------------------------------------------------

struct Probe {
  Mutex mu;
  CondVar cv;
  std::vector<std::string> events ABSL_GUARDED_BY(mu);  // "<group_id> <listener> <principal>"
  bool release ABSL_GUARDED_BY(mu) = false;             // lets "block" answer
  int blocked ABSL_GUARDED_BY(mu) = 0;                  // "block" handlers waiting
  std::vector<Respond> held ABSL_GUARDED_BY(mu);        // "hold": answered by the test

  void Record(const std::string& e) {
    MutexLock lock(&mu);
    events.push_back(e);
    cv.SignalAll();
  }
  void WaitBlocked(int n) {
    MutexLock lock(&mu);
    while (blocked < n) cv.Wait(&mu);
  }
  void WaitHeld(size_t n) {
    MutexLock lock(&mu);
    while (held.size() < n) cv.Wait(&mu);
  }
  void Release() {
    MutexLock lock(&mu);
    release = true;
    cv.SignalAll();
  }
  std::vector<std::string> Events() {
    MutexLock lock(&mu);
    return events;
  }
};

std::vector<ApiHandler> TestHandlers(Probe* probe) {
  ApiHandler h;
  h.key = ApiKey::kHeartbeat;
  h.min_version = 0;
  h.max_version = 2;
  h.handle = [probe](const RequestContext& ctx, absl::Span<const uint8_t> body, Respond respond) {
    HeartbeatRequest request;
    if (!DecodeBody(ctx, body, &request).ok()) return respond(HandlerResponse::Close(absl::InvalidArgumentError("bad body")));
    const std::string& what = request.group_id;
    HeartbeatResponse response;
    if (what == "block") {
      MutexLock lock(&probe->mu);
      ++probe->blocked;
      probe->events.push_back("block-start");
      probe->cv.SignalAll();
      while (!probe->release) probe->cv.Wait(&probe->mu);
      probe->events.push_back("block-end");
    } else if (what == "none") {
      probe->Record("none");
      return respond(HandlerResponse::None());
    } else if (what == "close") {
      probe->Record("close");
      return respond(HandlerResponse::Close(KafkaError(ErrorCode::kInvalidRequest, "the test says close")));
    } else if (what == "hold") {
      MutexLock lock(&probe->mu);
      probe->held.push_back(respond);
      probe->cv.SignalAll();
      return;
    } else {
      probe->Record(what + " " + ctx.listener_name + " " + ctx.principal);
    }
    respond(EncodeResponse(ctx, response));
  };
  return {h};
}

HeartbeatRequest Heartbeat(std::string what) {
  HeartbeatRequest r;
  r.group_id = std::move(what);
  r.member_id = "m";
  return r;
}

// A broker on MemEnv and its server on loopback port 0.
struct ServerFixture {
  ManualClock clock;
  std::unique_ptr<Env> env = NewMemEnv(&clock);
  BrokerConfig config;
  std::unique_ptr<Broker> broker;
  Probe probe;
  std::vector<ApiHandler> handlers = TestHandlers(&probe);
  std::unique_ptr<Server> server;

  ServerFixture() {
    config.log_dirs = "/kafka-logs";
    config.listeners = "PLAINTEXT://127.0.0.1:0";
    config.num_io_threads = 1;
    config.num_network_threads = 2;
  }
  ~ServerFixture() {
    if (server != nullptr) server->Stop();
    {
      MutexLock lock(&probe.mu);
      probe.held.clear();
    }
    server.reset();
    if (broker != nullptr) (void)broker->Close();
  }
  absl::Status TryStart() {
    auto b = Broker::Open(config, BrokerOptions{env.get(), &clock});
    if (!b.ok()) return b.status();
    broker = *std::move(b);
    ServerOptions options;
    options.handlers = &handlers;
    auto s = Server::Start(broker->impl(), options);
    if (!s.ok()) return s.status();
    server = *std::move(s);
    return absl::OkStatus();
  }
  void Start() { REQUIRE(TryStart().ok()); }
  int32_t port(size_t i = 0) const { return server->listeners().at(i).port; }

  // A fresh connection still gets ApiVersions answered.
  void CheckServing() {
    Client c(port());
    REQUIRE(c.connected());
    REQUIRE(c.Send(ApiVersionsRequest(), 0, 99));
    CHECK(c.Read<ApiVersionsResponse>(0, 99).error_code == 0);
  }
};

void EnableSasl(BrokerConfig* config) {
  config->listeners = "PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0";
  config->sasl_enabled_mechanisms = "PLAIN";
  config->listener_overrides["listener.name.sasl_plaintext.plain.sasl.jaas.config"] =
      "org.apache.kafka.common.security.plain.PlainLoginModule required "
      "username=\"admin\" password=\"admin-secret\" user_admin=\"admin-secret\" user_alice=\"alice-secret\";";
}

std::string PlainToken(const std::string& user, const std::string& password) {
  return std::string("\0", 1) + user + std::string("\0", 1) + password;
}

// --- ApiVersions --------------------------------------------------------------

TEST_CASE("ApiVersions v0 and v3 advertise the handler table plus ApiVersions 0-3 and SASL", "[kafka][server]") {
  ServerFixture f;
  f.Start();
  Client c(f.port());
  REQUIRE(c.connected());
  for (int16_t version : {int16_t{0}, int16_t{3}}) {
    REQUIRE(c.Send(version == 3 ? V3Request() : ApiVersionsRequest(), version, 10 + version));
    const ApiVersionsResponse r = c.Read<ApiVersionsResponse>(version, 10 + version);
    CHECK(r.error_code == 0);
    std::vector<std::tuple<int, int, int>> got;
    for (const auto& v : r.api_keys) got.emplace_back(v.api_key, v.min_version, v.max_version);
    // Heartbeat(12) 0-2 from the table; SaslHandshake(17) 0-1,
    // ApiVersions(18) 0-3, SaslAuthenticate(36) 0-2: Kafka 3.x's ranges.
    const std::vector<std::tuple<int, int, int>> want = {{12, 0, 2}, {17, 0, 1}, {18, 0, 3}, {36, 0, 2}};
    CHECK(got == want);
  }
}

TEST_CASE("the default table is advertised with every handler's range", "[kafka][server]") {
  std::vector<ApiVersionsResponse::ApiVersion> advertised = AdvertisedApis(AllHandlers());
  for (const ApiHandler& h : AllHandlers()) {
    bool found = false;
    for (const auto& v : advertised) {
      if (v.api_key == static_cast<int16_t>(h.key)) {
        found = true;
        CHECK(v.min_version == h.min_version);
        CHECK(v.max_version == h.max_version);
      }
    }
    CHECK(found);
  }
}

TEST_CASE("an ApiVersions version above 3 gets UNSUPPORTED_VERSION with ApiVersions' range in a v0 response",
          "[kafka][server]") {
  ServerFixture f;
  f.Start();
  Client c(f.port());
  REQUIRE(c.connected());
  // v4 (the codec knows it, the server does not serve it) and v9 (unknown to both).
  for (int16_t version : {int16_t{4}, int16_t{9}}) {
    Writer w;
    const size_t start = BeginFrame(w);
    RequestHeader header;
    header.request_api_key = static_cast<int16_t>(ApiKey::kApiVersions);
    header.request_api_version = version;
    header.correlation_id = 40 + version;
    header.client_id = "librdkafka";
    header.Write(w, 2);
    V3Request().Write(w, 3);
    EndFrame(start, w);
    REQUIRE(c.SendRaw(w.Release()));
    const ApiVersionsResponse r = c.Read<ApiVersionsResponse>(0, 40 + version);
    CHECK(r.error_code == 35);
    REQUIRE(r.api_keys.size() == 1);
    CHECK(r.api_keys[0].api_key == 18);
    CHECK(r.api_keys[0].min_version == 0);
    CHECK(r.api_keys[0].max_version == 3);
  }
  // The connection stays usable: the client falls back.
  REQUIRE(c.Send(V3Request(), 3, 50));
  CHECK(c.Read<ApiVersionsResponse>(3, 50).error_code == 0);
}

TEST_CASE("ApiVersions v3 with an invalid client software name gets INVALID_REQUEST", "[kafka][server]") {
  ServerFixture f;
  f.Start();
  Client c(f.port());
  REQUIRE(c.connected());
  ApiVersionsRequest request = V3Request();
  request.client_software_name = "bad name!";
  REQUIRE(c.Send(request, 3, 1));
  const ApiVersionsResponse r = c.Read<ApiVersionsResponse>(3, 1);
  CHECK(r.error_code == 42);
  CHECK(r.api_keys.empty());
}

TEST_CASE("pipelined requests are answered in order with their correlation ids", "[kafka][server]") {
  ServerFixture f;
  f.Start();
  Client c(f.port());
  REQUIRE(c.connected());
  std::string frames = Client::Frame(ApiVersionsRequest(), 0, 101) + Client::Frame(V3Request(), 3, 102) +
                       Client::Frame(ApiVersionsRequest(), 1, 103);
  REQUIRE(c.SendRaw(frames));
  CHECK(c.Read<ApiVersionsResponse>(0, 101).error_code == 0);
  CHECK(c.Read<ApiVersionsResponse>(3, 102).error_code == 0);
  CHECK(c.Read<ApiVersionsResponse>(1, 103).error_code == 0);
}

// --- Listeners ----------------------------------------------------------------

TEST_CASE("port 0 binds a free port and two listeners are both served", "[kafka][server]") {
  ServerFixture f;
  f.config.listeners = "PLAINTEXT://127.0.0.1:0,INTERNAL://127.0.0.1:0";
  f.config.listener_security_protocol_map = "PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT";
  f.Start();
  const auto& listeners = f.server->listeners();
  REQUIRE(listeners.size() == 2);
  CHECK(listeners[0].name == "PLAINTEXT");
  CHECK(listeners[1].name == "INTERNAL");
  CHECK(listeners[0].port != 0);
  CHECK(listeners[1].port != 0);
  CHECK(listeners[0].port != listeners[1].port);
  CHECK(f.server->BootstrapServers() == "127.0.0.1:" + std::to_string(listeners[0].port));
  CHECK(f.server->BootstrapServers("INTERNAL") == "127.0.0.1:" + std::to_string(listeners[1].port));
  CHECK(f.server->context()->LiveBrokers("INTERNAL").at(0).port == listeners[1].port);
  for (size_t i = 0; i < 2; ++i) {
    Client c(f.port(i));
    REQUIRE(c.connected());
    REQUIRE(c.Send(Heartbeat("who"), 2, 1));
    CHECK(c.Read<HeartbeatResponse>(2, 1).error_code == 0);
  }
  CHECK(f.probe.Events() == std::vector<std::string>{"who PLAINTEXT User:ANONYMOUS", "who INTERNAL User:ANONYMOUS"});
}

TEST_CASE("advertised.listeners is what the context reports", "[kafka][server]") {
  ServerFixture f;
  f.config.listeners = "PLAINTEXT://:0";
  f.config.advertised_listeners = "PLAINTEXT://broker.example:9092";
  f.Start();
  CHECK(f.server->listeners()[0].port != 0);
  CHECK(f.server->BootstrapServers() == "broker.example:9092");
  const auto brokers = f.server->context()->LiveBrokers("PLAINTEXT");
  REQUIRE(brokers.size() == 1);
  CHECK(brokers[0].host == "broker.example");
  CHECK(brokers[0].port == 9092);
}

TEST_CASE("a named listener host is resolved and advertised as given", "[kafka][server]") {
  ServerFixture f;
  f.config.listeners = "PLAINTEXT://localhost:0";
  f.Start();
  const int32_t port = f.port();
  CHECK(f.server->BootstrapServers() == "localhost:" + std::to_string(port));
  Client c(port);
  REQUIRE(c.connected());
  REQUIRE(c.Send(ApiVersionsRequest(), 0, 1));
  CHECK(c.Read<ApiVersionsResponse>(0, 1).error_code == 0);
}

TEST_CASE("listeners the server cannot serve fail Start with INVALID_CONFIG", "[kafka][server]") {
  for (const char* listeners : {"PLAINTEXT://127.0.0.1", "nonsense", "SSL://127.0.0.1:0",
                                "PLAINTEXT://127.0.0.1:0,PLAINTEXT://127.0.0.1:0", "SASL_PLAINTEXT://127.0.0.1:0"}) {
    ServerFixture f;
    f.config.listeners = listeners;
    const absl::Status s = f.TryStart();
    INFO(listeners << ": " << s);
    CHECK(ErrorCodeOf(s) == ErrorCode::kInvalidConfig);
  }
}

// --- Dispatch -----------------------------------------------------------------

TEST_CASE("a slow handler holds back the next request of its connection only", "[kafka][server]") {
  ServerFixture f;
  f.Start();  // num.io.threads=1: the pool must grow for the second connection
  Client a(f.port());
  Client b(f.port());
  REQUIRE(a.connected());
  REQUIRE(b.connected());
  REQUIRE(a.SendRaw(Client::Frame(Heartbeat("block"), 0, 1) + Client::Frame(Heartbeat("after"), 0, 2)));
  f.probe.WaitBlocked(1);
  // Another connection is served while the first connection's handler blocks.
  REQUIRE(b.Send(Heartbeat("other"), 0, 7));
  CHECK(b.Read<HeartbeatResponse>(0, 7).error_code == 0);
  f.probe.Release();
  CHECK(a.Read<HeartbeatResponse>(0, 1).error_code == 0);
  CHECK(a.Read<HeartbeatResponse>(0, 2).error_code == 0);
  CHECK(f.probe.Events() == std::vector<std::string>{"block-start", "other PLAINTEXT User:ANONYMOUS", "block-end",
                                                     "after PLAINTEXT User:ANONYMOUS"});
  CHECK(f.server->io_threads() >= 2);
}

TEST_CASE("kNoResponse sends nothing and the next request proceeds", "[kafka][server]") {
  ServerFixture f;
  f.Start();
  Client c(f.port());
  REQUIRE(c.connected());
  REQUIRE(c.SendRaw(Client::Frame(Heartbeat("none"), 0, 1) + Client::Frame(Heartbeat("next"), 0, 2)));
  CHECK(c.Read<HeartbeatResponse>(0, 2).error_code == 0);  // the first answer read is the second request's
}

TEST_CASE("kClose closes the connection and others keep working", "[kafka][server]") {
  ServerFixture f;
  f.Start();
  Client c(f.port());
  REQUIRE(c.connected());
  REQUIRE(c.Send(Heartbeat("close"), 0, 1));
  CHECK(c.ClosedByServer());
  f.CheckServing();
}

TEST_CASE("a response after the client disconnected, or after Stop, is dropped safely", "[kafka][server]") {
  ServerFixture f;
  f.Start();
  {
    Client c(f.port());
    REQUIRE(c.connected());
    REQUIRE(c.Send(Heartbeat("hold"), 0, 1));
    f.probe.WaitHeld(1);
  }  // disconnected while its request is in flight
  Respond late;
  {
    MutexLock lock(&f.probe.mu);
    late = f.probe.held[0];
  }
  HeartbeatResponse response;
  RequestContext ctx;
  ctx.header.request_api_key = static_cast<int16_t>(ApiKey::kHeartbeat);
  ctx.header.correlation_id = 1;
  late(EncodeResponse(ctx, response));
  f.CheckServing();

  Client d(f.port());
  REQUIRE(d.connected());
  REQUIRE(d.Send(Heartbeat("hold"), 0, 2));
  f.probe.WaitHeld(2);
  {
    MutexLock lock(&f.probe.mu);
    late = f.probe.held[1];
  }
  f.server->Stop();
  CHECK(d.ClosedByServer());
  late(EncodeResponse(ctx, response));  // after Stop: dropped
  f.server.reset();
  late(EncodeResponse(ctx, response));  // after the server is gone: still safe
}

TEST_CASE("Stop closes idle and mid-frame connections", "[kafka][server]") {
  ServerFixture f;
  f.Start();
  Client idle(f.port());
  Client partial(f.port());
  REQUIRE(idle.connected());
  REQUIRE(partial.connected());
  REQUIRE(idle.Send(ApiVersionsRequest(), 0, 1));
  CHECK(idle.Read<ApiVersionsResponse>(0, 1).error_code == 0);
  REQUIRE(partial.SendRaw(BE32(100) + "abc"));
  f.server->Stop();
  CHECK(idle.ClosedByServer());
  CHECK(partial.ClosedByServer());
  CHECK(f.server->open_connections() == 0);
  Client late(f.port());
  CHECK((!late.connected() || late.ClosedByServer()));
}

TEST_CASE("connections.max.idle.ms closes a silent connection, not one that keeps talking", "[kafka][server]") {
  ServerFixture f;
  f.config.connections_max_idle_ms = 300;
  f.Start();
  Client silent(f.port());
  Client partial(f.port());
  Client talking(f.port());
  REQUIRE(silent.connected());
  REQUIRE(partial.connected());
  REQUIRE(talking.connected());
  REQUIRE(partial.SendRaw(BE32(100) + "abc"));  // half a request, then silence
  // The talking client sends a request every 100 ms for a second: never
  // 300 ms without traffic. (Real time: the server's timers are asio's.)
  const absl::Time start = absl::Now();
  for (int32_t id = 1; absl::Now() - start < absl::Seconds(1); ++id) {
    REQUIRE(talking.Send(ApiVersionsRequest(), 0, id));
    REQUIRE(talking.Read<ApiVersionsResponse>(0, id).error_code == 0);
    absl::SleepFor(absl::Milliseconds(100));
  }
  CHECK(silent.ClosedByServer());
  CHECK(partial.ClosedByServer());
  REQUIRE(talking.Send(ApiVersionsRequest(), 0, 1000));
  CHECK(talking.Read<ApiVersionsResponse>(0, 1000).error_code == 0);
  CHECK(f.server->open_connections() == 1);
}

TEST_CASE("a request being served is not idleness, a negative connections.max.idle.ms never closes",
          "[kafka][server]") {
  ServerFixture f;
  f.config.connections_max_idle_ms = 200;
  f.Start();
  Client slow(f.port());
  REQUIRE(slow.connected());
  REQUIRE(slow.Send(Heartbeat("block"), 0, 1));  // the handler waits until released
  f.probe.WaitBlocked(1);
  absl::SleepFor(absl::Milliseconds(600));  // three idle periods, all in the handler
  f.probe.Release();
  CHECK(slow.Read<HeartbeatResponse>(0, 1).error_code == 0);

  ServerFixture never;
  never.config.connections_max_idle_ms = -1;
  never.Start();
  Client quiet(never.port());
  REQUIRE(quiet.connected());
  absl::SleepFor(absl::Milliseconds(300));
  REQUIRE(quiet.Send(ApiVersionsRequest(), 0, 2));
  CHECK(quiet.Read<ApiVersionsResponse>(0, 2).error_code == 0);
}

// --- Hostile input ------------------------------------------------------------

TEST_CASE("malformed input closes only that connection", "[kafka][server]") {
  ServerFixture f;
  f.config.socket_request_max_bytes = 1024;
  f.Start();
  Client other(f.port());
  REQUIRE(other.connected());

  struct Case {
    const char* name;
    std::string bytes;
    bool shutdown_write = false;
  };
  RequestHeader unknown;
  unknown.request_api_key = 999;
  unknown.request_api_version = 0;
  unknown.correlation_id = 5;
  Writer unknown_frame;
  const size_t start = BeginFrame(unknown_frame);
  unknown.Write(unknown_frame, 1);
  EndFrame(start, unknown_frame);
  const std::vector<Case> cases = {
      {"OversizeFrame", BE32(2000) + std::string(2000, 'x')},
      {"NegativeLength", BE32(-1)},
      {"TruncatedFrameThenEof", BE32(100) + std::string(10, 'x'), true},
      {"GarbageHeader", BE32(3) + "abc"},
      {"UnknownApiKey", unknown_frame.Release()},
      {"ApiNotServed", Client::Frame(FetchRequest(), 4, 6)},
      {"VersionNotServed", Client::Frame(Heartbeat("x"), 3, 7)},
      {"BodyNotDecodable", BE32(14) + std::string("\0\x0c\0\0\0\0\0\x08\xff\xff\xff\xff\xff\xff", 14)},
  };
  int32_t correlation_id = 0;
  for (const Case& c : cases) {
    INFO(c.name);
    Client bad(f.port());
    REQUIRE(bad.connected());
    REQUIRE(bad.SendRaw(c.bytes));
    if (c.shutdown_write) bad.ShutdownWrite();
    CHECK(bad.ClosedByServer());
    REQUIRE(other.Send(ApiVersionsRequest(), 0, ++correlation_id));
    CHECK(other.Read<ApiVersionsResponse>(0, correlation_id).error_code == 0);
  }
}

TEST_CASE("a client that stops reading is stopped being read from, and others keep working", "[kafka][server]") {
  ServerFixture f;
  f.Start();
  Client greedy(f.port());
  REQUIRE(greedy.connected());
  ::fcntl(greedy.fd(), F_SETFL, ::fcntl(greedy.fd(), F_GETFL) | O_NONBLOCK);
  const std::string frame = Client::Frame(ApiVersionsRequest(), 0, 1);
  std::string batch;
  for (int i = 0; i < 256; ++i) batch += frame;
  // Writes until the server has stopped reading (nothing accepted for
  // 500 ms): the server's output to this client is bounded by its socket
  // buffers, so its input must stall.
  size_t sent = 0;
  size_t offset = 0;
  for (;;) {
    const ssize_t n = ::send(greedy.fd(), batch.data() + offset, batch.size() - offset, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      offset = (offset + static_cast<size_t>(n)) % batch.size();
      REQUIRE(sent < (size_t{256} << 20));  // it stalls long before 256 MiB
      continue;
    }
    REQUIRE(errno == EAGAIN);
    pollfd p{greedy.fd(), POLLOUT, 0};
    if (::poll(&p, 1, 500) == 0) break;
  }
  f.CheckServing();
  greedy.CloseSocket();
  f.CheckServing();
}

// --- SASL/PLAIN ---------------------------------------------------------------

TEST_CASE("SASL handshake v1 and SaslAuthenticate authenticate a PLAIN user", "[kafka][server][sasl]") {
  ServerFixture f;
  EnableSasl(&f.config);
  f.Start();
  REQUIRE(f.server->listeners()[1].security_protocol == "SASL_PLAINTEXT");
  Client c(f.port(1));
  REQUIRE(c.connected());
  REQUIRE(c.Send(V3Request(), 3, 1));
  CHECK(c.Read<ApiVersionsResponse>(3, 1).error_code == 0);
  SaslHandshakeRequest handshake;
  handshake.mechanism = "PLAIN";
  REQUIRE(c.Send(handshake, 1, 2));
  const SaslHandshakeResponse hr = c.Read<SaslHandshakeResponse>(1, 2);
  CHECK(hr.error_code == 0);
  CHECK(hr.mechanisms == std::vector<std::string>{"PLAIN"});
  SaslAuthenticateRequest auth;
  auth.auth_bytes = PlainToken("alice", "alice-secret");
  REQUIRE(c.Send(auth, 2, 3));
  const SaslAuthenticateResponse ar = c.Read<SaslAuthenticateResponse>(2, 3);
  CHECK(ar.error_code == 0);
  REQUIRE(c.Send(Heartbeat("authed"), 0, 4));
  CHECK(c.Read<HeartbeatResponse>(0, 4).error_code == 0);
  CHECK(f.probe.Events() == std::vector<std::string>{"authed SASL_PLAINTEXT User:alice"});
  // Another handshake after authentication: ILLEGAL_SASL_STATE, as Kafka answers.
  REQUIRE(c.Send(handshake, 1, 5));
  CHECK(c.Read<SaslHandshakeResponse>(1, 5).error_code == 34);
}

TEST_CASE("a wrong password gets SASL_AUTHENTICATION_FAILED and the connection closes", "[kafka][server][sasl]") {
  ServerFixture f;
  EnableSasl(&f.config);
  f.Start();
  Client c(f.port(1));
  REQUIRE(c.connected());
  SaslHandshakeRequest handshake;
  handshake.mechanism = "PLAIN";
  REQUIRE(c.Send(handshake, 1, 1));
  CHECK(c.Read<SaslHandshakeResponse>(1, 1).error_code == 0);
  SaslAuthenticateRequest auth;
  auth.auth_bytes = PlainToken("alice", "wrong");
  REQUIRE(c.Send(auth, 1, 2));
  const SaslAuthenticateResponse ar = c.Read<SaslAuthenticateResponse>(1, 2);
  CHECK(ar.error_code == 58);
  CHECK(ar.error_message == std::optional<std::string>("Authentication failed: Invalid username or password"));
  CHECK(c.ClosedByServer());
}

TEST_CASE("an unsupported SASL mechanism gets UNSUPPORTED_SASL_MECHANISM with the enabled ones",
          "[kafka][server][sasl]") {
  ServerFixture f;
  EnableSasl(&f.config);
  f.Start();
  Client c(f.port(1));
  REQUIRE(c.connected());
  SaslHandshakeRequest handshake;
  handshake.mechanism = "SCRAM-SHA-256";
  REQUIRE(c.Send(handshake, 1, 1));
  const SaslHandshakeResponse hr = c.Read<SaslHandshakeResponse>(1, 1);
  CHECK(hr.error_code == 33);
  CHECK(hr.mechanisms == std::vector<std::string>{"PLAIN"});
  CHECK(c.ClosedByServer());
}

TEST_CASE("SASL handshake v0 takes the PLAIN token as a raw frame", "[kafka][server][sasl]") {
  ServerFixture f;
  EnableSasl(&f.config);
  f.Start();
  {
    Client c(f.port(1));
    REQUIRE(c.connected());
    SaslHandshakeRequest handshake;
    handshake.mechanism = "PLAIN";
    REQUIRE(c.Send(handshake, 0, 1));
    CHECK(c.Read<SaslHandshakeResponse>(0, 1).error_code == 0);
    std::string token;
    AppendFrame(PlainToken("admin", "admin-secret"), &token);
    REQUIRE(c.SendRaw(token));
    const std::optional<std::string> reply = c.ReadFrame();
    REQUIRE(reply.has_value());
    CHECK(reply->empty());
    REQUIRE(c.Send(Heartbeat("v0"), 0, 2));
    CHECK(c.Read<HeartbeatResponse>(0, 2).error_code == 0);
    CHECK(f.probe.Events() == std::vector<std::string>{"v0 SASL_PLAINTEXT User:admin"});
  }
  {
    Client c(f.port(1));
    REQUIRE(c.connected());
    SaslHandshakeRequest handshake;
    handshake.mechanism = "PLAIN";
    REQUIRE(c.Send(handshake, 0, 1));
    CHECK(c.Read<SaslHandshakeResponse>(0, 1).error_code == 0);
    std::string token;
    AppendFrame(PlainToken("admin", "nope"), &token);
    REQUIRE(c.SendRaw(token));
    CHECK(c.ClosedByServer());  // Kafka closes without a reply
  }
}

TEST_CASE("before SASL authentication only ApiVersions and the SASL exchange are served", "[kafka][server][sasl]") {
  ServerFixture f;
  EnableSasl(&f.config);
  f.Start();
  Client c(f.port(1));
  REQUIRE(c.connected());
  REQUIRE(c.Send(Heartbeat("early"), 0, 1));
  CHECK(c.ClosedByServer());
  CHECK(f.probe.Events().empty());
  Client skipped(f.port(1));  // SaslAuthenticate without a handshake
  REQUIRE(skipped.connected());
  SaslAuthenticateRequest auth;
  auth.auth_bytes = PlainToken("alice", "alice-secret");
  REQUIRE(skipped.Send(auth, 1, 1));
  CHECK(skipped.ClosedByServer());
  // The PLAINTEXT listener of the same server needs no authentication.
  Client p(f.port(0));
  REQUIRE(p.connected());
  REQUIRE(p.Send(Heartbeat("plain"), 0, 1));
  CHECK(p.Read<HeartbeatResponse>(0, 1).error_code == 0);
}

TEST_CASE("the PLAIN JAAS line defines the users, tokens are checked as Kafka checks them", "[kafka][sasl]") {
  auto users = ParsePlainJaasConfig(
      "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"admin\" "
      "password=\"admin-secret\" user_admin=\"admin-secret\" user_alice=\"alice-secret\";");
  REQUIRE(users.ok());
  CHECK(*users == PlainUsers{{"admin", "admin-secret"}, {"alice", "alice-secret"}});
  CHECK(ErrorCodeOf(ParsePlainJaasConfig("com.example.Other required user_a=\"b\";").status()) ==
        ErrorCode::kInvalidConfig);
  CHECK(ErrorCodeOf(ParsePlainJaasConfig(
                        "org.apache.kafka.common.security.plain.PlainLoginModule required user_a=\"b\"")
                        .status()) == ErrorCode::kInvalidConfig);
  CHECK(*AuthenticatePlain(PlainToken("alice", "alice-secret"), *users) == "alice");
  CHECK(*AuthenticatePlain("alice" + PlainToken("alice", "alice-secret"), *users) == "alice");
  CHECK(ErrorCodeOf(AuthenticatePlain("bob" + PlainToken("alice", "alice-secret"), *users).status()) ==
        ErrorCode::kSaslAuthenticationFailed);
  CHECK(ErrorCodeOf(AuthenticatePlain(PlainToken("mallory", "x"), *users).status()) ==
        ErrorCode::kSaslAuthenticationFailed);
  CHECK(ErrorCodeOf(AuthenticatePlain("no-nuls", *users).status()) == ErrorCode::kSaslAuthenticationFailed);
}

// --- The public API -----------------------------------------------------------

TEST_CASE("samsa::KafkaServer starts on a broker's listeners and stops", "[kafka][server]") {
  ManualClock clock;
  std::unique_ptr<Env> env = NewMemEnv(&clock);
  BrokerConfig config;
  config.log_dirs = "/kafka-logs";
  config.listeners = "PLAINTEXT://127.0.0.1:0";
  auto broker = Broker::Open(config, BrokerOptions{env.get(), &clock});
  REQUIRE(broker.ok());
  auto server = KafkaServer::Start(broker->get(), KafkaServerOptions{"cluster-1"});
  REQUIRE(server.ok());
  const int32_t port = (*server)->listeners().at(0).port;
  CHECK((*server)->BootstrapServers() == "127.0.0.1:" + std::to_string(port));
  {
    Client c(port);
    REQUIRE(c.connected());
    REQUIRE(c.Send(V3Request(), 3, 1));
    CHECK(c.Read<ApiVersionsResponse>(3, 1).error_code == 0);
  }
  (*server)->Stop();
  server->reset();
  CHECK((*broker)->Close().ok());
}

// --- A Cluster ------------------------------------------------------------------

TEST_CASE("each broker of a Cluster gets a server whose context lists every broker", "[kafka][server][cluster]") {
  ManualClock clock;
  std::unique_ptr<Env> env = NewMemEnv(&clock);
  ClusterOptions options;
  options.num_brokers = 3;
  options.base.log_dirs = "/kafka";
  options.base.num_io_threads = 1;
  options.base.listeners = "PLAINTEXT://127.0.0.1:0";
  options.env = env.get();
  options.clock = &clock;
  auto cluster = Cluster::Start(options);
  REQUIRE(cluster.ok());
  ServerOptions server_options;
  server_options.cluster_id = "cluster-xyz";
  auto servers = ClusterServers::Start(cluster->get(), server_options);
  REQUIRE(servers.ok());
  REQUIRE((*servers)->servers().size() == 3);
  std::vector<std::string> bootstrap;
  for (const auto& [id, server] : (*servers)->servers()) {
    ServerContext* ctx = server->context();
    CHECK(ctx->broker()->broker_id() == id);
    CHECK(ctx->cluster_id() == "cluster-xyz");
    CHECK(ctx->controller_id() == (*cluster)->controller_id());
    const std::vector<BrokerEndpoint> live = ctx->LiveBrokers("PLAINTEXT");
    REQUIRE(live.size() == 3);
    for (size_t i = 0; i < live.size(); ++i) {
      CHECK(live[i].node_id == static_cast<int32_t>(i));
      CHECK(live[i].host == "127.0.0.1");
      CHECK(live[i].port == (*servers)->servers().at(static_cast<int32_t>(i))->listeners()[0].port);
    }
    bootstrap.push_back(server->BootstrapServers());
    Client c(server->listeners()[0].port);
    REQUIRE(c.connected());
    REQUIRE(c.Send(ApiVersionsRequest(), 0, 1));
    CHECK(c.Read<ApiVersionsResponse>(0, 1).error_code == 0);
  }
  CHECK((*servers)->BootstrapServers() == bootstrap[0] + "," + bootstrap[1] + "," + bootstrap[2]);
  (*servers)->Stop();
  servers->reset();
}

}  // namespace
}  // namespace samsa::kafka

// RequestInterceptor: a test hook of kafka::Server (samsa::testing::FakeKafka
// uses it to inject faults). When ServerOptions::interceptor is set, every
// request a connection decodes — ApiVersions and SASL included — is shown to
// OnRequest before it is served, and the verdict decides what happens:
// serve it as usual, answer it with the given frame instead, or close the
// connection; each after an optional delay (nothing more is read from that
// connection meanwhile, as while a handler runs). A served request may be
// rewritten on its way: the handler gets another body (same header), and
// its response frame passes through a function before it is sent.
// AdjustApiVersions may lower or remove what ApiVersions advertises.
//
// Thread-safety: called from the server's network threads, several
// connections at once; implementations must be thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "kafka/messages/api_versions.h"
#include "kafka/messages/headers.h"

namespace samsa::kafka {

class RequestInterceptor {
 public:
  struct Verdict {
    enum class Kind { kServe, kRespond, kClose };
    Kind kind = Kind::kServe;
    std::string frame;                            // kRespond: the whole response frame
    absl::Duration delay = absl::ZeroDuration();  // before serving, responding or closing
    // kServe, both optional (APIs with a handler; not ApiVersions or SASL):
    // the handler is given `body` instead of the request's body, encoded at
    // the request's version; a response frame from it goes through
    // `rewrite_response` (called on the handler's thread) before it is sent.
    std::optional<std::string> body;
    std::function<std::string(std::string frame)> rewrite_response;
  };

  virtual ~RequestInterceptor() = default;
  // `broker_id`: the broker whose server received the request; `body`: the
  // request body after the header (valid during the call only).
  virtual Verdict OnRequest(int32_t broker_id, const RequestHeader& header, absl::Span<const uint8_t> body) = 0;
  virtual void AdjustApiVersions(int32_t broker_id, std::vector<ApiVersionsResponse::ApiVersion>* apis) {
    (void)broker_id;
    (void)apis;
  }
};

}  // namespace samsa::kafka

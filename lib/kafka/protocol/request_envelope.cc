#include "kafka/protocol/request_envelope.h"

#include <fmt/format.h>

#include "util/endian.h"

namespace samsa::kafka {

absl::Status DecodeRequestEnvelope(absl::Span<const uint8_t> payload, RequestEnvelope* out) {
  *out = RequestEnvelope();
  Reader reader(payload);
  RequestHeader& h = out->header;
  if (!reader.ReadInt16(&h.request_api_key) || !reader.ReadInt16(&h.request_api_version) ||
      !reader.ReadInt32(&h.correlation_id)) {
    return KafkaError(ErrorCode::kInvalidRequest,
                      fmt::format("request header: {} bytes are too few for api key, version and correlation id",
                                  payload.size()));
  }
  out->api = FindApi(h.request_api_key);
  if (out->api == nullptr) {
    return KafkaError(ErrorCode::kUnsupportedVersion,
                      fmt::format("unknown api key {} (correlation id {})", h.request_api_key, h.correlation_id));
  }
  const ApiInfo& api = *out->api;
  if (!api.Supports(h.request_api_version)) {
    // The client id is still readable (it is never compact); tagged fields of
    // an unknown version's header are not.
    if (!reader.ReadNullableString(&h.client_id, /*compact=*/false, /*nullable=*/true)) h.client_id = std::string();
    return KafkaError(ErrorCode::kUnsupportedVersion,
                      fmt::format("{} v{} is not supported (versions {}-{}; correlation id {})", api.name,
                                  h.request_api_version, api.min_version, api.max_version, h.correlation_id));
  }
  out->header_version = RequestHeaderVersion(api, h.request_api_version);
  Reader full(payload);
  SAMSA_RETURN_IF_ERROR(h.Read(full, out->header_version));
  out->body = full.rest();
  return absl::OkStatus();
}

size_t BeginFrame(Writer& writer) {
  const size_t start = writer.buffer().size();
  writer.WriteInt32(0);
  return start;
}

void EndFrame(size_t frame_start, Writer& writer) {
  const size_t frame_size = writer.SizeSince(frame_start + 4);
  StoreBE32(writer.mutable_buffer().data() + frame_start, static_cast<uint32_t>(frame_size));
}

ApiVersionsResponse UnsupportedApiVersionsResponse(int16_t max_version) {
  ApiVersionsResponse response;
  response.error_code = static_cast<int16_t>(ErrorCode::kUnsupportedVersion);
  const ApiInfo* api = FindApi(static_cast<int16_t>(ApiKey::kApiVersions));
  ApiVersionsResponse::ApiVersion entry;
  entry.api_key = static_cast<int16_t>(ApiKey::kApiVersions);
  entry.min_version = api->min_version;
  entry.max_version = max_version;
  response.api_keys.push_back(entry);
  return response;
}

void WriteUnsupportedApiVersionsFrame(int32_t correlation_id, int16_t max_version, Writer& writer) {
  const size_t start = BeginFrame(writer);
  ResponseHeader header;
  header.correlation_id = correlation_id;
  header.Write(writer, 0);
  UnsupportedApiVersionsResponse(max_version).Write(writer, 0);
  EndFrame(start, writer);
}

}  // namespace samsa::kafka

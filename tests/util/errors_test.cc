#include "samsa/errors.h"

#include <set>
#include <string>

#include <catch2/catch.hpp>

#include "util/status_macros.h"

namespace samsa {
namespace {

TEST_CASE("error codes carry Kafka's numbers and names", "[errors]") {
  // Numbers and names from org.apache.kafka.common.protocol.Errors.
  CHECK(static_cast<int>(ErrorCode::kOffsetOutOfRange) == 1);
  CHECK(ErrorCodeName(ErrorCode::kNotLeaderOrFollower) == "NOT_LEADER_OR_FOLLOWER");
  CHECK(ErrorCodeName(ErrorCode::kUnknownServerError) == "UNKNOWN_SERVER_ERROR");
  CHECK(ErrorCodeName(ErrorCode::kKafkaStorageError) == "KAFKA_STORAGE_ERROR");
  CHECK(static_cast<int>(ErrorCode::kSaslAuthenticationFailed) == 58);
  CHECK(ErrorCodeName(ErrorCode::kSaslAuthenticationFailed) == "SASL_AUTHENTICATION_FAILED");
  CHECK(ErrorCodeName(ErrorCode::kNewLeaderElected) == "NEW_LEADER_ELECTED");
  CHECK(ErrorCodeName(static_cast<ErrorCode>(999)) == "UNKNOWN(999)");
}

TEST_CASE("every code from -1 to 108 has its own distinct name", "[errors]") {
  std::set<std::string> names;
  for (int i = -1; i <= 108; ++i) {
    std::string name = ErrorCodeName(static_cast<ErrorCode>(i));
    CHECK(name.rfind("UNKNOWN(", 0) == std::string::npos);
    names.insert(name);
  }
  CHECK(names.size() == 110);
}

TEST_CASE("a status carries its Kafka error code through copies", "[errors]") {
  absl::Status s = KafkaError(ErrorCode::kUnknownTopicOrPartition, "topic 'x' partition 3");
  CHECK(s.code() == absl::StatusCode::kNotFound);
  CHECK(std::string(s.message()) == "UNKNOWN_TOPIC_OR_PARTITION: topic 'x' partition 3");
  absl::Status copy = s;
  CHECK(ErrorCodeOf(copy) == ErrorCode::kUnknownTopicOrPartition);
  CHECK(ErrorCodeOf(absl::OkStatus()) == ErrorCode::kNone);
  CHECK(KafkaError(ErrorCode::kNone, "ignored").ok());
  CHECK(ErrorCodeOf(absl::DeadlineExceededError("x")) == ErrorCode::kRequestTimedOut);
  CHECK(ErrorCodeOf(absl::InternalError("x")) == ErrorCode::kUnknownServerError);
}

TEST_CASE("retriable errors are those Kafka marks retriable", "[errors]") {
  CHECK(IsRetriable(ErrorCode::kNotLeaderOrFollower));
  CHECK(IsRetriable(ErrorCode::kUnknownTopicOrPartition));
  CHECK(IsRetriable(ErrorCode::kCorruptMessage));
  CHECK_FALSE(IsRetriable(ErrorCode::kMessageTooLarge));
  CHECK_FALSE(IsRetriable(ErrorCode::kIllegalGeneration));
}

absl::StatusOr<int> Half(int x) {
  if (x % 2 != 0) return absl::InvalidArgumentError("odd");
  return x / 2;
}
absl::StatusOr<int> Quarter(int x) {
  SAMSA_ASSIGN_OR_RETURN(int half, Half(x));
  SAMSA_ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}
absl::Status CheckEven(int x) {
  SAMSA_RETURN_IF_ERROR(Half(x).status());
  return absl::OkStatus();
}

TEST_CASE("status macros return the first error", "[errors]") {
  CHECK(*Quarter(8) == 2);
  CHECK(Quarter(6).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(CheckEven(4).ok());
  CHECK_FALSE(CheckEven(3).ok());
}

}  // namespace
}  // namespace samsa

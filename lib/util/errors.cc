#include "samsa/errors.h"

#include <string>

#include <fmt/format.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"

namespace samsa {
namespace {

constexpr char kPayloadUrl[] = "type.samsa.dev/kafka.ErrorCode";

struct ErrorInfo {
  ErrorCode code;
  const char* name;
  bool retriable;
  absl::StatusCode canonical;
};

using C = absl::StatusCode;
constexpr ErrorInfo kErrors[] = {
    {ErrorCode::kUnknownServerError, "UNKNOWN_SERVER_ERROR", false, C::kUnknown},
    {ErrorCode::kNone, "NONE", false, C::kOk},
    {ErrorCode::kOffsetOutOfRange, "OFFSET_OUT_OF_RANGE", false, C::kOutOfRange},
    {ErrorCode::kCorruptMessage, "CORRUPT_MESSAGE", true, C::kDataLoss},
    {ErrorCode::kUnknownTopicOrPartition, "UNKNOWN_TOPIC_OR_PARTITION", true, C::kNotFound},
    {ErrorCode::kInvalidFetchSize, "INVALID_FETCH_SIZE", false, C::kInvalidArgument},
    {ErrorCode::kLeaderNotAvailable, "LEADER_NOT_AVAILABLE", true, C::kUnavailable},
    {ErrorCode::kNotLeaderOrFollower, "NOT_LEADER_OR_FOLLOWER", true, C::kUnavailable},
    {ErrorCode::kRequestTimedOut, "REQUEST_TIMED_OUT", true, C::kDeadlineExceeded},
    {ErrorCode::kBrokerNotAvailable, "BROKER_NOT_AVAILABLE", false, C::kUnavailable},
    {ErrorCode::kReplicaNotAvailable, "REPLICA_NOT_AVAILABLE", true, C::kUnavailable},
    {ErrorCode::kMessageTooLarge, "MESSAGE_TOO_LARGE", false, C::kInvalidArgument},
    {ErrorCode::kStaleControllerEpoch, "STALE_CONTROLLER_EPOCH", false, C::kFailedPrecondition},
    {ErrorCode::kOffsetMetadataTooLarge, "OFFSET_METADATA_TOO_LARGE", false, C::kInvalidArgument},
    {ErrorCode::kNetworkException, "NETWORK_EXCEPTION", true, C::kUnavailable},
    {ErrorCode::kCoordinatorLoadInProgress, "COORDINATOR_LOAD_IN_PROGRESS", true, C::kUnavailable},
    {ErrorCode::kCoordinatorNotAvailable, "COORDINATOR_NOT_AVAILABLE", true, C::kUnavailable},
    {ErrorCode::kNotCoordinator, "NOT_COORDINATOR", true, C::kUnavailable},
    {ErrorCode::kInvalidTopicException, "INVALID_TOPIC_EXCEPTION", false, C::kInvalidArgument},
    {ErrorCode::kRecordListTooLarge, "RECORD_LIST_TOO_LARGE", false, C::kInvalidArgument},
    {ErrorCode::kNotEnoughReplicas, "NOT_ENOUGH_REPLICAS", true, C::kUnavailable},
    {ErrorCode::kNotEnoughReplicasAfterAppend, "NOT_ENOUGH_REPLICAS_AFTER_APPEND", true, C::kUnavailable},
    {ErrorCode::kInvalidRequiredAcks, "INVALID_REQUIRED_ACKS", false, C::kInvalidArgument},
    {ErrorCode::kIllegalGeneration, "ILLEGAL_GENERATION", false, C::kFailedPrecondition},
    {ErrorCode::kInconsistentGroupProtocol, "INCONSISTENT_GROUP_PROTOCOL", false, C::kFailedPrecondition},
    {ErrorCode::kInvalidGroupId, "INVALID_GROUP_ID", false, C::kInvalidArgument},
    {ErrorCode::kUnknownMemberId, "UNKNOWN_MEMBER_ID", false, C::kNotFound},
    {ErrorCode::kInvalidSessionTimeout, "INVALID_SESSION_TIMEOUT", false, C::kInvalidArgument},
    {ErrorCode::kRebalanceInProgress, "REBALANCE_IN_PROGRESS", false, C::kAborted},
    {ErrorCode::kInvalidCommitOffsetSize, "INVALID_COMMIT_OFFSET_SIZE", false, C::kInvalidArgument},
    {ErrorCode::kTopicAuthorizationFailed, "TOPIC_AUTHORIZATION_FAILED", false, C::kPermissionDenied},
    {ErrorCode::kGroupAuthorizationFailed, "GROUP_AUTHORIZATION_FAILED", false, C::kPermissionDenied},
    {ErrorCode::kClusterAuthorizationFailed, "CLUSTER_AUTHORIZATION_FAILED", false, C::kPermissionDenied},
    {ErrorCode::kInvalidTimestamp, "INVALID_TIMESTAMP", false, C::kInvalidArgument},
    {ErrorCode::kUnsupportedSaslMechanism, "UNSUPPORTED_SASL_MECHANISM", false, C::kUnauthenticated},
    {ErrorCode::kIllegalSaslState, "ILLEGAL_SASL_STATE", false, C::kFailedPrecondition},
    {ErrorCode::kUnsupportedVersion, "UNSUPPORTED_VERSION", false, C::kUnimplemented},
    {ErrorCode::kTopicAlreadyExists, "TOPIC_ALREADY_EXISTS", false, C::kAlreadyExists},
    {ErrorCode::kInvalidPartitions, "INVALID_PARTITIONS", false, C::kInvalidArgument},
    {ErrorCode::kInvalidReplicationFactor, "INVALID_REPLICATION_FACTOR", false, C::kInvalidArgument},
    {ErrorCode::kInvalidReplicaAssignment, "INVALID_REPLICA_ASSIGNMENT", false, C::kInvalidArgument},
    {ErrorCode::kInvalidConfig, "INVALID_CONFIG", false, C::kInvalidArgument},
    {ErrorCode::kNotController, "NOT_CONTROLLER", true, C::kUnavailable},
    {ErrorCode::kInvalidRequest, "INVALID_REQUEST", false, C::kInvalidArgument},
    {ErrorCode::kUnsupportedForMessageFormat, "UNSUPPORTED_FOR_MESSAGE_FORMAT", false, C::kUnimplemented},
    {ErrorCode::kPolicyViolation, "POLICY_VIOLATION", false, C::kFailedPrecondition},
    {ErrorCode::kOutOfOrderSequenceNumber, "OUT_OF_ORDER_SEQUENCE_NUMBER", false, C::kFailedPrecondition},
    {ErrorCode::kDuplicateSequenceNumber, "DUPLICATE_SEQUENCE_NUMBER", false, C::kAlreadyExists},
    {ErrorCode::kInvalidProducerEpoch, "INVALID_PRODUCER_EPOCH", false, C::kFailedPrecondition},
    {ErrorCode::kInvalidTxnState, "INVALID_TXN_STATE", false, C::kFailedPrecondition},
    {ErrorCode::kInvalidProducerIdMapping, "INVALID_PRODUCER_ID_MAPPING", false, C::kFailedPrecondition},
    {ErrorCode::kInvalidTransactionTimeout, "INVALID_TRANSACTION_TIMEOUT", false, C::kInvalidArgument},
    {ErrorCode::kConcurrentTransactions, "CONCURRENT_TRANSACTIONS", true, C::kAborted},
    {ErrorCode::kTransactionCoordinatorFenced, "TRANSACTION_COORDINATOR_FENCED", false, C::kFailedPrecondition},
    {ErrorCode::kTransactionalIdAuthorizationFailed, "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", false, C::kPermissionDenied},
    {ErrorCode::kSecurityDisabled, "SECURITY_DISABLED", false, C::kFailedPrecondition},
    {ErrorCode::kOperationNotAttempted, "OPERATION_NOT_ATTEMPTED", false, C::kAborted},
    {ErrorCode::kKafkaStorageError, "KAFKA_STORAGE_ERROR", true, C::kUnavailable},
    {ErrorCode::kLogDirNotFound, "LOG_DIR_NOT_FOUND", false, C::kNotFound},
    {ErrorCode::kSaslAuthenticationFailed, "SASL_AUTHENTICATION_FAILED", false, C::kUnauthenticated},
    {ErrorCode::kUnknownProducerId, "UNKNOWN_PRODUCER_ID", false, C::kNotFound},
    {ErrorCode::kReassignmentInProgress, "REASSIGNMENT_IN_PROGRESS", false, C::kFailedPrecondition},
    {ErrorCode::kDelegationTokenAuthDisabled, "DELEGATION_TOKEN_AUTH_DISABLED", false, C::kFailedPrecondition},
    {ErrorCode::kDelegationTokenNotFound, "DELEGATION_TOKEN_NOT_FOUND", false, C::kNotFound},
    {ErrorCode::kDelegationTokenOwnerMismatch, "DELEGATION_TOKEN_OWNER_MISMATCH", false, C::kPermissionDenied},
    {ErrorCode::kDelegationTokenRequestNotAllowed, "DELEGATION_TOKEN_REQUEST_NOT_ALLOWED", false, C::kPermissionDenied},
    {ErrorCode::kDelegationTokenAuthorizationFailed, "DELEGATION_TOKEN_AUTHORIZATION_FAILED", false, C::kPermissionDenied},
    {ErrorCode::kDelegationTokenExpired, "DELEGATION_TOKEN_EXPIRED", false, C::kFailedPrecondition},
    {ErrorCode::kInvalidPrincipalType, "INVALID_PRINCIPAL_TYPE", false, C::kInvalidArgument},
    {ErrorCode::kNonEmptyGroup, "NON_EMPTY_GROUP", false, C::kFailedPrecondition},
    {ErrorCode::kGroupIdNotFound, "GROUP_ID_NOT_FOUND", false, C::kNotFound},
    {ErrorCode::kFetchSessionIdNotFound, "FETCH_SESSION_ID_NOT_FOUND", true, C::kNotFound},
    {ErrorCode::kInvalidFetchSessionEpoch, "INVALID_FETCH_SESSION_EPOCH", true, C::kFailedPrecondition},
    {ErrorCode::kListenerNotFound, "LISTENER_NOT_FOUND", true, C::kNotFound},
    {ErrorCode::kTopicDeletionDisabled, "TOPIC_DELETION_DISABLED", false, C::kFailedPrecondition},
    {ErrorCode::kFencedLeaderEpoch, "FENCED_LEADER_EPOCH", true, C::kFailedPrecondition},
    {ErrorCode::kUnknownLeaderEpoch, "UNKNOWN_LEADER_EPOCH", true, C::kFailedPrecondition},
    {ErrorCode::kUnsupportedCompressionType, "UNSUPPORTED_COMPRESSION_TYPE", false, C::kUnimplemented},
    {ErrorCode::kStaleBrokerEpoch, "STALE_BROKER_EPOCH", false, C::kFailedPrecondition},
    {ErrorCode::kOffsetNotAvailable, "OFFSET_NOT_AVAILABLE", true, C::kUnavailable},
    {ErrorCode::kMemberIdRequired, "MEMBER_ID_REQUIRED", false, C::kFailedPrecondition},
    {ErrorCode::kPreferredLeaderNotAvailable, "PREFERRED_LEADER_NOT_AVAILABLE", true, C::kUnavailable},
    {ErrorCode::kGroupMaxSizeReached, "GROUP_MAX_SIZE_REACHED", false, C::kResourceExhausted},
    {ErrorCode::kFencedInstanceId, "FENCED_INSTANCE_ID", false, C::kFailedPrecondition},
    {ErrorCode::kEligibleLeadersNotAvailable, "ELIGIBLE_LEADERS_NOT_AVAILABLE", true, C::kUnavailable},
    {ErrorCode::kElectionNotNeeded, "ELECTION_NOT_NEEDED", true, C::kFailedPrecondition},
    {ErrorCode::kNoReassignmentInProgress, "NO_REASSIGNMENT_IN_PROGRESS", false, C::kFailedPrecondition},
    {ErrorCode::kGroupSubscribedToTopic, "GROUP_SUBSCRIBED_TO_TOPIC", false, C::kFailedPrecondition},
    {ErrorCode::kInvalidRecord, "INVALID_RECORD", false, C::kInvalidArgument},
    {ErrorCode::kUnstableOffsetCommit, "UNSTABLE_OFFSET_COMMIT", true, C::kUnavailable},
    {ErrorCode::kThrottlingQuotaExceeded, "THROTTLING_QUOTA_EXCEEDED", true, C::kResourceExhausted},
    {ErrorCode::kProducerFenced, "PRODUCER_FENCED", false, C::kFailedPrecondition},
    {ErrorCode::kResourceNotFound, "RESOURCE_NOT_FOUND", false, C::kNotFound},
    {ErrorCode::kDuplicateResource, "DUPLICATE_RESOURCE", false, C::kAlreadyExists},
    {ErrorCode::kUnacceptableCredential, "UNACCEPTABLE_CREDENTIAL", false, C::kInvalidArgument},
    {ErrorCode::kInconsistentVoterSet, "INCONSISTENT_VOTER_SET", false, C::kFailedPrecondition},
    {ErrorCode::kInvalidUpdateVersion, "INVALID_UPDATE_VERSION", false, C::kInvalidArgument},
    {ErrorCode::kFeatureUpdateFailed, "FEATURE_UPDATE_FAILED", false, C::kInternal},
    {ErrorCode::kPrincipalDeserializationFailure, "PRINCIPAL_DESERIALIZATION_FAILURE", false, C::kInvalidArgument},
    {ErrorCode::kSnapshotNotFound, "SNAPSHOT_NOT_FOUND", false, C::kNotFound},
    {ErrorCode::kPositionOutOfRange, "POSITION_OUT_OF_RANGE", false, C::kOutOfRange},
    {ErrorCode::kUnknownTopicId, "UNKNOWN_TOPIC_ID", true, C::kNotFound},
    {ErrorCode::kDuplicateBrokerRegistration, "DUPLICATE_BROKER_REGISTRATION", false, C::kAlreadyExists},
    {ErrorCode::kBrokerIdNotRegistered, "BROKER_ID_NOT_REGISTERED", false, C::kNotFound},
    {ErrorCode::kInconsistentTopicId, "INCONSISTENT_TOPIC_ID", true, C::kFailedPrecondition},
    {ErrorCode::kInconsistentClusterId, "INCONSISTENT_CLUSTER_ID", false, C::kFailedPrecondition},
    {ErrorCode::kTransactionalIdNotFound, "TRANSACTIONAL_ID_NOT_FOUND", false, C::kNotFound},
    {ErrorCode::kFetchSessionTopicIdError, "FETCH_SESSION_TOPIC_ID_ERROR", true, C::kFailedPrecondition},
    {ErrorCode::kIneligibleReplica, "INELIGIBLE_REPLICA", false, C::kFailedPrecondition},
    {ErrorCode::kNewLeaderElected, "NEW_LEADER_ELECTED", false, C::kAborted},
};

const ErrorInfo* Find(ErrorCode code) {
  const int index = static_cast<int>(code) + 1;  // the table starts at -1, densely
  if (index < 0 || index >= static_cast<int>(std::size(kErrors))) return nullptr;
  return &kErrors[index];
}

}  // namespace

std::string ErrorCodeName(ErrorCode code) {
  if (const ErrorInfo* info = Find(code)) return info->name;
  return absl::StrCat("UNKNOWN(", static_cast<int>(code), ")");
}

bool IsRetriable(ErrorCode code) {
  const ErrorInfo* info = Find(code);
  return info != nullptr && info->retriable;
}

absl::StatusCode CanonicalCodeFor(ErrorCode code) {
  const ErrorInfo* info = Find(code);
  return info != nullptr ? info->canonical : absl::StatusCode::kUnknown;
}

absl::Status KafkaError(ErrorCode code, std::string_view message) {
  if (code == ErrorCode::kNone) return absl::OkStatus();
  absl::Status status(CanonicalCodeFor(code), fmt::format("{}: {}", ErrorCodeName(code), message));
  status.SetPayload(kPayloadUrl, absl::Cord(std::to_string(static_cast<int>(code))));
  return status;
}

ErrorCode ErrorCodeOf(const absl::Status& status) {
  if (status.ok()) return ErrorCode::kNone;
  if (auto payload = status.GetPayload(kPayloadUrl)) {
    int value = 0;
    if (absl::SimpleAtoi(std::string(*payload), &value)) return static_cast<ErrorCode>(value);
  }
  switch (status.code()) {
    case absl::StatusCode::kDeadlineExceeded: return ErrorCode::kRequestTimedOut;
    case absl::StatusCode::kDataLoss: return ErrorCode::kCorruptMessage;
    case absl::StatusCode::kOutOfRange: return ErrorCode::kOffsetOutOfRange;
    case absl::StatusCode::kInvalidArgument: return ErrorCode::kInvalidRequest;
    case absl::StatusCode::kUnimplemented: return ErrorCode::kUnsupportedVersion;
    default: return ErrorCode::kUnknownServerError;
  }
}

}  // namespace samsa

// SASL/PLAIN (RFC 4616) as Kafka's broker does it: the users come from the
// PlainLoginModule JAAS line of a listener
// (listener.name.<listener>.plain.sasl.jaas.config), one
// user_<name>="<password>" entry per user:
//
//   org.apache.kafka.common.security.plain.PlainLoginModule required
//       username="admin" password="admin-secret"
//       user_admin="admin-secret" user_alice="alice-secret";
//
// (username/password are what the broker itself would use as a client; they
// define no user.) A client's token is "authzid NUL authcid NUL password";
// the authzid must be empty or equal the authcid.
//
// Thread-safety: pure functions.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace samsa::kafka {

using PlainUsers = std::map<std::string, std::string, std::less<>>;

// The user_<name>="<password>" entries of a JAAS line. INVALID_CONFIG for a
// line that does not parse or names another login module.
absl::StatusOr<PlainUsers> ParsePlainJaasConfig(std::string_view jaas);

// Checks a PLAIN token against `users`: the authenticated user name, or
// SASL_AUTHENTICATION_FAILED with Kafka's message ("Authentication failed:
// Invalid username or password", ...).
absl::StatusOr<std::string> AuthenticatePlain(std::string_view token, const PlainUsers& users);

}  // namespace samsa::kafka

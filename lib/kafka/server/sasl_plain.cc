#include "kafka/server/sasl_plain.h"

#include <cctype>
#include <vector>

#include <fmt/format.h>

#include "samsa/errors.h"

namespace samsa::kafka {
namespace {

constexpr std::string_view kPlainLoginModule = "org.apache.kafka.common.security.plain.PlainLoginModule";

absl::Status BadJaas(std::string_view why) {
  return KafkaError(ErrorCode::kInvalidConfig, fmt::format("Invalid JAAS configuration for PLAIN: {}", why));
}

}  // namespace

absl::StatusOr<PlainUsers> ParsePlainJaasConfig(std::string_view jaas) {
  size_t i = 0;
  auto skip_space = [&] {
    while (i < jaas.size() && std::isspace(static_cast<unsigned char>(jaas[i]))) ++i;
  };
  auto word = [&] {
    skip_space();
    const size_t start = i;
    while (i < jaas.size() && !std::isspace(static_cast<unsigned char>(jaas[i])) && jaas[i] != '=' &&
           jaas[i] != ';') {
      ++i;
    }
    return jaas.substr(start, i - start);
  };
  const std::string_view module = word();
  if (module != kPlainLoginModule) {
    return BadJaas(fmt::format("login module '{}' is not {}", module, kPlainLoginModule));
  }
  const std::string_view flag = word();
  if (flag != "required" && flag != "requisite" && flag != "sufficient" && flag != "optional") {
    return BadJaas(fmt::format("'{}' is not a control flag (required, requisite, sufficient, optional)", flag));
  }
  PlainUsers users;
  for (;;) {
    skip_space();
    if (i == jaas.size()) return BadJaas("missing ';' at the end");
    if (jaas[i] == ';') break;
    const std::string_view key = word();
    skip_space();
    if (key.empty() || i == jaas.size() || jaas[i] != '=') {
      return BadJaas(fmt::format("expected key=value near '{}'", jaas.substr(i < 20 ? 0 : i - 20, 40)));
    }
    ++i;  // '='
    skip_space();
    std::string value;
    if (i < jaas.size() && jaas[i] == '"') {
      ++i;
      bool closed = false;
      while (i < jaas.size()) {
        const char c = jaas[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\' && i < jaas.size()) {
          value.push_back(jaas[i++]);
        } else {
          value.push_back(c);
        }
      }
      if (!closed) return BadJaas(fmt::format("unterminated quoted value of {}", key));
    } else {
      value = std::string(word());
    }
    if (key.size() > 5 && key.substr(0, 5) == "user_") users[std::string(key.substr(5))] = std::move(value);
  }
  skip_space();
  if (i + 1 != jaas.size()) return BadJaas("text after ';'");
  return users;
}

absl::StatusOr<std::string> AuthenticatePlain(std::string_view token, const PlainUsers& users) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t i = 0; i <= token.size(); ++i) {
    if (i == token.size() || token[i] == '\0') {
      parts.push_back(token.substr(start, i - start));
      start = i + 1;
    }
  }
  auto failed = [](std::string_view why) {
    return KafkaError(ErrorCode::kSaslAuthenticationFailed, std::string(why));
  };
  if (parts.size() != 3) {
    return failed(fmt::format("Invalid SASL/PLAIN response: expected 3 tokens, got {}", parts.size()));
  }
  const std::string_view authzid = parts[0], username = parts[1], password = parts[2];
  if (username.empty()) return failed("Authentication failed: username not specified");
  if (password.empty()) return failed("Authentication failed: password not specified");
  if (!authzid.empty() && authzid != username) {
    return failed("Authentication failed: Client requested an authorization id that is different from username");
  }
  auto it = users.find(username);
  if (it == users.end() || it->second != password) {
    return failed("Authentication failed: Invalid username or password");
  }
  return std::string(username);
}

}  // namespace samsa::kafka

// java.util.Properties text, as Properties.load(Reader) reads it.
#include <cstdint>
#include <string>

#include <fmt/format.h>

#include "samsa/config.h"
#include "samsa/errors.h"
#include "util/status_macros.h"

namespace samsa {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\f'; }

// Splits text into Java's "natural lines": a line ending in an odd number of
// backslashes continues on the next, whose leading whitespace is dropped.
// Comment and blank lines are skipped (a comment line never continues).
struct LogicalLine {
  std::string text;
  int line_number;
};

std::vector<LogicalLine> LogicalLines(std::string_view text) {
  std::vector<std::string_view> raw;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '\n' || text[i] == '\r') {
      raw.push_back(text.substr(start, i - start));
      if (i < text.size() && text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      start = i + 1;
    }
  }
  std::vector<LogicalLine> lines;
  for (size_t i = 0; i < raw.size(); ++i) {
    std::string_view line = raw[i];
    size_t p = 0;
    while (p < line.size() && IsSpace(line[p])) ++p;
    line.remove_prefix(p);
    if (line.empty() || line[0] == '#' || line[0] == '!') continue;
    LogicalLine logical{"", static_cast<int>(i + 1)};
    while (true) {
      size_t backslashes = 0;
      while (backslashes < line.size() && line[line.size() - 1 - backslashes] == '\\') ++backslashes;
      if (backslashes % 2 == 0 || i + 1 >= raw.size()) {
        logical.text.append(line);
        if (backslashes % 2 == 1) logical.text.pop_back();  // a continuation at end of input
        break;
      }
      logical.text.append(line.substr(0, line.size() - 1));
      line = raw[++i];
      size_t q = 0;
      while (q < line.size() && IsSpace(line[q])) ++q;
      line.remove_prefix(q);
    }
    lines.push_back(std::move(logical));
  }
  return lines;
}

void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out->push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

// Unescapes [begin, end) of a logical line.
absl::StatusOr<std::string> Unescape(std::string_view s, int line_number) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      if (s[i] != '\\') out.push_back(s[i]);
      continue;
    }
    const char c = s[++i];
    switch (c) {
      case 't': out.push_back('\t'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 'f': out.push_back('\f'); break;
      case 'u': {
        uint32_t cp = 0;
        if (s.size() - i - 1 < 4) {
          return KafkaError(ErrorCode::kInvalidConfig,
                            fmt::format("properties line {}: malformed \\uxxxx encoding", line_number));
        }
        for (int k = 0; k < 4; ++k) {
          const char h = s[i + 1 + k];
          cp <<= 4;
          if (h >= '0' && h <= '9') cp |= h - '0';
          else if (h >= 'a' && h <= 'f') cp |= h - 'a' + 10;
          else if (h >= 'A' && h <= 'F') cp |= h - 'A' + 10;
          else {
            return KafkaError(ErrorCode::kInvalidConfig,
                              fmt::format("properties line {}: malformed \\uxxxx encoding", line_number));
          }
        }
        i += 4;
        AppendUtf8(&out, cp);
        break;
      }
      default: out.push_back(c);  // \\ \= \: \  \# \! and any other: the character itself
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<Properties> ParseProperties(std::string_view text) {
  Properties props;
  for (const LogicalLine& line : LogicalLines(text)) {
    const std::string& s = line.text;
    // The key ends at the first unescaped '=', ':' or whitespace.
    size_t key_end = 0;
    bool has_separator = false;
    while (key_end < s.size()) {
      const char c = s[key_end];
      if (c == '\\') {
        key_end += 2;
        continue;
      }
      if (c == '=' || c == ':') {
        has_separator = true;
        break;
      }
      if (IsSpace(c)) break;
      ++key_end;
    }
    key_end = std::min(key_end, s.size());
    size_t value_start = key_end;
    // Whitespace, then at most one '=' or ':', then whitespace.
    while (value_start < s.size() && IsSpace(s[value_start])) ++value_start;
    if (!has_separator && value_start < s.size() && (s[value_start] == '=' || s[value_start] == ':')) {
      has_separator = true;
    }
    if (has_separator && value_start < s.size() && (s[value_start] == '=' || s[value_start] == ':')) {
      ++value_start;
      while (value_start < s.size() && IsSpace(s[value_start])) ++value_start;
    }
    SAMSA_ASSIGN_OR_RETURN(std::string key, Unescape(std::string_view(s).substr(0, key_end), line.line_number));
    SAMSA_ASSIGN_OR_RETURN(std::string value,
                           Unescape(std::string_view(s).substr(value_start), line.line_number));
    props[std::move(key)] = std::move(value);
  }
  return props;
}

absl::StatusOr<Properties> LoadPropertiesFile(Env* env, const std::string& path) {
  absl::StatusOr<std::string> text = ReadFileToString(env, path);
  if (!text.ok()) {
    return KafkaError(ErrorCode::kInvalidConfig,
                      fmt::format("cannot read {}: {}", path, std::string(text.status().message())));
  }
  absl::StatusOr<Properties> props = ParseProperties(*text);
  if (!props.ok()) {
    return KafkaError(ErrorCode::kInvalidConfig,
                      fmt::format("{}: {}", path, std::string(props.status().message())));
  }
  return props;
}

std::string FormatProperties(const Properties& props) {
  const auto escape = [](std::string_view s, bool is_key) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
      const char c = s[i];
      switch (c) {
        case '\\': out += "\\\\"; break;
        case '\t': out += "\\t"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\f': out += "\\f"; break;
        case '=': case ':': case '#': case '!':
          out.push_back('\\');
          out.push_back(c);
          break;
        case ' ':
          if (is_key || i == 0) out.push_back('\\');
          out.push_back(' ');
          break;
        default: out.push_back(c);
      }
    }
    return out;
  };
  std::string out;
  for (const auto& [key, value] : props) {
    out += escape(key, true);
    out += '=';
    out += escape(value, false);
    out += '\n';
  }
  return out;
}

}  // namespace samsa

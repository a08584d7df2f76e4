// java.util.Properties grammar, rule by rule (per the Properties.load javadoc).
#include <catch2/catch.hpp>

#include "samsa/config.h"
#include "samsa/errors.h"

namespace samsa {
namespace {

Properties Parse(std::string_view text) {
  absl::StatusOr<Properties> props = ParseProperties(text);
  REQUIRE(props.ok());
  return *props;
}

TEST_CASE("key and value split at '=', ':' or whitespace", "[config][properties]") {
  auto p = Parse("a=1\nb:2\nc 3\nd = 4\ne : 5\nf\t\t6\n");
  CHECK(p == Properties{{"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}, {"e", "5"}, {"f", "6"}});
}

TEST_CASE("whitespace before '=' then one separator is skipped, a second one is value", "[config][properties]") {
  auto p = Parse("a  =  =x\nb==y\nc :=z\n");
  CHECK(p.at("a") == "=x");
  CHECK(p.at("b") == "=y");
  CHECK(p.at("c") == "=z");
}

TEST_CASE("comment and blank lines are skipped, '#' inside a value is kept", "[config][properties]") {
  auto p = Parse("# comment\n! also\n   # indented comment\n\nk=v # not a comment\n");
  CHECK(p.size() == 1);
  CHECK(p.at("k") == "v # not a comment");
}

TEST_CASE("a key alone has an empty value", "[config][properties]") {
  auto p = Parse("lonely\nempty=\n");
  CHECK(p.at("lonely").empty());
  CHECK(p.at("empty").empty());
}

TEST_CASE("an odd number of trailing backslashes continues the line", "[config][properties]") {
  auto p = Parse("list=a,\\\n    b,\\\n    c\npath=C:\\\\\nnext=1\n");
  CHECK(p.at("list") == "a,b,c");
  CHECK(p.at("path") == "C:\\");  // two backslashes: an escaped one, no continuation
  CHECK(p.at("next") == "1");
}

TEST_CASE("escapes: backslash t, n, r, f, uXXXX and escaped separators", "[config][properties]") {
  auto p = Parse("k\\=ey\\ 1=v\\tx\\ny\nu=\\u00e9\\u4e2d\nother=\\q\n");
  CHECK(p.at("k=ey 1") == "v\tx\ny");
  CHECK(p.at("u") == "\xc3\xa9\xe4\xb8\xad");  // é and 中 in UTF-8
  CHECK(p.at("other") == "q");
}

TEST_CASE("a malformed backslash-u escape is an error naming the line", "[config][properties]") {
  absl::StatusOr<Properties> p = ParseProperties("a=1\nb=\\u12g4\n");
  REQUIRE_FALSE(p.ok());
  CHECK(std::string(p.status().message()).find("line 2") != std::string::npos);
}

TEST_CASE("CRLF and CR line ends work like LF", "[config][properties]") {
  auto p = Parse("a=1\r\nb=2\rc=3");
  CHECK(p == Properties{{"a", "1"}, {"b", "2"}, {"c", "3"}});
}

TEST_CASE("later keys override earlier ones", "[config][properties]") {
  CHECK(Parse("a=1\na=2\n").at("a") == "2");
}

TEST_CASE("FormatProperties output parses back to the same map", "[config][properties]") {
  Properties p{{"plain", "value"}, {"with space", " leading"}, {"eq=uals", "a:b#c!d"},
               {"nl", "line1\nline2"}, {"tab", "\tx"}, {"bs", "C:\\dir\\"}, {"empty", ""}};
  CHECK(Parse(FormatProperties(p)) == p);
}

}  // namespace
}  // namespace samsa

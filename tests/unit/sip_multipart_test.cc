// Multipart bodies (RFC 2046 §5.1): taken apart within bounds, malformed ones refused
// with a reason, and rebuilt so that they parse back.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "signaling/sip/multipart.h"

namespace sbc::sip {
namespace {

using namespace std::string_literals;

const std::string kSipI =
    "preamble, ignored\r\n"
    "--b1\r\n"
    "Content-Type: application/sdp\r\n\r\n"
    "v=0\r\no=- 1 1 IN IP4 10.20.30.40\r\n"
    "\r\n--b1  \r\n"  // transport padding after a delimiter
    "Content-Type: application/ISUP;version=itu-t92+\r\n"
    "Content-Disposition: signal;\r\n handling=optional\r\n"  // folded
    "Content-Transfer-Encoding: binary\r\n\r\n"
    "\x01\x02\r\n\x03"
    "\r\n--b1--\r\nepilogue, ignored";

std::vector<BodyPart> parse(std::string_view body, std::string_view boundary = "b1",
                            const char** error = nullptr, MultipartLimits limits = {}) {
  std::vector<BodyPart> parts;
  const char* err = parseMultipart(body, boundary, limits, parts);
  if (error) *error = err;
  return parts;
}

TEST(Multipart, SplitsSdpAndIsup) {
  const char* err = nullptr;
  std::vector<BodyPart> parts = parse(kSipI, "b1", &err);
  ASSERT_EQ(err, nullptr) << err;
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].contentType, "application/sdp");
  EXPECT_EQ(parts[0].body, "v=0\r\no=- 1 1 IN IP4 10.20.30.40\r\n");
  EXPECT_EQ(parts[1].contentType, "application/ISUP;version=itu-t92+");
  EXPECT_EQ(parts[1].contentDisposition, "signal;\r\n handling=optional");
  EXPECT_EQ(parts[1].body, std::string_view("\x01\x02\r\n\x03"));
}

TEST(Multipart, BodyStartingWithItsBoundaryAndPartsWithoutHeadersOrBody) {
  std::vector<BodyPart> parts =
      parse("--b1\r\n\r\nplain text\r\n--b1\r\nContent-Type: text/plain\r\n\r\n--b1--");
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].contentType, "");  // text/plain by default (RFC 2046 §5.1.1)
  EXPECT_EQ(parts[0].body, "plain text");
  EXPECT_EQ(parts[1].contentType, "text/plain");
  EXPECT_EQ(parts[1].body, "");
}

TEST(Multipart, MalformedBodiesAreRefusedWithAReason) {
  struct Case {
    std::string body;
    std::string_view reason;
  };
  std::vector<Case> cases = {
      {"no boundary at all", "without its boundary"},
      {"--b1--\r\n", "without parts"},
      {"--b1\r\nContent-Type: text/plain\r\n\r\nnever closed", "not closed"},
      {"--b1x\r\n\r\nbody\r\n--b1--", "followed by other text"},
      {"--b1\r\nContent-Type: text/plain\r\nno blank line\r\n--b1--", "without an empty line"},
      {"--b1\r\nContent-Type text/plain\r\n\r\nx\r\n--b1--", "without a colon"},
      {"--b1\r\nContent-Type: nonsense\r\n\r\nx\r\n--b1--", "malformed Content-Type"},
      {"--b1\r\nContent-Type: text/plain\r\nContent-Type: text/html\r\n\r\nx\r\n--b1--",
       "two Content-Type"},
      {"--b1\r\nX-A: a\0b\r\n\r\nx\r\n--b1--"s, "control character"},
      {"--b1\r\n" + std::string(2000, 'X') + ": y\r\n\r\nx\r\n--b1--", "headers too long"},
  };
  for (const Case& c : cases) {
    const char* err = nullptr;
    parse(c.body, "b1", &err);
    ASSERT_NE(err, nullptr) << c.body;
    EXPECT_NE(std::string_view(err).find(c.reason), std::string_view::npos)
        << c.body << " -> " << err;
  }
}

TEST(Multipart, PartCountIsBounded) {
  std::string body;
  for (int i = 0; i < 9; ++i)
    body += "--b1\r\nContent-Type: text/plain\r\n\r\nx\r\n";
  body += "--b1--";
  const char* err = nullptr;
  parse(body, "b1", &err);
  ASSERT_NE(err, nullptr);
  EXPECT_STREQ(err, "too many parts in a multipart body");
  MultipartLimits more;
  more.maxParts = 9;
  EXPECT_EQ(parse(body, "b1", &err, more).size(), 9u);
  EXPECT_EQ(err, nullptr);
}

TEST(Multipart, BoundaryParameterIsCheckedAndUnquoted) {
  auto boundaryOf = [](std::string_view contentType, std::string_view& out) {
    MediaType ct;
    EXPECT_EQ(parseMediaType(contentType, false, ct), nullptr) << contentType;
    return multipartBoundary(ct, out);
  };
  std::string_view b;
  EXPECT_EQ(boundaryOf("multipart/mixed;boundary=unique-boundary-1", b), nullptr);
  EXPECT_EQ(b, "unique-boundary-1");
  EXPECT_EQ(boundaryOf("multipart/mixed; boundary=\"with space:and=more\"", b), nullptr);
  EXPECT_EQ(b, "with space:and=more");
  EXPECT_NE(boundaryOf("multipart/mixed", b), nullptr);
  EXPECT_NE(boundaryOf("multipart/mixed;boundary=\"\"", b), nullptr);
  EXPECT_NE(boundaryOf("multipart/mixed;boundary=\"ends with space \"", b), nullptr);
  EXPECT_NE(boundaryOf("multipart/mixed;boundary=" + std::string(71, 'a'), b), nullptr);
  EXPECT_NE(boundaryOf("multipart/mixed;boundary=\"a\\\"b\"", b), nullptr);
}

TEST(Multipart, BuiltBodiesParseBack) {
  std::vector<BodyPart> parts = {
      {"application/sdp", {}, "v=0\r\n"},
      {"application/ISUP;version=itu-t92+", "signal;handling=optional", "\x01\x02"},
  };
  std::string body = buildMultipart(parts, "sbc-xyz");
  const char* err = nullptr;
  std::vector<BodyPart> back = parse(body, "sbc-xyz", &err);
  ASSERT_EQ(err, nullptr) << err;
  ASSERT_EQ(back.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(back[i].contentType, parts[i].contentType);
    EXPECT_EQ(back[i].contentDisposition, parts[i].contentDisposition);
    EXPECT_EQ(back[i].body, parts[i].body);
  }
}

}  // namespace
}  // namespace sbc::sip

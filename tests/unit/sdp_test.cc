// Unit tests of the SDP module: round trips, typed reads and edits, and every parse error.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "signaling/sdp/fields.h"
#include "signaling/sdp/section.h"
#include "signaling/sdp/session.h"

namespace sbc::sdp {
namespace {

// Test texts are written with "\n" and sent with CRLF, as endpoints do.
std::string crlf(std::string_view lf) {
  std::string out;
  for (char c : lf) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

std::string readSample(const std::string& name) {
  std::ifstream in(std::string(SBC_SOURCE_DIR) + "/tests/data/sdp/" + name, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

SessionDescription parseOk(std::string_view text) {
  ParseResult r = SessionDescription::parse(text);
  EXPECT_TRUE(r.ok()) << r.error().toString();
  return std::move(r).value();
}

ParseError parseFail(std::string_view text) {
  ParseResult r = SessionDescription::parse(text);
  EXPECT_FALSE(r.ok()) << "parsed unexpectedly";
  return r.error();
}

constexpr std::string_view kG711 =
    "v=0\n"
    "o=alice 2890844526 2890844526 IN IP4 192.0.2.10\n"
    "s=-\n"
    "c=IN IP4 192.0.2.10\n"
    "t=0 0\n"
    "m=audio 49170 RTP/AVP 0 8 101\n"
    "a=rtpmap:0 PCMU/8000\n"
    "a=rtpmap:8 PCMA/8000\n"
    "a=rtpmap:101 telephone-event/8000\n"
    "a=fmtp:101 0-16\n"
    "a=ptime:20\n"
    "a=sendrecv\n";

// A description whose session level and media sections differ for fallback tests.
constexpr std::string_view kTwoStreams =
    "v=0\n"
    "o=- 1 1 IN IP4 192.0.2.1\n"
    "s=-\n"
    "c=IN IP4 192.0.2.1\n"
    "t=0 0\n"
    "a=sendonly\n"
    "m=audio 4000 RTP/AVP 0\n"
    "a=rtpmap:0 PCMU/8000\n"
    "m=video 5000 RTP/AVP 96\n"
    "c=IN IP4 192.0.2.2\n"
    "b=AS:512\n"
    "a=rtpmap:96 H264/90000\n"
    "a=recvonly\n";

// Session level with the minimum and the given media sections.
std::string withMedia(std::string_view media) {
  return crlf(std::string("v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n") +
              std::string(media));
}

// ---------------------------------------------------------------------------------------
// Round trips

class SampleRoundTrip : public ::testing::TestWithParam<const char*> {};

TEST_P(SampleRoundTrip, SerializesByteForByte) {
  std::string text = readSample(GetParam());
  ASSERT_FALSE(text.empty()) << "missing sample " << GetParam();
  ASSERT_NE(text.find("\r\n"), std::string::npos) << "samples are stored with CRLF";
  SessionDescription sd = parseOk(text);
  EXPECT_EQ(sd.serialize(), text);
}

INSTANTIATE_TEST_SUITE_P(Samples, SampleRoundTrip,
                         ::testing::Values("g711_offer.sdp", "srtp_offer.sdp", "webrtc_offer.sdp",
                                           "audio_video_offer.sdp", "answer_inactive.sdp",
                                           "ipv6_multicast.sdp"));

TEST(SdpRoundTrip, CrlfInline) {
  std::string text = crlf(kG711);
  EXPECT_EQ(parseOk(text).serialize(), text);
}

TEST(SdpRoundTrip, BareLfIsKept) {
  std::string text(kG711);
  SessionDescription sd = parseOk(text);
  EXPECT_EQ(sd.lineEnd(), LineEnd::kLf);
  EXPECT_EQ(sd.serialize(), text);
}

TEST(SdpRoundTrip, MixedLineEndsAreKeptPerLine) {
  std::string text = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\ns=-\r\nc=IN IP4 192.0.2.1\nt=0 0\r\n";
  EXPECT_EQ(parseOk(text).serialize(), text);
}

TEST(SdpRoundTrip, MissingFinalTerminatorBecomesCrlf) {
  std::string text = crlf(kG711);
  text.resize(text.size() - 2);
  EXPECT_EQ(parseOk(text).serialize(), crlf(kG711));
}

TEST(SdpRoundTrip, MissingFinalTerminatorFollowsBareLfInput) {
  std::string text(kG711);
  text.pop_back();
  EXPECT_EQ(parseOk(text).serialize(), std::string(kG711));
}

TEST(SdpRoundTrip, TrailingBlankLinesAreKept) {
  std::string text = crlf(kG711) + "\r\n\r\n";
  EXPECT_EQ(parseOk(text).serialize(), text);
}

TEST(SdpRoundTrip, UnknownLinesAndAttributesKeepTheirPlace) {
  std::string text = crlf(
      "v=0\n"
      "o=- 1 1 IN IP4 192.0.2.1\n"
      "s=-\n"
      "x=vendor extension line\n"
      "c=IN IP4 192.0.2.1\n"
      "t=0 0\n"
      "a=X-nat:0\n"
      "m=audio 4000 RTP/AVP 0\n"
      "y=another\n"
      "a=zzz\n"
      "a=rtpmap:0 PCMU/8000\n"
      "a=X-unknown:with: colons and spaces\n");
  SessionDescription sd = parseOk(text);
  EXPECT_EQ(sd.serialize(), text);
  EXPECT_EQ(sd.lines()[3].type, 'x');
  EXPECT_EQ(sd.lines()[3].value, "vendor extension line");
  EXPECT_EQ(*sd.media(0).attribute("X-unknown"), "with: colons and spaces");
}

TEST(SdpRoundTrip, IrregularSpacingIsKept) {
  std::string text = withMedia("m=audio  4000   RTP/AVP 0  8\na=rtpmap:0  PCMU/8000\n");
  SessionDescription sd = parseOk(text);
  EXPECT_EQ(sd.serialize(), text);
  EXPECT_EQ(sd.media(0).port(), 4000);
  EXPECT_EQ(sd.media(0).rtpmap(0)->encoding, "PCMU");
}

TEST(SdpRoundTrip, ReparseOfOutputIsStable) {
  std::string text = readSample("webrtc_offer.sdp");
  std::string once = parseOk(text).serialize();
  EXPECT_EQ(parseOk(once).serialize(), once);
}

TEST(SdpRoundTrip, SerializeToAppends) {
  SessionDescription sd = parseOk(crlf(kG711));
  std::string out = "prefix:";
  sd.serializeTo(out);
  EXPECT_EQ(out, "prefix:" + crlf(kG711));
}

TEST(SdpRoundTrip, DefaultDescriptionIsEmpty) {
  SessionDescription sd;
  EXPECT_EQ(sd.serialize(), "");
  EXPECT_EQ(sd.mediaCount(), 0u);
  EXPECT_FALSE(sd.origin().has_value());
  EXPECT_FALSE(sd.bumpVersion());
}

TEST(SdpRoundTrip, AddedLinesUseTheInputLineEnding) {
  SessionDescription sd = parseOk(kG711);  // bare LF
  ASSERT_EQ(sd.media(0).addAttribute("maxptime", "40"), nullptr);
  std::string expected(kG711);
  expected += "a=maxptime:40\n";
  EXPECT_EQ(sd.serialize(), expected);
}

// ---------------------------------------------------------------------------------------
// Structure

TEST(SdpStructure, SessionAndMediaLevels) {
  SessionDescription sd = parseOk(crlf(kTwoStreams));
  EXPECT_EQ(sd.lines().size(), 6u);
  EXPECT_EQ(sd.lines()[0].type, 'v');
  EXPECT_EQ(sd.lines()[0].end, LineEnd::kCrlf);
  ASSERT_EQ(sd.mediaCount(), 2u);
  EXPECT_EQ(sd.media().size(), 2u);
  EXPECT_EQ(sd.media(1).lines().size(), 4u);
  EXPECT_EQ(sd.media(1).mediaLine(), "video 5000 RTP/AVP 96");
}

TEST(SdpStructure, SessionName) {
  EXPECT_EQ(parseOk(crlf(kG711)).sessionName(), "-");
  EXPECT_EQ(parseOk(readSample("srtp_offer.sdp")).sessionName(), "SRTP call");
}

TEST(SdpStructure, ParseResultOnErrorHoldsEmptyDescription) {
  ParseResult r = SessionDescription::parse("x");
  EXPECT_FALSE(r);
  EXPECT_EQ(r.value().serialize(), "");
  ParseResult ok = SessionDescription::parse(crlf(kG711));
  EXPECT_TRUE(ok);
  EXPECT_EQ(ok.error().line, 0u);
  EXPECT_TRUE(ok.error().reason.empty());
}

// ---------------------------------------------------------------------------------------
// o=

TEST(SdpOrigin, Fields) {
  SessionDescription sd = parseOk(crlf(kG711));  // the fields view into it
  auto o = sd.origin();
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->username, "alice");
  EXPECT_EQ(o->sessionId, "2890844526");
  EXPECT_EQ(o->sessionVersion, "2890844526");
  EXPECT_EQ(o->netType, "IN");
  EXPECT_EQ(o->addrType, "IP4");
  EXPECT_EQ(o->address, "192.0.2.10");
}

TEST(SdpOrigin, SetOriginRewritesTheLine) {
  SessionDescription sd = parseOk(crlf(kG711));
  Origin o{"sbc", "42", "7", "IN", "IP4", "203.0.113.1"};
  ASSERT_EQ(sd.setOrigin(o), nullptr);
  std::string expected = crlf(kG711);
  expected.replace(expected.find("alice 2890844526 2890844526 IN IP4 192.0.2.10"),
                   std::string_view("alice 2890844526 2890844526 IN IP4 192.0.2.10").size(),
                   "sbc 42 7 IN IP4 203.0.113.1");
  EXPECT_EQ(sd.serialize(), expected);
}

TEST(SdpOrigin, SetOriginAcceptsViewsIntoItself) {
  SessionDescription sd = parseOk(crlf(kG711));
  Origin o = *sd.origin();
  o.address = "203.0.113.1";
  ASSERT_EQ(sd.setOrigin(o), nullptr);
  EXPECT_EQ(sd.lines()[1].value, "alice 2890844526 2890844526 IN IP4 203.0.113.1");
}

TEST(SdpOrigin, SetOriginRejectsBadFields) {
  SessionDescription sd = parseOk(crlf(kG711));
  EXPECT_NE(sd.setOrigin({"a b", "1", "1", "IN", "IP4", "192.0.2.1"}), nullptr);
  EXPECT_NE(sd.setOrigin({"", "1", "1", "IN", "IP4", "192.0.2.1"}), nullptr);
  EXPECT_NE(sd.setOrigin({"a", "x1", "1", "IN", "IP4", "192.0.2.1"}), nullptr);
  EXPECT_NE(sd.setOrigin({"a", "1", "1", "IN", "IP4", "192.0.2.1\r\nx=injected"}), nullptr);
  EXPECT_EQ(sd.serialize(), crlf(kG711));
}

TEST(SdpOrigin, SetOriginOnEmptyDescriptionAddsTheLine) {
  SessionDescription sd;
  ASSERT_EQ(sd.setOrigin({"a", "1", "2", "IN", "IP4", "192.0.2.1"}), nullptr);
  EXPECT_EQ(sd.serialize(), "o=a 1 2 IN IP4 192.0.2.1\r\n");
}

TEST(SdpOrigin, BumpVersion) {
  SessionDescription sd = parseOk(crlf(kG711));
  ASSERT_TRUE(sd.bumpVersion());
  EXPECT_EQ(sd.origin()->sessionVersion, "2890844527");
  EXPECT_EQ(sd.origin()->sessionId, "2890844526");
  std::string expected = crlf(kG711);
  expected.replace(expected.find("2890844526 IN"), 10, "2890844527");
  EXPECT_EQ(sd.serialize(), expected);
}

TEST(SdpOrigin, BumpVersionCarries) {
  SessionDescription sd = parseOk(withMedia(""));
  ASSERT_EQ(sd.setOrigin({"-", "5", "199", "IN", "IP4", "192.0.2.1"}), nullptr);
  ASSERT_TRUE(sd.bumpVersion());
  EXPECT_EQ(sd.origin()->sessionVersion, "200");
  ASSERT_EQ(sd.setOrigin({"-", "5", "999", "IN", "IP4", "192.0.2.1"}), nullptr);
  ASSERT_TRUE(sd.bumpVersion());
  EXPECT_EQ(sd.origin()->sessionVersion, "1000");
}

TEST(SdpOrigin, BumpVersionBeyond64Bits) {
  SessionDescription sd = parseOk(crlf(
      "v=0\no=- 1 99999999999999999999999 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"));
  ASSERT_TRUE(sd.bumpVersion());
  EXPECT_EQ(sd.origin()->sessionVersion, "100000000000000000000000");
}

TEST(SdpOrigin, BumpVersionKeepsSpacing) {
  SessionDescription sd =
      parseOk(crlf("v=0\no=-  1  41  IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"));
  ASSERT_TRUE(sd.bumpVersion());
  EXPECT_EQ(sd.lines()[1].value, "-  1  42  IN IP4 192.0.2.1");
}

// ---------------------------------------------------------------------------------------
// c=

TEST(SdpConnection, SessionLevel) {
  SessionDescription sd = parseOk(crlf(kG711));
  auto c = sd.connection();
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->netType, "IN");
  EXPECT_EQ(c->addrType, "IP4");
  EXPECT_EQ(c->address, "192.0.2.10");
  EXPECT_FALSE(c->ttl.has_value());
  EXPECT_FALSE(c->addressCount.has_value());
}

TEST(SdpConnection, MediaLevelAndFallback) {
  SessionDescription sd = parseOk(crlf(kTwoStreams));
  EXPECT_FALSE(sd.media(0).connection().has_value());
  EXPECT_EQ(sd.media(1).connection()->address, "192.0.2.2");
  EXPECT_EQ(sd.effectiveConnection(0)->address, "192.0.2.1");
  EXPECT_EQ(sd.effectiveConnection(1)->address, "192.0.2.2");
  EXPECT_TRUE(sd.hasConnection());
  EXPECT_FALSE(sd.media(0).hasConnection());
}

TEST(SdpConnection, MulticastTtlAndCount) {
  SessionDescription sd = parseOk(readSample("ipv6_multicast.sdp"));
  auto s = sd.connection();
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->address, "233.252.0.1");
  EXPECT_EQ(s->ttl, 127u);
  EXPECT_FALSE(s->addressCount.has_value());
  auto v = sd.media(1).connection();
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->addrType, "IP6");
  EXPECT_EQ(v->address, "ff15::101");
  EXPECT_FALSE(v->ttl.has_value());
  EXPECT_EQ(v->addressCount, 3u);
}

TEST(SdpConnection, Ip4TtlAndCount) {
  Connection c;
  ASSERT_EQ(parseConnection("IN IP4 233.252.0.1/127/3", c), nullptr);
  EXPECT_EQ(c.ttl, 127u);
  EXPECT_EQ(c.addressCount, 3u);
  EXPECT_EQ(formatConnection(c), "IN IP4 233.252.0.1/127/3");
}

TEST(SdpConnection, HostnameAddress) {
  Connection c;
  ASSERT_EQ(parseConnection("IN IP4 media.example.com", c), nullptr);
  EXPECT_EQ(c.address, "media.example.com");
  ASSERT_EQ(parseConnection("IN IP6 media6.example.com", c), nullptr);
}

TEST(SdpConnection, SetConnectionReplacesInPlace) {
  SessionDescription sd = parseOk(crlf(kG711));
  ASSERT_EQ(sd.setConnection({"IN", "IP4", "203.0.113.5"}), nullptr);
  std::string expected = crlf(kG711);
  expected.replace(expected.find("c=IN IP4 192.0.2.10"), 19, "c=IN IP4 203.0.113.5");
  EXPECT_EQ(sd.serialize(), expected);
}

TEST(SdpConnection, SetConnectionIp6) {
  SessionDescription sd = parseOk(crlf(kG711));
  ASSERT_EQ(sd.setConnection({"IN", "IP6", "2001:db8::1"}), nullptr);
  EXPECT_EQ(sd.lines()[3].value, "IN IP6 2001:db8::1");
  EXPECT_EQ(sd.connection()->addrType, "IP6");
}

TEST(SdpConnection, SetConnectionAddsInRfcOrder) {
  SessionDescription sd =
      parseOk(withMedia("m=audio 4000 RTP/AVP 0\ni=info\nb=AS:64\na=ptime:20\n"));
  ASSERT_EQ(sd.media(0).setConnection({"IN", "IP4", "198.51.100.1"}), nullptr);
  EXPECT_EQ(sd.serialize(), withMedia("m=audio 4000 RTP/AVP 0\ni=info\nc=IN IP4 198.51.100.1\n"
                                      "b=AS:64\na=ptime:20\n"));
}

TEST(SdpConnection, SetConnectionAddsAtSessionLevelBeforeTiming) {
  SessionDescription sd = parseOk(crlf("v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nt=0 0\n"));
  ASSERT_EQ(sd.setConnection({"IN", "IP4", "192.0.2.9"}), nullptr);
  EXPECT_EQ(sd.serialize(),
            crlf("v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.9\nt=0 0\n"));
}

TEST(SdpConnection, SetConnectionCollapsesSeveralLines) {
  SessionDescription sd = parseOk(
      withMedia("m=video 5000 RTP/AVP 96\nc=IN IP4 233.252.0.1/127\nc=IN IP4 233.252.0.2/127\n"
                "a=rtpmap:96 H264/90000\n"));
  ASSERT_EQ(sd.media(0).setConnection({"IN", "IP4", "192.0.2.50"}), nullptr);
  EXPECT_EQ(sd.serialize(),
            withMedia("m=video 5000 RTP/AVP 96\nc=IN IP4 192.0.2.50\na=rtpmap:96 H264/90000\n"));
}

TEST(SdpConnection, SetConnectionRejectsInvalid) {
  SessionDescription sd = parseOk(crlf(kG711));
  EXPECT_NE(sd.setConnection({"IN", "IP4", "300.1.1.1"}), nullptr);
  EXPECT_NE(sd.setConnection({"ATM", "IP4", "192.0.2.1"}), nullptr);
  EXPECT_NE(sd.setConnection({"IN", "IP5", "192.0.2.1"}), nullptr);
  EXPECT_NE(sd.setConnection({"IN", "IP4", ""}), nullptr);
  EXPECT_NE(sd.setConnection({"IN", "IP4", "192.0.2.1/5"}), nullptr);
  EXPECT_NE(sd.setConnection({"IN", "IP4", "192.0.2.1 x"}), nullptr);
  EXPECT_NE(sd.setConnection({"IN", "IP6", "2001:db8::1", 5, std::nullopt}), nullptr);
  EXPECT_EQ(sd.serialize(), crlf(kG711));
}

TEST(SdpConnection, RewriteConnectionsEverywhere) {
  SessionDescription sd = parseOk(crlf(kTwoStreams));
  ASSERT_EQ(sd.rewriteConnections({"IN", "IP4", "203.0.113.9"}), nullptr);
  std::string expected(kTwoStreams);
  expected.replace(expected.find("c=IN IP4 192.0.2.1"), 18, "c=IN IP4 203.0.113.9");
  expected.replace(expected.find("c=IN IP4 192.0.2.2"), 18, "c=IN IP4 203.0.113.9");
  EXPECT_EQ(sd.serialize(), crlf(expected));
}

TEST(SdpConnection, RewriteConnectionsWithViewsIntoItself) {
  SessionDescription sd = parseOk(readSample("webrtc_offer.sdp"));
  Connection c = *sd.media(0).connection();
  c.address = "198.51.100.77";
  ASSERT_EQ(sd.rewriteConnections(c), nullptr);
  EXPECT_FALSE(sd.hasConnection());  // there was none at session level
  EXPECT_EQ(sd.media(0).connection()->address, "198.51.100.77");
  EXPECT_EQ(sd.media(1).connection()->address, "198.51.100.77");
  EXPECT_EQ(sd.media(1).connection()->netType, "IN");
}

TEST(SdpConnection, RewriteConnectionsRejectsInvalid) {
  SessionDescription sd = parseOk(crlf(kTwoStreams));
  EXPECT_NE(sd.rewriteConnections({"IN", "IP4", "not an address"}), nullptr);
  EXPECT_EQ(sd.serialize(), crlf(kTwoStreams));
}

// ---------------------------------------------------------------------------------------
// m=

TEST(SdpMedia, Fields) {
  SessionDescription sd = parseOk(crlf(kG711));
  const MediaDescription& m = sd.media(0);
  EXPECT_EQ(m.type(), "audio");
  EXPECT_EQ(m.port(), 49170);
  EXPECT_EQ(m.proto(), "RTP/AVP");
  EXPECT_EQ(m.formats(), (std::vector<std::string_view>{"0", "8", "101"}));
  EXPECT_FALSE(m.mediaField().portCount.has_value());
}

TEST(SdpMedia, PortCount) {
  SessionDescription sd = parseOk(readSample("ipv6_multicast.sdp"));
  MediaField f = sd.media(1).mediaField();
  EXPECT_EQ(f.port, 51372);
  EXPECT_EQ(f.portCount, 2u);
  EXPECT_EQ(formatMediaField(f), "video 51372/2 RTP/AVP 99");
}

TEST(SdpMedia, NonRtpFormats) {
  SessionDescription sd =
      parseOk(withMedia("m=application 9 UDP/DTLS/SCTP webrtc-datachannel\na=sctp-port:5000\n"));
  EXPECT_EQ(sd.media(0).formats(), (std::vector<std::string_view>{"webrtc-datachannel"}));
  EXPECT_EQ(sd.media(0).proto(), "UDP/DTLS/SCTP");
}

TEST(SdpMedia, SetPortRewritesOnlyThePort) {
  SessionDescription sd = parseOk(crlf(kG711));
  sd.media(0).setPort(30000);
  std::string expected = crlf(kG711);
  expected.replace(expected.find("49170"), 5, "30000");
  EXPECT_EQ(sd.serialize(), expected);
  EXPECT_EQ(sd.media(0).port(), 30000);
}

TEST(SdpMedia, SetPortKeepsPortCountAndSpacing) {
  SessionDescription sd = parseOk(withMedia("m=video  51372/2 RTP/AVP 99\n"));
  sd.media(0).setPort(0);
  EXPECT_EQ(sd.media(0).mediaLine(), "video  0/2 RTP/AVP 99");
  EXPECT_EQ(sd.media(0).port(), 0);
  sd.media(0).setPort(65535);
  EXPECT_EQ(sd.media(0).mediaLine(), "video  65535/2 RTP/AVP 99");
}

TEST(SdpMedia, SetProto) {
  SessionDescription sd = parseOk(crlf(kG711));
  ASSERT_EQ(sd.media(0).setProto("RTP/SAVP"), nullptr);
  EXPECT_EQ(sd.media(0).mediaLine(), "audio 49170 RTP/SAVP 0 8 101");
  EXPECT_NE(sd.media(0).setProto(""), nullptr);
  EXPECT_NE(sd.media(0).setProto("RTP AVP"), nullptr);
  EXPECT_NE(sd.media(0).setProto("RTP//AVP"), nullptr);
  EXPECT_EQ(sd.media(0).proto(), "RTP/SAVP");
}

TEST(SdpMedia, SetFormats) {
  SessionDescription sd = parseOk(crlf(kG711));
  std::vector<std::string_view> f{"8", "0"};
  ASSERT_EQ(sd.media(0).setFormats(f), nullptr);
  EXPECT_EQ(sd.media(0).mediaLine(), "audio 49170 RTP/AVP 8 0");
  EXPECT_NE(sd.media(0).setFormats({}), nullptr);
  std::vector<std::string_view> bad{"8", "9 10"};
  EXPECT_NE(sd.media(0).setFormats(bad), nullptr);
  EXPECT_EQ(sd.media(0).mediaLine(), "audio 49170 RTP/AVP 8 0");
}

TEST(SdpMedia, RemoveFormatDropsItsAttributes) {
  SessionDescription sd = parseOk(withMedia(
      "m=video 5000 RTP/AVP 96 97 98\na=rtpmap:96 VP8/90000\na=rtcp-fb:96 nack\n"
      "a=rtpmap:97 rtx/90000\na=fmtp:97 apt=96\na=rtpmap:98 H264/90000\na=rtcp-fb:* ccm fir\n"));
  ASSERT_EQ(sd.media(0).removeFormat("97"), nullptr);
  EXPECT_EQ(sd.serialize(), withMedia("m=video 5000 RTP/AVP 96 98\na=rtpmap:96 VP8/90000\n"
                                      "a=rtcp-fb:96 nack\na=rtpmap:98 H264/90000\n"
                                      "a=rtcp-fb:* ccm fir\n"));
  ASSERT_EQ(sd.media(0).removeFormat("96"), nullptr);
  EXPECT_EQ(sd.serialize(),
            withMedia("m=video 5000 RTP/AVP 98\na=rtpmap:98 H264/90000\na=rtcp-fb:* ccm fir\n"));
}

TEST(SdpMedia, RemoveFormatFailures) {
  SessionDescription sd = parseOk(withMedia("m=audio 4000 RTP/AVP 0\na=rtpmap:0 PCMU/8000\n"));
  EXPECT_STREQ(sd.media(0).removeFormat("8"), "format is not in the m= line");
  EXPECT_STREQ(sd.media(0).removeFormat("0"), "cannot remove the last format of an m= line");
  EXPECT_EQ(sd.serialize(), withMedia("m=audio 4000 RTP/AVP 0\na=rtpmap:0 PCMU/8000\n"));
}

// ---------------------------------------------------------------------------------------
// Attributes

TEST(SdpAttribute, FirstAndAll) {
  SessionDescription sd = parseOk(crlf(kG711));
  const MediaDescription& m = sd.media(0);
  EXPECT_EQ(*m.attribute("rtpmap"), "0 PCMU/8000");
  EXPECT_EQ(m.attributes("rtpmap"), (std::vector<std::string_view>{"0 PCMU/8000", "8 PCMA/8000",
                                                                   "101 telephone-event/8000"}));
  EXPECT_EQ(*m.attribute("ptime"), "20");
  EXPECT_TRUE(m.attributes("nothing").empty());
}

TEST(SdpAttribute, FlagsAndAbsence) {
  SessionDescription sd = parseOk(crlf(kG711));
  EXPECT_EQ(sd.media(0).attribute("sendrecv"), std::optional<std::string_view>(""));
  EXPECT_TRUE(sd.media(0).hasAttribute("sendrecv"));
  EXPECT_FALSE(sd.media(0).attribute("sendonly").has_value());
  EXPECT_FALSE(sd.hasAttribute("sendrecv"));  // session level has none
}

TEST(SdpAttribute, NamesAreCaseSensitive) {
  SessionDescription sd = parseOk(withMedia("m=audio 4000 RTP/AVP 0\na=PTime:20\n"));
  EXPECT_FALSE(sd.media(0).hasAttribute("ptime"));
  EXPECT_TRUE(sd.media(0).hasAttribute("PTime"));
}

TEST(SdpAttribute, EmptyValueAfterColon) {
  SessionDescription sd = parseOk(withMedia("m=audio 4000 RTP/AVP 0\na=label:\n"));
  EXPECT_EQ(sd.media(0).attribute("label"), std::optional<std::string_view>(""));
}

TEST(SdpAttribute, AddFlagAndValue) {
  SessionDescription sd = parseOk(crlf(kG711));
  ASSERT_EQ(sd.media(0).addAttribute("rtcp-mux"), nullptr);
  ASSERT_EQ(sd.media(0).addAttribute("maxptime", "40"), nullptr);
  EXPECT_EQ(sd.serialize(), crlf(std::string(kG711) + "a=rtcp-mux\na=maxptime:40\n"));
}

TEST(SdpAttribute, SessionLevelAddGoesBeforeMedia) {
  SessionDescription sd = parseOk(crlf(kG711));
  ASSERT_EQ(sd.addAttribute("tool", "sbc"), nullptr);
  std::string expected = crlf(kG711);
  expected.insert(expected.find("m=audio"), "a=tool:sbc\r\n");
  EXPECT_EQ(sd.serialize(), expected);
}

TEST(SdpAttribute, SetReplacesFirstAndRemovesOthers) {
  SessionDescription sd =
      parseOk(withMedia("m=audio 4000 RTP/AVP 0\na=ptime:20\na=x:1\na=ptime:30\na=y\n"));
  ASSERT_EQ(sd.media(0).setAttribute("ptime", "40"), nullptr);
  EXPECT_EQ(sd.serialize(), withMedia("m=audio 4000 RTP/AVP 0\na=ptime:40\na=x:1\na=y\n"));
  ASSERT_EQ(sd.media(0).setAttribute("y"), nullptr);
  ASSERT_EQ(sd.media(0).setAttribute("z"), nullptr);
  EXPECT_EQ(sd.serialize(), withMedia("m=audio 4000 RTP/AVP 0\na=ptime:40\na=x:1\na=y\na=z\n"));
}

TEST(SdpAttribute, SetAppendsWhenAbsent) {
  SessionDescription sd = parseOk(withMedia("m=audio 4000 RTP/AVP 0\n"));
  ASSERT_EQ(sd.media(0).setAttribute("ptime", "20"), nullptr);
  EXPECT_EQ(sd.serialize(), withMedia("m=audio 4000 RTP/AVP 0\na=ptime:20\n"));
}

TEST(SdpAttribute, SetWithViewIntoItself) {
  SessionDescription sd = parseOk(withMedia("m=audio 4000 RTP/AVP 0\na=label:1\na=label:2\n"));
  std::string_view second = sd.media(0).attributes("label")[1];
  ASSERT_EQ(sd.media(0).setAttribute("label", second), nullptr);
  EXPECT_EQ(sd.serialize(), withMedia("m=audio 4000 RTP/AVP 0\na=label:2\n"));
}

TEST(SdpAttribute, RemoveCountsLines) {
  SessionDescription sd = parseOk(crlf(kG711));
  EXPECT_EQ(sd.media(0).removeAttribute("rtpmap"), 3u);
  EXPECT_EQ(sd.media(0).removeAttribute("rtpmap"), 0u);
  EXPECT_FALSE(sd.media(0).hasAttribute("rtpmap"));
  EXPECT_TRUE(sd.media(0).hasAttribute("fmtp"));
}

TEST(SdpAttribute, AddRejectsBadInput) {
  SessionDescription sd = parseOk(crlf(kG711));
  MediaDescription& m = sd.media(0);
  EXPECT_STREQ(m.addAttribute(""), "attribute name is not a token");
  EXPECT_STREQ(m.addAttribute("a b"), "attribute name is not a token");
  EXPECT_STREQ(m.addAttribute("a:b", "c"), "attribute name is not a token");
  EXPECT_STREQ(m.addAttribute("x", "line\r\nm=audio 1 RTP/AVP 0"), "control character in value");
  EXPECT_STREQ(m.addAttribute("x", std::string_view("a\0b", 3)), "NUL byte in value");
  EXPECT_STREQ(m.addAttribute("rtpmap", "x PCMU/8000"), "payload type must be a number 0-127");
  EXPECT_STREQ(m.addAttribute("crypto"), "this attribute needs a value");
  EXPECT_STREQ(m.setAttribute("rtcp", "99999"), "port must be a number 0-65535");
  EXPECT_EQ(sd.serialize(), crlf(kG711));
}

// ---------------------------------------------------------------------------------------
// Direction

TEST(SdpDirection, Names) {
  EXPECT_EQ(directionName(Direction::kSendRecv), "sendrecv");
  EXPECT_EQ(directionName(Direction::kSendOnly), "sendonly");
  EXPECT_EQ(directionName(Direction::kRecvOnly), "recvonly");
  EXPECT_EQ(directionName(Direction::kInactive), "inactive");
  EXPECT_EQ(directionFromName("inactive"), Direction::kInactive);
  EXPECT_EQ(directionFromName("recvonly"), Direction::kRecvOnly);
  EXPECT_FALSE(directionFromName("SENDONLY").has_value());
}

TEST(SdpDirection, DefaultIsSendRecv) {
  SessionDescription sd = parseOk(withMedia("m=audio 4000 RTP/AVP 0\n"));
  EXPECT_FALSE(sd.direction().has_value());
  EXPECT_FALSE(sd.media(0).direction().has_value());
  EXPECT_EQ(sd.effectiveDirection(0), Direction::kSendRecv);
}

TEST(SdpDirection, MediaFallsBackToSessionLevel) {
  SessionDescription sd = parseOk(crlf(kTwoStreams));
  EXPECT_EQ(sd.direction(), Direction::kSendOnly);
  EXPECT_EQ(sd.effectiveDirection(0), Direction::kSendOnly);
  EXPECT_EQ(sd.effectiveDirection(1), Direction::kRecvOnly);
}

TEST(SdpDirection, SetOnMediaReplacesInPlace) {
  SessionDescription sd = parseOk(crlf(kG711));
  sd.media(0).setDirection(Direction::kSendOnly);
  std::string expected = crlf(kG711);
  expected.replace(expected.find("a=sendrecv"), 10, "a=sendonly");
  EXPECT_EQ(sd.serialize(), expected);
  EXPECT_EQ(sd.effectiveDirection(0), Direction::kSendOnly);
}

TEST(SdpDirection, SetOnMediaAppendsWhenAbsent) {
  SessionDescription sd = parseOk(crlf(kTwoStreams));
  sd.media(0).setDirection(Direction::kInactive);
  std::string expected(kTwoStreams);
  expected.insert(expected.find("m=video"), "a=inactive\n");
  EXPECT_EQ(sd.serialize(), crlf(expected));
  EXPECT_EQ(sd.effectiveDirection(0), Direction::kInactive);
}

TEST(SdpDirection, SetRemovesConflictingAttributes) {
  SessionDescription sd =
      parseOk(withMedia("m=audio 4000 RTP/AVP 0\na=sendonly\na=ptime:20\na=recvonly\n"));
  sd.media(0).setDirection(Direction::kSendRecv);
  EXPECT_EQ(sd.serialize(), withMedia("m=audio 4000 RTP/AVP 0\na=sendrecv\na=ptime:20\n"));
}

TEST(SdpDirection, SetAtSessionLevel) {
  SessionDescription sd = parseOk(crlf(kTwoStreams));
  sd.setDirection(Direction::kInactive);
  std::string expected(kTwoStreams);
  expected.replace(expected.find("a=sendonly"), 10, "a=inactive");
  EXPECT_EQ(sd.serialize(), crlf(expected));
}

TEST(SdpDirection, TrailingBlankOnFlagIsTolerated) {
  SessionDescription sd = parseOk(withMedia("m=audio 4000 RTP/AVP 0\na=recvonly \n"));
  EXPECT_EQ(sd.media(0).direction(), Direction::kRecvOnly);
}

TEST(SdpDirection, AnswerWithInactiveAndRejectedStream) {
  SessionDescription sd = parseOk(readSample("answer_inactive.sdp"));
  ASSERT_EQ(sd.mediaCount(), 2u);
  EXPECT_EQ(sd.media(0).port(), 0);
  EXPECT_EQ(sd.media(1).port(), 0);
  EXPECT_EQ(sd.effectiveDirection(0), Direction::kInactive);
  EXPECT_EQ(sd.effectiveDirection(1), Direction::kInactive);
  EXPECT_EQ(sd.sessionName(), " ");
}

// ---------------------------------------------------------------------------------------
// ICE

TEST(SdpIce, AttributeNames) {
  for (const char* n : {"ice-ufrag", "ice-pwd", "ice-options", "ice-lite", "ice-mismatch",
                        "ice-pacing", "candidate", "remote-candidates", "end-of-candidates"}) {
    EXPECT_TRUE(isIceAttribute(n)) << n;
  }
  EXPECT_FALSE(isIceAttribute("rtcp-mux"));
  EXPECT_FALSE(isIceAttribute("fingerprint"));
  EXPECT_FALSE(isIceAttribute("ICE-UFRAG"));
}

TEST(SdpIce, StripRemovesEveryIceLine) {
  std::string text = withMedia(
      "m=audio 4000 RTP/AVP 0\n"
      "a=ice-ufrag:abcd\n"
      "a=ice-pwd:0123456789012345678901\n"
      "a=candidate:1 1 udp 2122260223 192.0.2.1 4000 typ host\n"
      "a=rtcp-mux\n"
      "a=candidate:2 1 udp 1686052607 198.51.100.1 4000 typ srflx raddr 192.0.2.1 rport 4000\n"
      "a=remote-candidates:1 192.0.2.9 5000\n"
      "a=ice-mismatch\n"
      "a=end-of-candidates\n"
      "a=sendrecv\n");
  // Session-level ICE attributes go too.
  text.insert(text.find("t=0 0\r\n") + 7, "a=ice-lite\r\na=ice-options:trickle\r\n");
  SessionDescription sd = parseOk(text);
  EXPECT_EQ(sd.stripIce(), 9u);
  EXPECT_EQ(sd.serialize(), withMedia("m=audio 4000 RTP/AVP 0\na=rtcp-mux\na=sendrecv\n"));
  EXPECT_EQ(sd.stripIce(), 0u);
}

TEST(SdpIce, StripWebRtcOffer) {
  SessionDescription sd = parseOk(readSample("webrtc_offer.sdp"));
  EXPECT_EQ(sd.attributes("ice-options").size(), 1u);
  EXPECT_EQ(sd.media(0).attributes("candidate").size(), 3u);
  EXPECT_EQ(*sd.media(0).attribute("ice-ufrag"), "ETEn");
  EXPECT_EQ(sd.stripIce(), 1u + 7u + 5u);
  std::string out = sd.serialize();
  EXPECT_EQ(out.find("a=ice-"), std::string::npos);
  EXPECT_EQ(out.find("a=candidate"), std::string::npos);
  EXPECT_EQ(out.find("a=end-of-candidates"), std::string::npos);
  EXPECT_NE(out.find("a=fingerprint:sha-256"), std::string::npos);
  EXPECT_TRUE(sd.media(0).rtcpMux());
  EXPECT_TRUE(SessionDescription::parse(out).ok());
}

TEST(SdpIce, RemoveAtOneLevelOnly) {
  SessionDescription sd = parseOk(readSample("webrtc_offer.sdp"));
  EXPECT_EQ(sd.media(1).removeIceAttributes(), 5u);
  EXPECT_EQ(sd.media(0).attributes("candidate").size(), 3u);
  EXPECT_TRUE(sd.hasAttribute("ice-options"));
}

// ---------------------------------------------------------------------------------------
// The sender's description: s=, i= u= e= p=, a=ssrc cname (what topology hiding edits)

TEST(SdpDescriptive, RemoveLinesAndSessionName) {
  SessionDescription sd =
      parseOk(crlf("v=0\no=alice 1 1 IN IP4 192.0.2.10\ns=baresip\ni=Alice's phone\n"
                   "u=http://192.0.2.10/\ne=alice@example.com\np=+1 555 0100\nc=IN IP4 192.0.2.10\n"
                   "t=0 0\na=tool:baresip 1.0.0\nm=audio 4000 RTP/AVP 0\ni=mic\na=sendrecv\n"));
  EXPECT_EQ(sd.removeLines('u'), 1u);
  EXPECT_EQ(sd.removeLines('e'), 1u);
  EXPECT_EQ(sd.removeLines('p'), 1u);
  EXPECT_EQ(sd.removeLines('i'), 1u);  // this level only
  EXPECT_EQ(sd.media(0).removeLines('i'), 1u);
  EXPECT_EQ(sd.removeLines('s'), 0u);  // structure stays
  EXPECT_EQ(sd.removeLines('c'), 0u);
  EXPECT_EQ(sd.setSessionName("-"), nullptr);
  EXPECT_STREQ(sd.setSessionName(""), "empty session name");
  EXPECT_NE(sd.setSessionName("a\r\nc=IN IP4 10.0.0.1"), nullptr);
  EXPECT_EQ(sd.sessionName(), "-");
  EXPECT_EQ(sd.serialize(), crlf("v=0\no=alice 1 1 IN IP4 192.0.2.10\ns=-\nc=IN IP4 192.0.2.10\n"
                                 "t=0 0\na=tool:baresip 1.0.0\nm=audio 4000 RTP/AVP 0\n"
                                 "a=sendrecv\n"));
}

TEST(SdpDescriptive, SsrcCnames) {
  SessionDescription sd =
      parseOk(crlf("v=0\no=- 1 1 IN IP4 192.0.2.10\ns=-\nc=IN IP4 192.0.2.10\nt=0 0\n"
                   "m=audio 4000 RTP/AVP 0\na=ssrc:1234 cname:sip:alice@192.0.2.10\n"
                   "a=ssrc:1234 msid:stream track\na=ssrc:99  cname:x\na=ssrcx:1 cname:y\n"));
  MediaDescription& m = sd.media(0);
  EXPECT_STREQ(m.setSsrcCnames(""), "empty cname");
  EXPECT_NE(m.setSsrcCnames("a\nb"), nullptr);
  ASSERT_EQ(m.setSsrcCnames("k3v9"), nullptr);
  EXPECT_EQ(m.attributes("ssrc"),
            (std::vector<std::string_view>{"1234 cname:k3v9", "1234 msid:stream track",
                                           "99 cname:k3v9"}));
  EXPECT_EQ(*m.attribute("ssrcx"), "1 cname:y");
  EXPECT_TRUE(SessionDescription::parse(sd.serialize()).ok());
}

// ---------------------------------------------------------------------------------------
// a=rtcp and a=rtcp-mux

TEST(SdpRtcp, PortOnly) {
  SessionDescription sd = parseOk(readSample("srtp_offer.sdp"));
  auto r = sd.media(0).rtcp();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->port, 16385);
  EXPECT_TRUE(r->address.empty());
  EXPECT_TRUE(r->netType.empty());
}

TEST(SdpRtcp, WithAddress) {
  SessionDescription sd = parseOk(readSample("audio_video_offer.sdp"));
  auto r = sd.media(0).rtcp();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->port, 49173);
  EXPECT_EQ(r->netType, "IN");
  EXPECT_EQ(r->addrType, "IP4");
  EXPECT_EQ(r->address, "192.0.2.201");
  EXPECT_EQ(sd.media(1).rtcp()->port, 51373);
}

TEST(SdpRtcp, Absent) {
  EXPECT_FALSE(parseOk(crlf(kG711)).media(0).rtcp().has_value());
}

TEST(SdpRtcp, SetRewritesInPlace) {
  std::string text = readSample("audio_video_offer.sdp");
  SessionDescription sd = parseOk(text);
  ASSERT_EQ(sd.media(0).setRtcp({30001, "IN", "IP4", "203.0.113.9"}), nullptr);
  ASSERT_EQ(sd.media(1).setRtcp({30003, {}, {}, {}}), nullptr);
  std::string expected = text;
  expected.replace(expected.find("a=rtcp:49173 IN IP4 192.0.2.201"), 31,
                   "a=rtcp:30001 IN IP4 203.0.113.9");
  expected.replace(expected.find("a=rtcp:51373"), 12, "a=rtcp:30003");
  EXPECT_EQ(sd.serialize(), expected);
}

TEST(SdpRtcp, SetAppendsWhenAbsent) {
  SessionDescription sd = parseOk(crlf(kG711));
  ASSERT_EQ(sd.media(0).setRtcp({49171, {}, {}, {}}), nullptr);
  EXPECT_EQ(sd.serialize(), crlf(std::string(kG711) + "a=rtcp:49171\n"));
}

TEST(SdpRtcp, SetRejectsInvalid) {
  SessionDescription sd = parseOk(crlf(kG711));
  EXPECT_NE(sd.media(0).setRtcp({1, "IN", "IP4", ""}), nullptr);
  EXPECT_NE(sd.media(0).setRtcp({1, "IN", "IP4", "1.2.3"}), nullptr);
  EXPECT_NE(sd.media(0).setRtcp({1, "XX", "IP4", "192.0.2.1"}), nullptr);
  EXPECT_NE(sd.media(0).setRtcp({1, {}, {}, "192.0.2.1"}), nullptr);
  EXPECT_EQ(sd.serialize(), crlf(kG711));
}

TEST(SdpRtcp, Remove) {
  SessionDescription sd = parseOk(readSample("srtp_offer.sdp"));
  EXPECT_TRUE(sd.media(0).removeRtcp());
  EXPECT_FALSE(sd.media(0).removeRtcp());
  EXPECT_FALSE(sd.media(0).rtcp().has_value());
}

TEST(SdpRtcpMux, GetAndSet) {
  SessionDescription sd = parseOk(crlf(kG711));
  EXPECT_FALSE(sd.media(0).rtcpMux());
  sd.media(0).setRtcpMux(true);
  sd.media(0).setRtcpMux(true);  // no duplicate
  EXPECT_TRUE(sd.media(0).rtcpMux());
  EXPECT_EQ(sd.serialize(), crlf(std::string(kG711) + "a=rtcp-mux\n"));
  sd.media(0).setRtcpMux(false);
  EXPECT_FALSE(sd.media(0).rtcpMux());
  EXPECT_EQ(sd.serialize(), crlf(kG711));
}

TEST(SdpRtcpMux, WebRtcOffer) {
  SessionDescription sd = parseOk(readSample("webrtc_offer.sdp"));
  EXPECT_TRUE(sd.media(0).rtcpMux());
  EXPECT_TRUE(sd.media(1).rtcpMux());
  EXPECT_EQ(sd.media(0).rtcp()->address, "0.0.0.0");
}

// ---------------------------------------------------------------------------------------
// a=rtpmap and a=fmtp

TEST(SdpRtpmap, Lookup) {
  SessionDescription sd = parseOk(crlf(kG711));
  auto r = sd.media(0).rtpmap(101);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->payloadType, 101);
  EXPECT_EQ(r->encoding, "telephone-event");
  EXPECT_EQ(r->clockRate, 8000u);
  EXPECT_FALSE(r->channels.has_value());
  EXPECT_FALSE(sd.media(0).rtpmap(9).has_value());
}

TEST(SdpRtpmap, Channels) {
  SessionDescription sd = parseOk(readSample("webrtc_offer.sdp"));
  auto r = sd.media(0).rtpmap(111);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->encoding, "opus");
  EXPECT_EQ(r->clockRate, 48000u);
  EXPECT_EQ(r->channels, 2u);
  EXPECT_EQ(formatRtpMap(*r), "111 opus/48000/2");
}

TEST(SdpRtpmap, All) {
  SessionDescription sd = parseOk(readSample("webrtc_offer.sdp"));
  std::vector<RtpMap> maps = sd.media(1).rtpmaps();
  ASSERT_EQ(maps.size(), 2u);
  EXPECT_EQ(maps[0].payloadType, 96);
  EXPECT_EQ(maps[0].encoding, "VP8");
  EXPECT_EQ(maps[1].encoding, "rtx");
}

TEST(SdpRtpmap, SetReplacesInPlace) {
  SessionDescription sd = parseOk(crlf(kG711));
  ASSERT_EQ(sd.media(0).setRtpmap({8, "PCMA", 8000, 1}), nullptr);
  std::string expected = crlf(kG711);
  expected.replace(expected.find("a=rtpmap:8 PCMA/8000"), 20, "a=rtpmap:8 PCMA/8000/1");
  EXPECT_EQ(sd.serialize(), expected);
}

TEST(SdpRtpmap, SetAppendsWhenAbsent) {
  SessionDescription sd = parseOk(crlf(kG711));
  ASSERT_EQ(sd.media(0).setRtpmap({96, "opus", 48000, 2}), nullptr);
  EXPECT_EQ(sd.serialize(), crlf(std::string(kG711) + "a=rtpmap:96 opus/48000/2\n"));
}

TEST(SdpRtpmap, SetRejectsInvalid) {
  SessionDescription sd = parseOk(crlf(kG711));
  EXPECT_NE(sd.media(0).setRtpmap({128, "X", 8000, {}}), nullptr);
  EXPECT_NE(sd.media(0).setRtpmap({96, "", 8000, {}}), nullptr);
  EXPECT_NE(sd.media(0).setRtpmap({96, "PCMU/8000", 8000, {}}), nullptr);
  EXPECT_NE(sd.media(0).setRtpmap({96, "A B", 8000, {}}), nullptr);
  EXPECT_NE(sd.media(0).setRtpmap({96, "PCMU", 0, {}}), nullptr);
  EXPECT_NE(sd.media(0).setRtpmap({96, "PCMU", 8000, 0}), nullptr);
  EXPECT_EQ(sd.serialize(), crlf(kG711));
}

TEST(SdpFmtp, Lookup) {
  SessionDescription sd = parseOk(readSample("webrtc_offer.sdp"));
  EXPECT_EQ(*sd.media(0).fmtp(111), "minptime=10;useinbandfec=1");
  EXPECT_EQ(*sd.media(0).fmtp("63"), "111/111");
  EXPECT_EQ(*sd.media(1).fmtp(97), "apt=96");
  EXPECT_FALSE(sd.media(0).fmtp(uint8_t{0}).has_value());
  EXPECT_FALSE(sd.media(0).fmtp(uint8_t{11}).has_value());  // "111" must not match "11"
}

TEST(SdpFmtp, SetReplacesInPlace) {
  SessionDescription sd = parseOk(crlf(kG711));
  ASSERT_EQ(sd.media(0).setFmtp("101", "0-15"), nullptr);
  std::string expected = crlf(kG711);
  expected.replace(expected.find("a=fmtp:101 0-16"), 15, "a=fmtp:101 0-15");
  EXPECT_EQ(sd.serialize(), expected);
}

TEST(SdpFmtp, SetAppendsWhenAbsent) {
  SessionDescription sd = parseOk(crlf(kG711));
  ASSERT_EQ(sd.media(0).setFmtp("8", "annexb=no"), nullptr);
  EXPECT_EQ(sd.serialize(), crlf(std::string(kG711) + "a=fmtp:8 annexb=no\n"));
  EXPECT_EQ(*sd.media(0).fmtp(8), "annexb=no");
}

TEST(SdpFmtp, SetRejectsInvalid) {
  SessionDescription sd = parseOk(crlf(kG711));
  EXPECT_NE(sd.media(0).setFmtp("", "x"), nullptr);
  EXPECT_NE(sd.media(0).setFmtp("1 2", "x"), nullptr);
  EXPECT_NE(sd.media(0).setFmtp("101", "a\nb"), nullptr);
  EXPECT_EQ(sd.serialize(), crlf(kG711));
}

TEST(SdpFmtp, ParseDirectly) {
  std::string_view f, p;
  ASSERT_EQ(parseFmtp("101 0-16", f, p), nullptr);
  EXPECT_EQ(f, "101");
  EXPECT_EQ(p, "0-16");
  ASSERT_EQ(parseFmtp("101", f, p), nullptr);
  EXPECT_EQ(p, "");
  EXPECT_NE(parseFmtp("", f, p), nullptr);
  EXPECT_NE(parseFmtp(" 101 x", f, p), nullptr);
}

// ---------------------------------------------------------------------------------------
// a=crypto

TEST(SdpCrypto, Lines) {
  SessionDescription sd = parseOk(readSample("srtp_offer.sdp"));
  std::vector<Crypto> c = sd.media(0).cryptos();
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].tag, 1u);
  EXPECT_EQ(c[0].suite, "AES_CM_128_HMAC_SHA1_80");
  EXPECT_EQ(c[0].keyParams, "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32");
  EXPECT_EQ(c[0].sessionParams, "");
  EXPECT_EQ(c[1].tag, 2u);
  EXPECT_EQ(c[1].suite, "AES_CM_128_HMAC_SHA1_32");
  EXPECT_EQ(c[1].sessionParams, "UNENCRYPTED_SRTCP");
  EXPECT_EQ(sd.media(0).proto(), "RTP/SAVP");
}

TEST(SdpCrypto, ReplaceKeys) {
  std::string text = readSample("srtp_offer.sdp");
  SessionDescription sd = parseOk(text);
  EXPECT_EQ(sd.media(0).removeCryptos(), 2u);
  ASSERT_EQ(
      sd.media(0).addCrypto(
          {1, "AES_CM_128_HMAC_SHA1_80", "inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj", {}}),
      nullptr);
  ASSERT_EQ(sd.media(0).addCrypto(
                {2, "AES_256_CM_HMAC_SHA1_80", "inline:a;inline:b", "KDR=1 UNENCRYPTED_SRTP"}),
            nullptr);
  std::string out = sd.serialize();
  std::string expected = text;
  size_t b = expected.find("a=crypto:1");
  size_t e = expected.find("a=rtcp:");
  expected.erase(b, e - b);
  expected +=
      "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj\r\n"
      "a=crypto:2 AES_256_CM_HMAC_SHA1_80 inline:a;inline:b KDR=1 UNENCRYPTED_SRTP\r\n";
  EXPECT_EQ(out, expected);
  EXPECT_EQ(sd.media(0).cryptos()[1].sessionParams, "KDR=1 UNENCRYPTED_SRTP");
}

TEST(SdpCrypto, AddRejectsInvalid) {
  SessionDescription sd = parseOk(readSample("srtp_offer.sdp"));
  MediaDescription& m = sd.media(0);
  EXPECT_NE(m.addCrypto({1000000000, "AES_CM_128_HMAC_SHA1_80", "inline:x", {}}), nullptr);
  EXPECT_NE(m.addCrypto({1, "", "inline:x", {}}), nullptr);
  EXPECT_NE(m.addCrypto({1, "AES_CM_128_HMAC_SHA1_80", "", {}}), nullptr);
  EXPECT_NE(m.addCrypto({1, "AES_CM_128_HMAC_SHA1_80", "nokey", {}}), nullptr);
  EXPECT_NE(m.addCrypto({1, "AES_CM_128_HMAC_SHA1_80", "inline:x y", {}}), nullptr);
  EXPECT_NE(m.addCrypto({1, "AES_CM_128_HMAC_SHA1_80", "inline:x", "\x01"}), nullptr);
  EXPECT_EQ(m.cryptos().size(), 2u);
}

// ---------------------------------------------------------------------------------------
// Realistic rewrites, whole text compared

TEST(SdpRewrite, RelayOfferG711) {
  SessionDescription sd = parseOk(crlf(kG711));
  ASSERT_EQ(sd.setOrigin({"sbc", "2890844526", "2890844526", "IN", "IP4", "203.0.113.1"}), nullptr);
  ASSERT_TRUE(sd.bumpVersion());
  ASSERT_EQ(sd.rewriteConnections({"IN", "IP4", "203.0.113.1"}), nullptr);
  sd.media(0).setPort(40000);
  ASSERT_EQ(sd.media(0).setRtcp({40001, {}, {}, {}}), nullptr);
  EXPECT_EQ(sd.serialize(), crlf("v=0\n"
                                 "o=sbc 2890844526 2890844527 IN IP4 203.0.113.1\n"
                                 "s=-\n"
                                 "c=IN IP4 203.0.113.1\n"
                                 "t=0 0\n"
                                 "m=audio 40000 RTP/AVP 0 8 101\n"
                                 "a=rtpmap:0 PCMU/8000\n"
                                 "a=rtpmap:8 PCMA/8000\n"
                                 "a=rtpmap:101 telephone-event/8000\n"
                                 "a=fmtp:101 0-16\n"
                                 "a=ptime:20\n"
                                 "a=sendrecv\n"
                                 "a=rtcp:40001\n"));
}

TEST(SdpRewrite, WebRtcToPlainRtp) {
  SessionDescription sd = parseOk(readSample("webrtc_offer.sdp"));
  sd.stripIce();
  ASSERT_EQ(sd.rewriteConnections({"IN", "IP4", "198.51.100.20"}), nullptr);
  for (size_t i = 0; i < sd.mediaCount(); ++i) {
    MediaDescription& m = sd.media(i);
    m.setPort(static_cast<uint16_t>(20000 + 2 * i));
    ASSERT_EQ(m.setProto("RTP/AVP"), nullptr);
    ASSERT_EQ(m.setRtcp({static_cast<uint16_t>(20001 + 2 * i), "IN", "IP4", "198.51.100.20"}),
              nullptr);
    m.setRtcpMux(false);
    m.removeAttribute("fingerprint");
    m.removeAttribute("setup");
  }
  std::string out = sd.serialize();
  SessionDescription again = parseOk(out);
  EXPECT_EQ(again.serialize(), out);
  EXPECT_EQ(again.media(0).mediaLine(), "audio 20000 RTP/AVP 111 63 9 0 8 13 110 126");
  EXPECT_EQ(again.media(1).mediaLine(), "video 20002 RTP/AVP 96 97");
  EXPECT_EQ(again.media(1).rtcp()->port, 20003);
  EXPECT_EQ(again.effectiveConnection(1)->address, "198.51.100.20");
  EXPECT_FALSE(again.media(0).rtcpMux());
  EXPECT_EQ(out.find("a=fingerprint"), std::string::npos);
}

TEST(SdpRewrite, HoldByDirection) {
  SessionDescription sd = parseOk(readSample("audio_video_offer.sdp"));
  for (MediaDescription& m : sd.media()) {
    m.setDirection(Direction::kSendOnly);
  }
  EXPECT_EQ(sd.effectiveDirection(0), Direction::kSendOnly);
  EXPECT_EQ(sd.effectiveDirection(1), Direction::kSendOnly);
  EXPECT_EQ(sd.media(1).attributes("recvonly").size(), 0u);
  EXPECT_EQ(sd.media(1).lines().back().value, "sendonly");  // replaced in place: it was last
}

// ---------------------------------------------------------------------------------------
// Leniency

TEST(SdpLenient, SessionLinesInAnyOrder) {
  std::string text = crlf(
      "v=0\nt=0 0\nc=IN IP4 192.0.2.1\ns=-\na=tool:x\nb=AS:64\no=- 1 1 IN IP4 192.0.2.1\n"
      "m=audio 4000 RTP/AVP 0\n");
  SessionDescription sd = parseOk(text);
  EXPECT_EQ(sd.serialize(), text);
  EXPECT_EQ(sd.origin()->address, "192.0.2.1");
}

TEST(SdpLenient, OpaqueLines) {
  SessionDescription sd = parseOk(readSample("ipv6_multicast.sdp"));
  int seen = 0;
  for (const Line& l : sd.lines()) {
    if (std::string_view("iuepbtrzk").find(l.type) != std::string_view::npos) ++seen;
  }
  EXPECT_EQ(seen, 8);
  EXPECT_EQ(sd.origin()->addrType, "IP6");
  EXPECT_EQ(sd.origin()->address, "2001:db8::10");
}

TEST(SdpLenient, EmptySessionName) {
  SessionDescription sd = parseOk(crlf("v=0\no=- 1 1 IN IP4 192.0.2.1\ns=\nt=0 0\n"));
  EXPECT_EQ(sd.sessionName(), "");
}

TEST(SdpLenient, NoMediaNeedsNoConnection) {
  EXPECT_TRUE(SessionDescription::parse(crlf("v=0\no=- 1 1 IN IP4 h\ns=-\nt=0 0\n")).ok());
}

TEST(SdpLenient, MediaLevelConnectionsOnly) {
  SessionDescription sd = parseOk(readSample("webrtc_offer.sdp"));
  EXPECT_FALSE(sd.connection().has_value());
  EXPECT_EQ(sd.effectiveConnection(0)->address, "203.0.113.141");
}

TEST(SdpLenient, OriginAcceptsHostnameAndOtherNetTypes) {
  SessionDescription sd = parseOk(crlf("v=0\no=- 1 1 IN IP4 host.example.com\ns=-\nt=0 0\n"));
  EXPECT_EQ(sd.origin()->address, "host.example.com");
}

TEST(SdpLenient, VersionWithTrailingBlank) {
  EXPECT_TRUE(SessionDescription::parse(crlf("v=0 \no=- 1 1 IN IP4 h\ns=-\nt=0 0\n")).ok());
}

TEST(SdpLenient, TabsAndUtf8InValues) {
  std::string text = crlf("v=0\no=- 1 1 IN IP4 h\ns=Caf\xc3\xa9\tcall\nt=0 0\n");
  SessionDescription sd = parseOk(text);
  EXPECT_EQ(sd.serialize(), text);
}

TEST(SdpLenient, TimingInMediaSectionKeptOpaque) {
  std::string text = withMedia("m=audio 4000 RTP/AVP 0\nt=0 0\n");
  EXPECT_EQ(parseOk(text).serialize(), text);
}

TEST(SdpLenient, SizeLimitsAreInclusive) {
  std::string lines = crlf("v=0\no=- 1 1 IN IP4 h\ns=-\nt=0 0\n");
  for (int i = 4; i < 1000; ++i) {
    lines += "a=x\r\n";
  }
  EXPECT_TRUE(SessionDescription::parse(lines).ok()) << "1000 lines";

  std::string big = crlf("v=0\no=- 1 1 IN IP4 h\ns=-\nt=0 0\n");
  big += "a=" + std::string(SessionDescription::kMaxBytes - big.size() - 4, 'y') + "\r\n";
  EXPECT_EQ(big.size(), SessionDescription::kMaxBytes);
  EXPECT_TRUE(SessionDescription::parse(big).ok()) << "64 KiB";
}

TEST(SdpLenient, BoundsApplyToOwnOutputToo) {
  // A 64 KiB body without its final CRLF parses; written back with the CRLF it is over the
  // bound, as is an edit that grows a 1000-line body. The B2BUA sees these as 488 later.
  std::string text = crlf("v=0\no=- 1 1 IN IP4 h\ns=-\nt=0 0\n");
  text += "a=" + std::string(SessionDescription::kMaxBytes - text.size() - 2, 'y');
  ASSERT_EQ(text.size(), SessionDescription::kMaxBytes);
  SessionDescription sd = parseOk(text);
  std::string out = sd.serialize();
  EXPECT_EQ(out, text + "\r\n");
  EXPECT_EQ(parseFail(out).reason, "session description larger than 65536 bytes");
}

// ---------------------------------------------------------------------------------------
// Field parsers

TEST(SdpFields, CheckAddress) {
  EXPECT_EQ(checkAddress("IP4", "0.0.0.0"), nullptr);
  EXPECT_EQ(checkAddress("IP4", "255.255.255.255"), nullptr);
  EXPECT_EQ(checkAddress("IP4", "gw-1.example.com"), nullptr);
  EXPECT_STREQ(checkAddress("IP4", "256.1.1.1"), "IP4 address is not a dotted quad");
  EXPECT_STREQ(checkAddress("IP4", "1.2.3"), "IP4 address is not a dotted quad");
  EXPECT_STREQ(checkAddress("IP4", "1.2.3.4.5"), "IP4 address is not a dotted quad");
  EXPECT_STREQ(checkAddress("IP4", "1..2.3"), "IP4 address is not a dotted quad");
  EXPECT_STREQ(checkAddress("IP4", "1234.1.1.1"), "IP4 address is not a dotted quad");
  EXPECT_STREQ(checkAddress("IP4", "::1"), "IP4 address is neither a dotted quad nor a hostname");
  EXPECT_STREQ(checkAddress("IP4", "-bad.example"),
               "IP4 address is neither a dotted quad nor a hostname");
  EXPECT_STREQ(checkAddress("IP4", ""), "address missing");
  EXPECT_EQ(checkAddress("IP6", "::1"), nullptr);
  EXPECT_EQ(checkAddress("IP6", "2001:db8::1"), nullptr);
  EXPECT_EQ(checkAddress("IP6", "::ffff:192.0.2.1"), nullptr);
  EXPECT_STREQ(checkAddress("IP6", "2001:db8:::1"), "invalid IP6 address");
  EXPECT_STREQ(checkAddress("IP6", std::string(60, ':')), "invalid IP6 address");
}

TEST(SdpFields, IsToken) {
  EXPECT_TRUE(isToken("ice-ufrag"));
  EXPECT_TRUE(isToken("X_vendor.1"));
  EXPECT_FALSE(isToken(""));
  EXPECT_FALSE(isToken("a b"));
  EXPECT_FALSE(isToken("a:b"));
  EXPECT_FALSE(isToken("a/b"));
  EXPECT_FALSE(isToken("caf\xc3\xa9"));
}

TEST(SdpFields, CheckLineText) {
  EXPECT_EQ(checkLineText("plain\ttext \xc3\xa9"), nullptr);
  EXPECT_STREQ(checkLineText(std::string_view("\0", 1)), "NUL byte in value");
  EXPECT_STREQ(checkLineText("\x7f"), "control character in value");
  EXPECT_STREQ(checkLineText("\x1b[0m"), "control character in value");
}

TEST(SdpFields, SplitAttribute) {
  Attribute a = splitAttribute("rtpmap:0 PCMU/8000");
  EXPECT_EQ(a.name, "rtpmap");
  EXPECT_EQ(a.value, "0 PCMU/8000");
  EXPECT_TRUE(a.hasValue);
  a = splitAttribute("sendrecv");
  EXPECT_EQ(a.name, "sendrecv");
  EXPECT_FALSE(a.hasValue);
  a = splitAttribute("fingerprint:sha-1 4A:AD");
  EXPECT_EQ(a.value, "sha-1 4A:AD");
}

TEST(SdpFields, FormatOrigin) {
  EXPECT_EQ(formatOrigin({"u", "1", "2", "IN", "IP6", "::1"}), "u 1 2 IN IP6 ::1");
}

// ---------------------------------------------------------------------------------------
// Errors: each names the line and says what is wrong

struct ErrorCase {
  const char* name;
  std::string text;  // with "\n" line ends; sent as CRLF
  uint32_t line;
  const char* reason;
};

void PrintTo(const ErrorCase& c, std::ostream* os) {
  *os << c.name;
}

class SdpError : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(SdpError, NamesLineAndReason) {
  const ErrorCase& c = GetParam();
  ParseError e = parseFail(crlf(c.text));
  EXPECT_EQ(e.line, c.line);
  EXPECT_EQ(e.reason, c.reason);
}

constexpr const char* kHead = "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n";

std::string head(std::string_view rest) {
  return std::string(kHead) + std::string(rest);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SdpError,
    ::testing::Values(
        ErrorCase{"FirstLineNotVersion", "o=- 1 1 IN IP4 h\nv=0\n", 1, "first line must be v=0"},
        ErrorCase{"WrongVersion", "v=1\no=- 1 1 IN IP4 h\ns=-\nt=0 0\n", 1,
                  "first line must be v=0"},
        ErrorCase{"LeadingBlankLine", "\nv=0\n", 1, "first line must be v=0"},
        ErrorCase{"SecondVersion", head("v=0\n"), 6,
                  "v= must be the first line and appear only once"},
        ErrorCase{"NotTypeEqualsValue", head("hello world\n"), 6,
                  "line is not of the form <type>=<value>"},
        ErrorCase{"SingleLetterLine", head("a\n"), 6, "line is not of the form <type>=<value>"},
        ErrorCase{"SpaceBeforeEquals", head("a =x\n"), 6, "line is not of the form <type>=<value>"},
        ErrorCase{"UppercaseType", head("A=foo\n"), 6,
                  "line type must be a single lowercase letter a-z"},
        ErrorCase{"DigitType", head("1=foo\n"), 6,
                  "line type must be a single lowercase letter a-z"},
        ErrorCase{"EmptyLineInside", "v=0\no=- 1 1 IN IP4 h\n\ns=-\nt=0 0\n", 3, "empty line"},
        ErrorCase{"ControlCharacter", head("a=x\x01y\n"), 6, "control character in value"},
        ErrorCase{"Escape", head("s=\x1b[31m\n"), 6, "control character in value"},
        ErrorCase{"Delete", head("a=x\x7f\n"), 6, "control character in value"},
        ErrorCase{"MissingOrigin", "v=0\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n", 0,
                  "missing o= line at session level"},
        ErrorCase{"MissingSessionName", "v=0\no=- 1 1 IN IP4 h\nt=0 0\n", 0,
                  "missing s= line at session level"},
        ErrorCase{"MissingTiming", "v=0\no=- 1 1 IN IP4 h\ns=-\nc=IN IP4 192.0.2.1\n", 0,
                  "missing t= line at session level"},
        ErrorCase{"MissingTimingBeforeMedia",
                  "v=0\no=- 1 1 IN IP4 h\ns=-\nc=IN IP4 192.0.2.1\nm=audio 1 RTP/AVP 0\nt=0 0\n", 0,
                  "missing t= line at session level"},
        ErrorCase{"DuplicateOrigin", head("o=- 1 1 IN IP4 h\n"), 6, "duplicate o= line"},
        ErrorCase{"DuplicateSessionName", head("s=again\n"), 6, "duplicate s= line"},
        ErrorCase{"OriginInMedia", head("m=audio 1 RTP/AVP 0\no=- 1 1 IN IP4 h\n"), 7,
                  "o= line inside a media section"},
        ErrorCase{"SessionNameInMedia", head("m=audio 1 RTP/AVP 0\ns=x\n"), 7,
                  "s= line inside a media section"},
        ErrorCase{"OriginFiveFields", "v=0\no=- 1 1 IN IP4\ns=-\nt=0 0\n", 2,
                  "malformed o= line: needs 6 fields: username sess-id sess-version nettype "
                  "addrtype address"},
        ErrorCase{"OriginSevenFields", "v=0\no=- 1 1 IN IP4 h x\ns=-\nt=0 0\n", 2,
                  "malformed o= line: needs 6 fields: username sess-id sess-version nettype "
                  "addrtype address"},
        ErrorCase{"OriginBadSessionId", "v=0\no=- abc 1 IN IP4 h\ns=-\nt=0 0\n", 2,
                  "malformed o= line: sess-id must be a number"},
        ErrorCase{"OriginBadVersion", "v=0\no=- 1 1.5 IN IP4 h\ns=-\nt=0 0\n", 2,
                  "malformed o= line: sess-version must be a number"},
        ErrorCase{"ConnectionNetType", head("m=audio 1 RTP/AVP 0\nc=ATM NSAP 47.0\n"), 7,
                  "malformed c= line: network type must be IN"},
        ErrorCase{"ConnectionAddrType", head("m=audio 1 RTP/AVP 0\nc=IN IP5 192.0.2.1\n"), 7,
                  "malformed c= line: address type must be IP4 or IP6"},
        ErrorCase{"ConnectionNoAddress", head("m=audio 1 RTP/AVP 0\nc=IN IP4\n"), 7,
                  "malformed c= line: needs 3 fields: nettype addrtype address"},
        ErrorCase{"ConnectionExtraField", head("m=audio 1 RTP/AVP 0\nc=IN IP4 192.0.2.1 x\n"), 7,
                  "malformed c= line: needs 3 fields: nettype addrtype address"},
        ErrorCase{"ConnectionBadQuad", head("m=audio 1 RTP/AVP 0\nc=IN IP4 192.0.2.256\n"), 7,
                  "malformed c= line: IP4 address is not a dotted quad"},
        ErrorCase{"ConnectionShortQuad", "v=0\no=- 1 1 IN IP4 h\ns=-\nc=IN IP4 10.0.1\nt=0 0\n", 4,
                  "malformed c= line: IP4 address is not a dotted quad"},
        ErrorCase{"ConnectionIp6InIp4", head("m=audio 1 RTP/AVP 0\nc=IN IP4 2001:db8::1\n"), 7,
                  "malformed c= line: IP4 address is neither a dotted quad nor a hostname"},
        ErrorCase{"ConnectionBadIp6", head("m=audio 1 RTP/AVP 0\nc=IN IP6 2001:db8::1::2\n"), 7,
                  "malformed c= line: invalid IP6 address"},
        ErrorCase{"ConnectionBadTtl", head("m=audio 1 RTP/AVP 0\nc=IN IP4 233.252.0.1/256\n"), 7,
                  "malformed c= line: ttl must be a number 0-255"},
        ErrorCase{"ConnectionBadCount", head("m=audio 1 RTP/AVP 0\nc=IN IP4 233.252.0.1/127/0\n"),
                  7, "malformed c= line: number of addresses must be a positive number"},
        ErrorCase{"ConnectionIp6Ttl", head("m=audio 1 RTP/AVP 0\nc=IN IP6 ff15::101/5/3\n"), 7,
                  "malformed c= line: an IP6 address takes no ttl"},
        ErrorCase{"DuplicateSessionConnection", head("c=IN IP4 192.0.2.2\n"), 6,
                  "duplicate c= line at session level"},
        ErrorCase{"MediaPortNotNumber", head("m=audio abc RTP/AVP 0\n"), 6,
                  "malformed m= line: port must be a number 0-65535"},
        ErrorCase{"MediaPortTooBig", head("m=audio 65536 RTP/AVP 0\n"), 6,
                  "malformed m= line: port must be a number 0-65535"},
        ErrorCase{"MediaPortNegative", head("m=audio -1 RTP/AVP 0\n"), 6,
                  "malformed m= line: port must be a number 0-65535"},
        ErrorCase{"MediaPortCount", head("m=audio 4000/x RTP/AVP 0\n"), 6,
                  "malformed m= line: number of ports must be a positive number"},
        ErrorCase{"MediaPortCountZero", head("m=audio 4000/0 RTP/AVP 0\n"), 6,
                  "malformed m= line: number of ports must be a positive number"},
        ErrorCase{"MediaNoProto", head("m=audio 4000\n"), 6,
                  "malformed m= line: needs media, port, proto and at least one format"},
        ErrorCase{"MediaNoFormat", head("m=audio 4000 RTP/AVP\n"), 6,
                  "malformed m= line: needs at least one format"},
        ErrorCase{"MediaBadProto", head("m=audio 4000 RTP//AVP 0\n"), 6,
                  "malformed m= line: proto is not a token"},
        ErrorCase{"MediaEmpty", head("m=\n"), 6,
                  "malformed m= line: needs media, port, proto and at least one format"},
        ErrorCase{"NoConnectionForMedia",
                  "v=0\no=- 1 1 IN IP4 h\ns=-\nt=0 0\nm=audio 1 RTP/AVP 0\na=sendrecv\n", 5,
                  "no c= line in this media section and none at session level"},
        ErrorCase{"NoConnectionForSecondMedia",
                  "v=0\no=- 1 1 IN IP4 h\ns=-\nt=0 0\nm=audio 1 RTP/AVP 0\nc=IN IP4 192.0.2.1\n"
                  "m=video 2 RTP/AVP 96\na=rtpmap:96 VP8/90000\nm=audio 3 RTP/AVP 0\n"
                  "c=IN IP4 192.0.2.1\n",
                  7, "no c= line in this media section and none at session level"},
        ErrorCase{"RtpmapPayloadType", head("m=audio 1 RTP/AVP 0\na=rtpmap:128 X/8000\n"), 7,
                  "malformed a=rtpmap: payload type must be a number 0-127"},
        ErrorCase{"RtpmapNoClock", head("m=audio 1 RTP/AVP 0\na=rtpmap:0 PCMU\n"), 7,
                  "malformed a=rtpmap: clock rate missing"},
        ErrorCase{"RtpmapBadClock", head("m=audio 1 RTP/AVP 0\na=rtpmap:0 PCMU/8k\n"), 7,
                  "malformed a=rtpmap: clock rate must be a positive number"},
        ErrorCase{"RtpmapBadChannels", head("m=audio 1 RTP/AVP 0\na=rtpmap:0 PCMU/8000/x\n"), 7,
                  "malformed a=rtpmap: encoding parameters (channels) must be a positive number"},
        ErrorCase{"RtpmapNoEncoding", head("m=audio 1 RTP/AVP 0\na=rtpmap:0 /8000\n"), 7,
                  "malformed a=rtpmap: encoding name missing or not a token"},
        ErrorCase{"RtpmapNoValue", head("m=audio 1 RTP/AVP 0\na=rtpmap\n"), 7,
                  "malformed a=rtpmap: needs <payload type> <encoding name>/<clock rate>"
                  "[/<encoding parameters>]"},
        ErrorCase{"RtcpBadPort", head("m=audio 1 RTP/AVP 0\na=rtcp:70000\n"), 7,
                  "malformed a=rtcp: port must be a number 0-65535"},
        ErrorCase{"RtcpPartialAddress", head("m=audio 1 RTP/AVP 0\na=rtcp:4001 IN IP4\n"), 7,
                  "malformed a=rtcp: needs <port> [IN <addrtype> <address>]"},
        ErrorCase{"RtcpBadAddress", head("m=audio 1 RTP/AVP 0\na=rtcp:4001 IN IP4 1.2.3.999\n"), 7,
                  "malformed a=rtcp: IP4 address is not a dotted quad"},
        ErrorCase{"RtcpBadNetType", head("m=audio 1 RTP/AVP 0\na=rtcp:4001 XX IP4 1.2.3.4\n"), 7,
                  "malformed a=rtcp: network type must be IN"},
        ErrorCase{"CryptoBadTag",
                  head("m=audio 1 RTP/SAVP 0\na=crypto:x AES_CM_128_HMAC_SHA1_80 inline:k\n"), 7,
                  "malformed a=crypto: tag must be a number of 1 to 9 digits"},
        ErrorCase{"CryptoLongTag",
                  head("m=audio 1 RTP/SAVP 0\na=crypto:1234567890 AES_CM_128_HMAC_SHA1_80 "
                       "inline:k\n"),
                  7, "malformed a=crypto: tag must be a number of 1 to 9 digits"},
        ErrorCase{"CryptoNoSuite", head("m=audio 1 RTP/SAVP 0\na=crypto:1\n"), 7,
                  "malformed a=crypto: crypto-suite missing"},
        ErrorCase{"CryptoNoKey", head("m=audio 1 RTP/SAVP 0\na=crypto:1 AES_CM_128_HMAC_SHA1_80\n"),
                  7, "malformed a=crypto: key-params missing"},
        ErrorCase{"CryptoKeyWithoutMethod",
                  head("m=audio 1 RTP/SAVP 0\na=crypto:1 AES_CM_128_HMAC_SHA1_80 abcdef\n"), 7,
                  "malformed a=crypto: key-params must be <key-method>:<key-info> (e.g. "
                  "inline:<key>)"},
        ErrorCase{"CryptoEmptyKeyInfo",
                  head("m=audio 1 RTP/SAVP 0\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:\n"), 7,
                  "malformed a=crypto: key-params must be <key-method>:<key-info> (e.g. "
                  "inline:<key>)"},
        ErrorCase{"CryptoBadSecondKey",
                  head("m=audio 1 RTP/SAVP 0\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:k;x\n"), 7,
                  "malformed a=crypto: key-params must be <key-method>:<key-info> (e.g. "
                  "inline:<key>)"},
        ErrorCase{"AttributeEmptyName", head("a=\n"), 6,
                  "malformed a= line: attribute name missing or not a token"},
        ErrorCase{"AttributeEmptyNameWithValue", head("a=:x\n"), 6,
                  "malformed a= line: attribute name missing or not a token"},
        ErrorCase{"AttributeNameWithSpace", head("a=foo bar\n"), 6,
                  "malformed a= line: attribute name missing or not a token"},
        ErrorCase{"SessionLevelRtpmap", head("a=rtpmap:x PCMU/8000\n"), 6,
                  "malformed a=rtpmap: payload type must be a number 0-127"}),
    [](const ::testing::TestParamInfo<ErrorCase>& info) { return std::string(info.param.name); });

TEST(SdpErrorSpecial, EmptyInput) {
  ParseError e = parseFail("");
  EXPECT_EQ(e.line, 0u);
  EXPECT_EQ(e.reason, "empty session description");
}

TEST(SdpErrorSpecial, OnlyBlankLines) {
  ParseError e = parseFail("\r\n\r\n");
  EXPECT_EQ(e.line, 1u);
  EXPECT_EQ(e.reason, "first line must be v=0");
}

TEST(SdpErrorSpecial, NulByte) {
  std::string text = crlf(head("a=x\n"));
  text[text.size() - 3] = '\0';
  ParseError e = parseFail(text);
  EXPECT_EQ(e.line, 6u);
  EXPECT_EQ(e.reason, "NUL byte in value");
}

TEST(SdpErrorSpecial, StrayCarriageReturn) {
  ParseError e = parseFail(crlf(head("a=x\ry\n")));
  EXPECT_EQ(e.line, 6u);
  EXPECT_EQ(e.reason, "CR without LF (lines must end with CRLF or LF)");
}

TEST(SdpErrorSpecial, CrOnlyLineEnds) {
  ParseError e = parseFail("v=0\ro=- 1 1 IN IP4 h\rs=-\rt=0 0\r");
  EXPECT_EQ(e.line, 1u);
  EXPECT_EQ(e.reason, "CR without LF (lines must end with CRLF or LF)");
}

TEST(SdpErrorSpecial, TooLarge) {
  std::string text = crlf(head("")) + "a=" + std::string(SessionDescription::kMaxBytes, 'x');
  ParseError e = parseFail(text);
  EXPECT_EQ(e.line, 0u);
  EXPECT_EQ(e.reason, "session description larger than 65536 bytes");
}

TEST(SdpErrorSpecial, TooManyLines) {
  std::string text = crlf(head(""));
  for (int i = 0; i < 1000; ++i) {
    text += "a=x\r\n";
  }
  ParseError e = parseFail(text);
  EXPECT_EQ(e.line, 1001u);
  EXPECT_EQ(e.reason, "more than 1000 lines");
}

TEST(SdpErrorSpecial, BlankLinesFollowedByMore) {
  ParseError e = parseFail(crlf(head("\n\na=x\n")));
  EXPECT_EQ(e.line, 6u);
  EXPECT_EQ(e.reason, "empty line");
}

TEST(SdpErrorSpecial, ToString) {
  ParseError e = parseFail(crlf(head("m=audio 99999 RTP/AVP 0\n")));
  EXPECT_EQ(e.toString(), "line 6: malformed m= line: port must be a number 0-65535");
  EXPECT_EQ(parseFail("").toString(), "empty session description");
}

TEST(SdpErrorSpecial, FirstProblemWins) {
  ParseError e = parseFail(crlf("v=0\no=- x 1 IN IP4 h\nc=IN IP9 1.2.3.4\n"));
  EXPECT_EQ(e.line, 2u);
}

}  // namespace
}  // namespace sbc::sdp

// The realms' codec policy (media.codecs, media.strip_codecs) on offers crossing the B2BUA:
// what the other leg is offered (formats, order, their a=rtpmap/a=fmtp lines), and the 488
// when nothing usable is left, for initial INVITEs and re-INVITEs.

#include <string>
#include <vector>

#include "signaling/b2bua/codec_policy.h"
#include "signaling/sdp/session.h"
#include "tests/unit/b2bua_media_fixture.h"

namespace sbc::b2bua {
namespace {

using namespace test_media;

// Alice's offer: m=audio with `formats`, and the attribute lines given.
std::string aliceOffer(std::string_view formats, std::string_view attributes, int version = 1) {
  return "v=0\r\no=alice 1 " + std::to_string(version) +
         " IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 4000 RTP/AVP " +
         std::string(formats) + "\r\n" + std::string(attributes) + "a=sendrecv\r\n";
}

constexpr const char* kRich =
    "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:9 G722/8000\r\n"
    "a=rtpmap:18 G729/8000\r\na=fmtp:18 annexb=no\r\na=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n";

std::string bobAnswer(std::string_view formats, std::string_view attributes) {
  return "v=0\r\no=bob 7 7 IN IP4 198.51.100.20\r\ns=-\r\nc=IN IP4 198.51.100.20\r\nt=0 0\r\n"
         "m=audio 5000 RTP/AVP " +
         std::string(formats) + "\r\n" + std::string(attributes) + "a=sendrecv\r\n";
}

class B2buaCodecTest : public B2buaMediaTest {
 protected:
  void configure(config::Config& c) override {
    c.realms[0].media->codecs = access;
    c.realms[1].media->codecs = core;
  }
  void SetUp() override {}  // each test sets the rules, then start()
  void start() { B2buaMediaTest::SetUp(); }

  // The m=audio formats of the SDP the SBC sent on `leg` in `key` (INVITE, 200, ...).
  std::vector<std::string> formatsSent(transport::ListenerId leg, std::string_view key) {
    std::string_view body = bodyTo(leg, key);
    sdp::ParseResult parsed = sdp::SessionDescription::parse(body);
    EXPECT_TRUE(parsed.ok()) << body;
    std::vector<std::string> out;
    if (!parsed.ok()) return out;
    for (std::string_view f : parsed.value().media(0).formats())
      out.emplace_back(f);
    return out;
  }

  topology::RealmCodecs access, core;
};

using Formats = std::vector<std::string>;

TEST_F(B2buaCodecTest, NoRulesLeaveTheOfferAsItIs) {
  start();
  inviteWith(aliceOffer("0 8 9 18 101", kRich));
  EXPECT_EQ(formatsSent(1, "INVITE"), (Formats{"0", "8", "9", "18", "101"}));
}

TEST_F(B2buaCodecTest, TheReceivingRealmAllowsAndOrders) {
  core.allow = {"G722", "PCMA", "telephone-event"};
  start();
  inviteWith(aliceOffer("0 8 9 18 101", kRich));
  EXPECT_EQ(formatsSent(1, "INVITE"), (Formats{"9", "8", "101"}));
  std::string_view body = bodyTo(1, "INVITE");
  EXPECT_EQ(body.find("PCMU"), std::string_view::npos) << body;
  EXPECT_EQ(body.find("G729"), std::string_view::npos) << body;
  EXPECT_EQ(body.find("annexb"), std::string_view::npos) << body;  // its fmtp went with it
  EXPECT_NE(body.find("a=fmtp:101 0-16"), std::string_view::npos) << body;
  // The call goes on as usual: B answers from what it was offered, A gets that answer.
  okFromB(bobAnswer("9 101", "a=rtpmap:9 G722/8000\r\na=rtpmap:101 telephone-event/8000\r\n"));
  EXPECT_EQ(formatsSent(0, "200"), (Formats{"9", "101"}));
}

TEST_F(B2buaCodecTest, TheOfferingRealmsRulesApplyToo) {
  access.allow = {"PCMU", "PCMA", "G729"};  // what the access side may use at all
  access.strip = {};
  core.strip = {"G729"};
  start();
  inviteWith(aliceOffer("18 9 8 0 101", kRich));
  // G722 and telephone-event are not in access's list, G729 is stripped by core; the order
  // is access's (core has no list).
  EXPECT_EQ(formatsSent(1, "INVITE"), (Formats{"0", "8"}));
}

TEST_F(B2buaCodecTest, StaticPayloadTypesWithoutRtpmapAreKnownByNumber) {
  core.strip = {"PCMU"};
  start();
  inviteWith(aliceOffer("0 8 18", ""));  // no a=rtpmap at all (RFC 3551 static types)
  EXPECT_EQ(formatsSent(1, "INVITE"), (Formats{"8", "18"}));
}

TEST_F(B2buaCodecTest, NoAcceptableCodecIsRefusedWith488) {
  core.allow = {"opus", "G722"};
  start();
  inviteWith(aliceOffer("0 8 101", kRich));
  expectRefused("no acceptable codec in the offer (offered: PCMU PCMA telephone-event)");
}

TEST_F(B2buaCodecTest, TelephoneEventAloneIsNoCodec) {
  core.allow = {"G722", "telephone-event"};
  start();
  inviteWith(aliceOffer("0 101", kRich));
  expectRefused("no acceptable codec in the offer (offered: PCMU telephone-event)");
}

TEST_F(B2buaCodecTest, AReInviteWithNoAcceptableCodecIsRefusedAndTheCallStays) {
  access.allow = {"PCMA", "PCMU"};
  start();
  inviteWith(aliceOffer("8 0", kRich));
  okFromB(bobAnswer("8", "a=rtpmap:8 PCMA/8000\r\n"));
  ackA();
  ASSERT_EQ(b2bua->activeCalls(), 1u);
  const size_t invitesToA = transport.sent.size();
  reinviteFromB(2, bobAnswer("9 18", "a=rtpmap:9 G722/8000\r\na=rtpmap:18 G729/8000\r\n"));
  const Sent* refused = last(1, "488");
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(refused->msg.header(sip::HeaderId::kWarning),
            "399 127.0.0.2 \"no acceptable codec in the offer (offered: G722 G729)\"");
  // Nothing went to A, and the call is still up.
  for (size_t i = invitesToA; i < transport.sent.size(); ++i)
    EXPECT_NE(transport.sent[i].to.listener, 0u);
  EXPECT_EQ(b2bua->activeCalls(), 1u);
  // A later re-INVITE with a codec both allow crosses, reordered by access's preference.
  reinviteFromB(3, bobAnswer("0 8", "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"));
  EXPECT_EQ(formatsSent(0, "INVITE"), (Formats{"8", "0"}));
}

TEST(CodecPolicy, NamesOfFormats) {
  sdp::ParseResult p =
      sdp::SessionDescription::parse(aliceOffer("0 96 97 3", "a=rtpmap:96 opus/48000/2\r\n"));
  ASSERT_TRUE(p.ok());
  const sdp::MediaDescription& md = p.value().media(0);
  EXPECT_EQ(codecNameOf(md, "0"), "PCMU");
  EXPECT_EQ(codecNameOf(md, "96"), "opus");
  EXPECT_EQ(codecNameOf(md, "97"), "97");  // dynamic without rtpmap: matches no name
  EXPECT_EQ(codecNameOf(md, "3"), "GSM");
}

TEST(CodecPolicy, OtherStreamsAndDisabledOnesAreLeftAlone) {
  sdp::ParseResult p = sdp::SessionDescription::parse(
      "v=0\r\no=a 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
      "m=audio 0 RTP/AVP 0\r\n"
      "m=video 5002 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
      "m=audio 5004 RTP/AVP 0 8\r\n");
  ASSERT_TRUE(p.ok());
  topology::RealmCodecs none, pcmaOnly;
  pcmaOnly.allow = {"PCMA"};
  std::string error;
  ASSERT_TRUE(applyCodecPolicy(p.value(), none, pcmaOnly, error)) << error;
  const std::string out = p.value().serialize();
  EXPECT_NE(out.find("m=audio 0 RTP/AVP 0\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("m=video 5002 RTP/AVP 96\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("m=audio 5004 RTP/AVP 8\r\n"), std::string::npos) << out;
}

}  // namespace
}  // namespace sbc::b2bua

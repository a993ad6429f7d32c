// SDP anchoring in the B2BUA: what each side is told, and what the media plane is asked
// to relay. A recording MediaPlane (tests/support) stands in for the DPDK fast path
// (tested on its own).

#include "tests/unit/b2bua_media_fixture.h"

namespace sbc::b2bua {
namespace {

using namespace test_media;

TEST_F(B2buaMediaTest, OfferIsAnchoredOnTheCalleesRealm) {
  invite(1);
  const Sent* inv = last(1, "INVITE");
  ASSERT_NE(inv, nullptr);
  std::string_view body = inv->msg.body();
  EXPECT_NE(body.find("c=IN IP4 10.0.4.1\r\n"), std::string_view::npos) << body;
  EXPECT_NE(body.find(" IN IP4 10.0.4.1\r\ns=-"), std::string_view::npos) << body;  // o=
  EXPECT_NE(body.find("m=audio 40000 RTP/AVP 8 101\r\n"), std::string_view::npos) << body;
  EXPECT_NE(body.find("a=rtcp:40001\r\n"), std::string_view::npos) << body;
  EXPECT_EQ(body.find("192.0.2.10"), std::string_view::npos)
      << body;  // the caller's media address is hidden
  EXPECT_EQ(body.find("ice-"), std::string_view::npos);
  EXPECT_EQ(body.find("candidate"), std::string_view::npos);
  EXPECT_NE(body.find("a=rtpmap:8 PCMA/8000"), std::string_view::npos);
  ASSERT_EQ(plane.created.size(), 1u);
  const mediaplane::StreamPair& s = plane.created[0].streams.at(0);
  EXPECT_EQ(s.a.realm, "access");
  EXPECT_EQ(s.a.local.toString(), "10.0.2.1:30000");
  EXPECT_EQ(s.a.remote.toString(), "192.0.2.10:4000");
  EXPECT_EQ(s.a.remoteRtcpPort, 4001);
  EXPECT_EQ(s.b.realm, "core");
  EXPECT_EQ(s.b.local.toString(), "10.0.4.1:40000");
  EXPECT_EQ(s.b.remote.port, 0);  // the callee's address comes with its answer
  EXPECT_EQ(plane.created[0].sources, mediaplane::SourcePolicy::kLatch);
}

TEST_F(B2buaMediaTest, AnswerIsAnchoredOnTheCallersRealmAndTheSessionCompleted) {
  invite(1);
  answerFromB(200, answer());
  const Sent* ok = last(0, "200");
  ASSERT_NE(ok, nullptr);
  std::string_view body = ok->msg.body();
  EXPECT_NE(body.find("c=IN IP4 10.0.2.1\r\n"), std::string_view::npos) << body;
  EXPECT_NE(body.find("m=audio 30000 RTP/AVP 8\r\n"), std::string_view::npos) << body;
  EXPECT_EQ(body.find("198.51.100.20"), std::string_view::npos);
  ASSERT_EQ(plane.updated.size(), 1u);
  const mediaplane::StreamPair& s = plane.updated[0].streams.at(0);
  EXPECT_EQ(s.b.remote.toString(), "198.51.100.20:5000");
  EXPECT_EQ(s.b.remoteRtcpPort, 5001);
  EXPECT_EQ(s.a.remote.toString(), "192.0.2.10:4000");
}

TEST_F(B2buaMediaTest, HoldUpdatesTheSessionAndByeRemovesIt) {
  invite(1);
  answerFromB(200, answer());
  const Sent* ok = last(0, "200");
  std::string aTag(ok->msg.to().value.tag());
  deliver(
      withSdp("ACK sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKack\r\nFrom: "
              "<sip:alice@192.0.2.10>;tag=a1\r\nTo: <sip:bob@127.0.0.1>;tag=" +
                  aTag + "\r\nCall-ID: m1@192.0.2.10\r\nCSeq: 1 ACK\r\n",
              ""),
      0, "192.0.2.10", 5060);
  std::string hold = offer();
  hold.replace(hold.find("a=sendrecv"), 10, "a=sendonly");
  deliver(
      withSdp(
          "INVITE sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP "
          "192.0.2.10;branch=z9hG4bKhold\r\nMax-Forwards: 70\r\n"
          "From: <sip:alice@192.0.2.10>;tag=a1\r\nTo: <sip:bob@127.0.0.1>;tag=" +
              aTag +
              "\r\nCall-ID: m1@192.0.2.10\r\nCSeq: 2 INVITE\r\nContact: <sip:alice@192.0.2.10>\r\n",
          hold),
      0, "192.0.2.10", 5060);
  const Sent* reinvite = last(1, "INVITE");
  ASSERT_NE(reinvite, nullptr);
  EXPECT_NE(reinvite->msg.body().find("a=sendonly"), std::string_view::npos);
  EXPECT_NE(reinvite->msg.body().find("m=audio 40000 "), std::string_view::npos);  // same ports
  EXPECT_EQ(plane.updated.size(), 2u);
  size_t sent = transport.sent.size();
  deliver(
      "BYE sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKbye\r\nMax-Forwards: "
      "70\r\n"
      "From: <sip:alice@192.0.2.10>;tag=a1\r\nTo: <sip:bob@127.0.0.1>;tag=" +
          aTag + "\r\nCall-ID: m1@192.0.2.10\r\nCSeq: 3 BYE\r\nContent-Length: 0\r\n\r\n",
      0, "192.0.2.10", 5060);
  EXPECT_GT(transport.sent.size(), sent);
  ASSERT_EQ(plane.deleted.size(), 1u);
  EXPECT_EQ(plane.deleted[0], plane.created[0].id);
}

TEST_F(B2buaMediaTest, PortsRunOutWith503) {
  invite(1);
  invite(2);
  invite(3);  // the access range holds two pairs
  const Sent* refused = last(0, "503");
  ASSERT_NE(refused, nullptr);
  std::string_view warning = refused->msg.header(sip::HeaderId::kWarning);
  EXPECT_NE(warning.find("no media resources available"), std::string_view::npos) << warning;
  EXPECT_EQ(b2bua->activeCalls(), 2u);
}

// The 503's Warning names neither realm (the other one is none of the caller's business)
// nor any table or its size: whichever side ran out, the words are the same.
TEST_F(B2buaMediaTest, MediaRefusalWarningsNameNoRealmAndNoSize) {
  auto check = [&](std::string_view warning) {
    EXPECT_NE(warning.find("no media resources available"), std::string_view::npos) << warning;
    for (std::string_view secret : {"core", "access", "realm", "table", "4096", "40000", "30000"})
      EXPECT_EQ(warning.find(secret), std::string_view::npos) << secret << " in " << warning;
  };
  invite(1);
  invite(2);
  invite(3);  // access is out of ports
  ASSERT_NE(last(0, "503"), nullptr);
  check(last(0, "503")->msg.header(sip::HeaderId::kWarning));
  plane.failNext = "the stream table is full (4096 streams)";
  size_t before = transport.sent.size();
  invite(4);
  ASSERT_NE(last(0, "503"), nullptr);
  EXPECT_GT(transport.sent.size(), before);
  check(last(0, "503")->msg.header(sip::HeaderId::kWarning));
}

std::string offerWithLines(int lines) {
  std::string sdp =
      "v=0\r\no=alice 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n";
  for (int i = 0; i < lines; ++i)
    sdp += "m=audio " + std::to_string(4000 + 2 * i) + " RTP/AVP 8\r\n";  // one line each
  return sdp;
}

// ---- issue 14, defect 7: every m= line took a port pair on both realms.

TEST_F(B2buaMediaTest, FiveHundredMediaLinesAreRefusedAndTakeNoPort) {
  deliver(withSdp("INVITE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP "
                  "192.0.2.10;branch=z9hG4bKmany\r\nMax-Forwards: 70\r\nFrom: "
                  "<sip:alice@192.0.2.10>;tag=many\r\nTo: <sip:bob@127.0.0.1>\r\nCall-ID: "
                  "many@192.0.2.10\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@192.0.2.10>\r\n",
                  offerWithLines(500)),
          0, "192.0.2.10", 5060);
  const Sent* refused = last(0, "488");
  ASSERT_NE(refused, nullptr);
  EXPECT_NE(refused->msg.header(sip::HeaderId::kWarning)
                .find("Too many media streams: 500 m= lines, at most 8"),
            std::string_view::npos)
      << refused->msg.header(sip::HeaderId::kWarning);
  EXPECT_EQ(last(1, "INVITE"), nullptr);
  EXPECT_TRUE(plane.created.empty());
  EXPECT_EQ(b2bua->counters().rejected, 1u);
  // Every port pair of the access range (two) is still there, at once.
  invite(1);
  invite(2);
  EXPECT_EQ(b2bua->activeCalls(), 2u);
  EXPECT_EQ(last(0, "503"), nullptr);
}

// A set-up that fails before its SDP leaves the SBC gives its ports straight back: no
// peer ever heard of them, so they need no quarantine (which would let a few failed
// INVITEs keep a realm's range resting).
TEST_F(B2buaMediaTest, FailedSetUpsLeaveNoPortsInQuarantine) {
  // Three m= lines: the access range (two pairs) runs out on the third, after two pairs
  // on each realm were taken.
  deliver(withSdp("INVITE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP "
                  "192.0.2.10;branch=z9hG4bKthree\r\nMax-Forwards: 70\r\nFrom: "
                  "<sip:alice@192.0.2.10>;tag=three\r\nTo: <sip:bob@127.0.0.1>\r\nCall-ID: "
                  "three@192.0.2.10\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@192.0.2.10>\r\n",
                  offerWithLines(3)),
          0, "192.0.2.10", 5060);
  ASSERT_NE(last(0, "503"), nullptr);
  // The media plane refuses a session after the ports were taken.
  plane.failNext = "no room";
  invite(9);
  ASSERT_EQ(b2bua->activeCalls(), 0u);
  plane.failNext.clear();
  size_t refusals = transport.count(503);
  // The quarantine (10 s by default) has not passed, yet both pairs are free again.
  invite(1);
  invite(2);
  EXPECT_EQ(b2bua->activeCalls(), 2u);
  EXPECT_EQ(transport.count(503), refusals);
}

// Ports a peer was told of still rest after the call (late packets must not reach the
// next call): the caller heard of its pair in early media, then the callee refused.
TEST_F(B2buaMediaTest, PortsAPeerWasToldOfStillRest) {
  invite(1);
  answerFromB(183, answer());
  ASSERT_NE(last(0, "183"), nullptr);
  respondFromB(486, "Busy Here");
  ASSERT_EQ(b2bua->activeCalls(), 0u);
  invite(2);
  invite(3);  // the first pair rests: only one is free
  EXPECT_EQ(b2bua->activeCalls(), 1u);
  EXPECT_NE(last(0, "503"), nullptr);
}

TEST_F(B2buaMediaTest, MediaPlaneRefusalIs503) {
  plane.failNext = "table full";
  invite(1);
  const Sent* refused = last(0, "503");
  ASSERT_NE(refused, nullptr);
  EXPECT_NE(refused->msg.header(sip::HeaderId::kWarning).find("no media resources available"),
            std::string_view::npos);
}

TEST_F(B2buaMediaTest, MediaTimeoutEndsTheCall) {
  invite(1);
  answerFromB(200, answer());
  ASSERT_EQ(b2bua->activeCalls(), 1u);
  plane.events.push_back(
      {mediaplane::MediaEvent::Kind::kTimeout, plane.created[0].id, 0, true, {}});
  advance(1100ms);
  EXPECT_EQ(b2bua->activeCalls(), 0u);
  EXPECT_NE(last(0, "BYE"), nullptr);
  EXPECT_NE(last(1, "BYE"), nullptr);
  EXPECT_EQ(plane.deleted.size(), 1u);
}

// A final failure from the callee ends the call: the session goes, and its ports too.
TEST_F(B2buaMediaTest, FailureRemovesTheSession) {
  invite(1);
  ASSERT_EQ(plane.created.size(), 1u);
  respondFromB(486, "Busy Here");
  ASSERT_NE(last(0, "486"), nullptr);
  ASSERT_EQ(plane.deleted.size(), 1u);
  EXPECT_EQ(plane.deleted[0], plane.created[0].id);
  EXPECT_EQ(b2bua->activeCalls(), 0u);
}

// CANCEL while the callee rings: 487 to the caller, and the session is removed.
TEST_F(B2buaMediaTest, CancelRemovesTheSession) {
  invite(1);
  respondFromB(180, "Ringing");
  ASSERT_NE(last(0, "180"), nullptr);
  deliver(
      "CANCEL sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKm1\r\n"
      "Max-Forwards: 70\r\nFrom: <sip:alice@192.0.2.10>;tag=a1\r\nTo: <sip:bob@127.0.0.1>\r\n"
      "Call-ID: m1@192.0.2.10\r\nCSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n",
      0, "192.0.2.10", 5060);
  ASSERT_NE(last(1, "CANCEL"), nullptr);
  respondFromB(487, "Request Terminated");
  ASSERT_NE(last(0, "487"), nullptr);
  ASSERT_EQ(plane.deleted.size(), 1u);
  EXPECT_EQ(plane.deleted[0], plane.created[0].id);
  EXPECT_EQ(b2bua->activeCalls(), 0u);
}

}  // namespace
}  // namespace sbc::b2bua

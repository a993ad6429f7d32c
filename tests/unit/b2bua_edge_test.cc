// The B2BUA at the public edge (issue 14, defects 10 and 11), with the fake transport:
// an untrusted realm's peer cannot steer where in-dialog requests go, a packet that names a
// dialog from elsewhere does not move the call, and bodies cross only as the receiving
// realm allows (SDP anchored also inside multipart, other parts removed).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/loader.h"
#include "signaling/b2bua/b2bua.h"
#include "signaling/b2bua/realm_context.h"
#include "signaling/sip/multipart.h"
#include "signaling/sip/parser.h"
#include "signaling/sip/response.h"
#include "signaling/timer/timer_wheel.h"
#include "signaling/transaction/transaction_layer.h"
#include "tests/support/fake_transport.h"
#include "tests/support/recording_plane.h"
#include "tests/unit/b2bua_settings.h"

namespace sbc::b2bua {
namespace {

constexpr transport::ListenerId kAccess = 0;
constexpr transport::ListenerId kCore = 1;
constexpr transport::ListenerId kAccessTcp = 2;

using test::FakeTransport;
using test::RecordingPlane;
using test::Sent;

// access says nothing about trust (untrusted, the default); core's trust is each test's.
std::string config(std::string_view coreTrust) {
  return R"(
realms:
  - name: access
    listen: [ { transport: udp, address: 127.0.0.1, port: 5060 },
              { transport: tcp, address: 127.0.0.1, port: 5060 } ]
  - name: core
    listen: [ { transport: udp, address: 127.0.0.2, port: 5060 } ]
    trust: )" +
         std::string(coreTrust) + R"(
routes:
  - name: trunk
    match: { source_realm: access }
    forward: { realm: core, host: 127.0.0.3, port: 5080, transport: udp }
    media: bypass
)";
}

std::string sdp(std::string_view ip, int port = 4000) {
  return "v=0\r\no=user 111 1 IN IP4 " + std::string(ip) + "\r\ns=-\r\nc=IN IP4 " +
         std::string(ip) + "\r\nt=0 0\r\nm=audio " + std::to_string(port) +
         " RTP/AVP 0\r\na=sendrecv\r\n";
}

std::string withBody(std::string head, const std::string& body,
                     std::string_view type = "application/sdp") {
  if (body.empty()) return head + "Content-Length: 0\r\n\r\n";
  return head + "Content-Type: " + std::string(type) +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// SIP-I (RFC 3204): the SDP and an ISUP IAM whose bytes name an internal address.
constexpr std::string_view kIsup = "\x01\x00\x49\x00\x00\x03\x02\x00\x07 10.20.30.41 \x90\x90";
std::string sipI(const std::string& sdpBody, std::string_view boundary = "unique-boundary-1") {
  std::string b(boundary);
  return "--" + b + "\r\nContent-Type: application/sdp\r\n\r\n" + sdpBody + "\r\n--" + b +
         "\r\nContent-Type: application/ISUP;version=itu-t92+\r\n"
         "Content-Disposition: signal;handling=optional\r\n\r\n" +
         std::string(kIsup) + "\r\n--" + b + "--\r\n";
}
std::string sipIType(std::string_view boundary = "unique-boundary-1") {
  return "multipart/mixed;boundary=" + std::string(boundary);
}

class B2buaEdgeTest : public ::testing::Test {
 protected:
  void start(std::string_view coreTrust, std::chrono::seconds timerC = std::chrono::seconds(185)) {
    config::LoadResult loaded = config::parseConfig(config(coreTrust));
    ASSERT_TRUE(loaded.ok()) << (loaded.errors.empty() ? "" : loaded.errors[0].toString());
    cfg = std::move(*loaded.config);
    cfg.sip.timerC = timerC;
    // Media anchored (no DPDK: a recording plane), so that no peer address may cross.
    cfg.realms[0].media = topology::MediaRange{"10.0.2.1", 30000, 30099, {}, {}};
    cfg.realms[1].media = topology::MediaRange{"10.0.4.1", 40000, 40099, {}, {}};
    cfg.mediaPlane.enabled = true;
    cfg.routes[0].media = topology::Route::Media::kAnchor;
    b2bua = std::make_unique<B2bua>(wheel, testSettings(cfg), transport.infos, &plane);
    txn = std::make_unique<transaction::TransactionLayer>(transport, wheel,
                                                          transaction::TimerConfig{}, *b2bua);
    b2bua->attach(*txn);
  }

  void deliver(const std::string& text, transport::ListenerId l, std::string_view ip,
               uint16_t port) {
    sip::Message m;
    ASSERT_TRUE(sip::parseMessage(text, sip::Framing::kDatagram, {}, m).ok()) << text;
    txn->onMessage(
        std::move(m),
        transport::Source{{transport::Protocol::kUdp, *net::IpAddress::parse(ip), port}, l, 0});
  }
  // Over TCP on the access listener, from `ip`:`port` on connection `connection`.
  void fromATcp(const std::string& text, std::string_view ip, uint16_t port,
                transport::ConnectionId connection) {
    sip::Message m;
    ASSERT_TRUE(sip::parseMessage(text, sip::Framing::kDatagram, {}, m).ok()) << text;
    txn->onMessage(
        std::move(m),
        transport::Source{
            {transport::Protocol::kTcp, *net::IpAddress::parse(ip), port}, kAccessTcp, connection});
  }
  void fromA(const std::string& text, std::string_view ip = "192.0.2.10", uint16_t port = 5060) {
    deliver(text, kAccess, ip, port);
  }
  void fromB(const std::string& text) { deliver(text, kCore, "127.0.0.3", 5080); }

  const Sent* last(transport::ListenerId l, std::string_view key) const {
    for (size_t i = transport.sent.size(); i-- > 0;) {
      const Sent& s = transport.sent[i];
      std::string k =
          s.msg.isRequest() ? std::string(s.msg.method()) : std::to_string(s.msg.statusCode());
      if (s.to.listener == l && k == key) return &s;
    }
    return nullptr;
  }
  // Whether anything was sent to `ip` (any port, any transport).
  bool sentTo(std::string_view ip) const {
    for (const Sent& s : transport.sent) {
      if (s.to.remote.address.toString() == ip) return true;
    }
    return false;
  }
  const EdgeCounters& edge(std::string_view realm) const {
    for (const RealmContext* r : b2bua->realms()) {
      if (r->name == realm) return r->edge;
    }
    static EdgeCounters none;
    ADD_FAILURE() << "no realm " << realm;
    return none;
  }

  // The caller's INVITE: its Record-Route and Contact name hosts it does not send from,
  // over TCP (an attacker scanning the core network through the SBC).
  std::string inviteA(const std::string& body = sdp("192.0.2.10"),
                      std::string_view type = "application/sdp") {
    return withBody(
        "INVITE sip:+15551234@127.0.0.1 SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKe1;rport\r\nMax-Forwards: 70\r\n"
        "Record-Route: <sip:10.9.9.9:5061;lr;transport=tcp>\r\n"
        "From: <sip:alice@192.0.2.10>;tag=atag\r\nTo: <sip:+15551234@127.0.0.1>\r\n"
        "Call-ID: edge@192.0.2.10\r\nCSeq: 1 INVITE\r\n"
        "Contact: <sip:alice@10.7.7.7:5062;transport=tcp>\r\n",
        body, type);
  }
  // B's response to our INVITE; its Contact and Record-Route name other hosts.
  std::string responseB(int code, const std::string& body = "",
                        std::string_view type = "application/sdp") {
    const sip::Message& inv = last(kCore, "INVITE")->msg;
    return withBody("SIP/2.0 " + std::to_string(code) +
                        " OK\r\nVia: " + std::string(inv.header(sip::HeaderId::kVia)) +
                        "\r\nFrom: " + std::string(inv.header(sip::HeaderId::kFrom)) +
                        "\r\nTo: " + std::string(inv.header(sip::HeaderId::kTo)) +
                        ";tag=btag\r\nCall-ID: " + std::string(inv.callId()) +
                        "\r\nCSeq: 1 INVITE\r\n"
                        "Record-Route: <sip:127.0.0.4:5070;lr;transport=tcp>\r\n"
                        "Contact: <sip:bob@127.0.0.5:5090;transport=tcp>\r\n",
                    body, type);
  }
  // A request from the caller in its dialog.
  std::string fromADialog(std::string_view method, int cseq, std::string_view branch,
                          const std::string& body = "", std::string_view type = "") {
    return withBody(std::string(method) + " sip:127.0.0.1:5060 SIP/2.0\r\n" +
                        "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK" + std::string(branch) +
                        "\r\nMax-Forwards: 70\r\nFrom: <sip:alice@192.0.2.10>;tag=atag\r\n"
                        "To: <sip:+15551234@127.0.0.1>;tag=" +
                        aTag + "\r\nCall-ID: edge@192.0.2.10\r\nCSeq: " + std::to_string(cseq) +
                        " " + std::string(method) + "\r\n",
                    body, type);
  }
  // A request from the callee in its dialog.
  std::string fromBDialog(std::string_view method, int cseq) {
    const sip::Message& inv = last(kCore, "INVITE")->msg;
    return withBody(
        std::string(method) + " sip:127.0.0.2:5060 SIP/2.0\r\n" +
            "Via: SIP/2.0/UDP 127.0.0.3:5080;branch=z9hG4bKb" + std::to_string(cseq) +
            "\r\nMax-Forwards: 70\r\nFrom: " + std::string(inv.header(sip::HeaderId::kTo)) +
            ";tag=btag\r\nTo: " + std::string(inv.header(sip::HeaderId::kFrom)) +
            "\r\nCall-ID: " + std::string(inv.callId()) + "\r\nCSeq: " + std::to_string(cseq) +
            " " + std::string(method) + "\r\nContact: <sip:bob@127.0.0.5:5090;transport=tcp>\r\n",
        "");
  }
  // An answered call with the caller's ACK in; sets aTag.
  void answeredCall() {
    fromA(inviteA());
    ASSERT_NE(last(kCore, "INVITE"), nullptr);
    fromB(responseB(200, sdp("198.51.100.20", 5000)));
    const Sent* ok = last(kAccess, "200");
    ASSERT_NE(ok, nullptr);
    aTag = std::string(ok->msg.to().value.tag());
    fromA(fromADialog("ACK", 1, "ack1"));
  }

  timer::TimePoint now = timer::Clock::now();
  timer::TimerWheel wheel{[this] { return now; }};
  FakeTransport transport{
      {test::udpListener(kAccess, "127.0.0.1", 5060, "access"),
       test::udpListener(kCore, "127.0.0.2", 5060, "core"),
       transport::ListenerInfo{kAccessTcp, transport::Protocol::kTcp,
                               *net::IpAddress::parse("127.0.0.1"), 5060, "access"}}};
  RecordingPlane plane;
  config::Config cfg;
  std::unique_ptr<B2bua> b2bua;
  std::unique_ptr<transaction::TransactionLayer> txn;
  std::string aTag;
};

// ---- defect 10: the flow, not the peer's URIs

TEST_F(B2buaEdgeTest, UntrustedCallerIsReachedOverItsFlowNotItsRecordRouteOrContact) {
  start("trusted");
  answeredCall();
  fromB(fromBDialog("INVITE", 2));  // a re-INVITE, then the callee's BYE
  const Sent* reinvite = last(kAccess, "INVITE");
  ASSERT_NE(reinvite, nullptr);
  EXPECT_EQ(reinvite->to.remote.toString(), "udp:192.0.2.10:5060");
  // The route set still travels (a proxy in front of the caller may need it).
  EXPECT_EQ(reinvite->msg.header(sip::HeaderId::kRoute), "<sip:10.9.9.9:5061;lr;transport=tcp>");
  fromB(fromBDialog("BYE", 3));
  const Sent* bye = last(kAccess, "BYE");
  ASSERT_NE(bye, nullptr);
  EXPECT_EQ(bye->to.remote.toString(), "udp:192.0.2.10:5060");
  EXPECT_FALSE(sentTo("10.9.9.9"));
  EXPECT_FALSE(sentTo("10.7.7.7"));
}

TEST_F(B2buaEdgeTest, UntrustedCallerCannotRetargetWithARefreshedContact) {
  start("trusted");
  answeredCall();
  std::string reinvite = fromADialog("INVITE", 2, "re1", sdp("192.0.2.10"), "application/sdp");
  reinvite.insert(reinvite.find("Content-Type"), "Contact: <sip:alice@10.6.6.6;transport=tcp>\r\n");
  fromA(reinvite);
  const Sent* out = last(kCore, "INVITE");
  ASSERT_NE(out, nullptr);
  fromB(withBody("SIP/2.0 200 OK\r\nVia: " + std::string(out->msg.header(sip::HeaderId::kVia)) +
                     "\r\nFrom: " + std::string(out->msg.header(sip::HeaderId::kFrom)) +
                     "\r\nTo: " + std::string(out->msg.header(sip::HeaderId::kTo)) +
                     "\r\nCall-ID: " + std::string(out->msg.callId()) +
                     "\r\nCSeq: " + std::string(out->msg.header(sip::HeaderId::kCSeq)) +
                     "\r\nContact: <sip:bob@127.0.0.3:5080>\r\n",
                 sdp("198.51.100.20", 5000)));
  fromB(fromBDialog("BYE", 2));
  const Sent* bye = last(kAccess, "BYE");
  ASSERT_NE(bye, nullptr);
  EXPECT_EQ(bye->msg.requestUri(), "sip:alice@10.6.6.6;transport=tcp");  // the target, as sent
  EXPECT_EQ(bye->to.remote.toString(), "udp:192.0.2.10:5060");           // ... over the flow
  EXPECT_FALSE(sentTo("10.6.6.6"));
}

TEST_F(B2buaEdgeTest, ASpoofedInDialogRequestIsRefusedAndDoesNotMoveTheCall) {
  start("trusted");
  answeredCall();
  size_t toB = transport.count("INFO");
  size_t servers = txn->serverTransactions();  // the INVITE's, Accepted (RFC 6026)
  // Call-ID and tags are right, the source is not the caller's: refused, counted.
  fromA(fromADialog("INFO", 2, "spoof1", "Signal=1\r\nDuration=100", "application/dtmf-relay"),
        "203.0.113.66", 5060);
  const Sent* refused = last(kAccess, "403");
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(refused->to.remote.address.toString(), "203.0.113.66");
  EXPECT_EQ(transport.count("INFO"), toB);  // nothing relayed
  // Sent once and forgotten: a forger gets no retransmissions (Timer G) and holds no
  // server transaction for 32 s (issue 14, defect 9).
  size_t sentBefore = transport.sent.size();
  for (int i = 0; i < 10; ++i) {
    now += std::chrono::milliseconds(500);
    wheel.advance(now);
  }
  EXPECT_EQ(transport.sent.size(), sentBefore);
  EXPECT_EQ(txn->serverTransactions(), servers);
  fromA(fromADialog("BYE", 3, "spoof2"), "192.0.2.10", 5999);  // the right host, another port
  EXPECT_EQ(b2bua->activeCalls(), 1u);
  fromA(fromADialog("ACK", 1, "spoof3"), "203.0.113.66", 5060);  // dropped
  EXPECT_EQ(edge("access").foreignSource, 3u);
  // The call is where it was: the callee's BYE goes to the caller's flow.
  fromB(fromBDialog("BYE", 2));
  const Sent* bye = last(kAccess, "BYE");
  ASSERT_NE(bye, nullptr);
  EXPECT_EQ(bye->to.remote.toString(), "udp:192.0.2.10:5060");
  // And the caller itself, from its flow, is still heard (its CSeq was not consumed).
  EXPECT_EQ(b2bua->activeCalls(), 0u);
}

TEST_F(B2buaEdgeTest, TheCallerFromItsFlowStillActs) {
  start("trusted");
  answeredCall();
  fromA(fromADialog("BYE", 2, "bye1"));
  EXPECT_NE(last(kAccess, "200"), nullptr);
  EXPECT_NE(last(kCore, "BYE"), nullptr);
  EXPECT_EQ(b2bua->activeCalls(), 0u);
  EXPECT_EQ(edge("access").foreignSource, 0u);
}

TEST_F(B2buaEdgeTest, ATcpCallerMayReconnectFromItsAddressButNotFromAnother) {
  start("trusted");
  auto tcp = [](std::string m) {
    for (size_t at = m.find("SIP/2.0/UDP"); at != std::string::npos; at = m.find("SIP/2.0/UDP"))
      m.replace(at, 11, "SIP/2.0/TCP");
    return m;
  };
  fromATcp(tcp(inviteA()), "192.0.2.10", 40001, 7);
  ASSERT_NE(last(kCore, "INVITE"), nullptr);
  fromB(responseB(200, sdp("198.51.100.20", 5000)));
  const Sent* ok = last(kAccessTcp, "200");
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(ok->to.connection, 7u);
  aTag = std::string(ok->msg.to().value.tag());
  fromATcp(tcp(fromADialog("ACK", 1, "ack1")), "192.0.2.10", 40001, 7);
  // Another host over TCP: refused.
  fromATcp(tcp(fromADialog("INFO", 2, "i2", "Signal=1\r\nDuration=100", "application/dtmf")),
           "203.0.113.66", 40002, 8);
  EXPECT_NE(last(kAccessTcp, "403"), nullptr);
  EXPECT_EQ(last(kCore, "INFO"), nullptr);
  // The caller on a new connection from its own address: heard, and answered there.
  fromATcp(tcp(fromADialog("INFO", 3, "i3", "Signal=1\r\nDuration=100", "application/dtmf")),
           "192.0.2.10", 40003, 9);
  EXPECT_NE(last(kCore, "INFO"), nullptr);
  fromB(fromBDialog("BYE", 2));
  const Sent* bye = last(kAccessTcp, "BYE");
  ASSERT_NE(bye, nullptr);
  EXPECT_EQ(bye->to.connection, 9u);
  EXPECT_EQ(bye->to.remote.address.toString(), "192.0.2.10");
  // Its answer comes on that connection, from its port (40003, not the INVITE's 40001): it
  // is the BYE's answer, not a forgery.
  fromATcp(sip::makeResponse(bye->msg, 200, {}, "").serialize(), "192.0.2.10", 40003, 9);
  EXPECT_EQ(txn->counters().responsesFromElsewhere, 0u);
  EXPECT_EQ(txn->counters().strayResponses, 0u);
  EXPECT_FALSE(sentTo("10.9.9.9"));
  EXPECT_FALSE(sentTo("10.7.7.7"));
  EXPECT_EQ(edge("access").foreignSource, 1u);
}

TEST_F(B2buaEdgeTest, UntrustedCalleeIsReachedWhereTheRouteSentTheInvite) {
  start("untrusted");
  answeredCall();
  const Sent* ack = last(kCore, "ACK");
  ASSERT_NE(ack, nullptr);
  EXPECT_EQ(ack->to.remote.toString(), "udp:127.0.0.3:5080");
  fromA(fromADialog("BYE", 2, "bye1"));
  const Sent* bye = last(kCore, "BYE");
  ASSERT_NE(bye, nullptr);
  EXPECT_EQ(bye->to.remote.toString(), "udp:127.0.0.3:5080");
  EXPECT_FALSE(sentTo("127.0.0.4"));
  EXPECT_FALSE(sentTo("127.0.0.5"));
}

// A 2xx that crosses our CANCEL after the call ended (here by Timer C) reaches leg B kept
// only to ACK and BYE that answer. It keeps its flow too: an untrusted callee's Contact and
// Record-Route must not steer those two requests either.
TEST_F(B2buaEdgeTest, AnAnswerAfterTheCallEndedIsAckedAndByedOverTheFlow) {
  start("untrusted", std::chrono::seconds(5));
  fromA(inviteA());
  ASSERT_NE(last(kCore, "INVITE"), nullptr);
  fromB(responseB(180));
  for (int i = 0; i < 52; ++i) {
    now += std::chrono::milliseconds(100);
    wheel.advance(now);
  }
  ASSERT_NE(last(kCore, "CANCEL"), nullptr);
  ASSERT_EQ(b2bua->activeCalls(), 0u);
  fromB(responseB(200, sdp("198.51.100.20", 5000)));
  const Sent* ack = last(kCore, "ACK");
  const Sent* bye = last(kCore, "BYE");
  ASSERT_NE(ack, nullptr);
  ASSERT_NE(bye, nullptr);
  EXPECT_EQ(ack->to.remote.toString(), "udp:127.0.0.3:5080");
  EXPECT_EQ(bye->to.remote.toString(), "udp:127.0.0.3:5080");
  EXPECT_FALSE(sentTo("127.0.0.4"));
  EXPECT_FALSE(sentTo("127.0.0.5"));
}

TEST_F(B2buaEdgeTest, TrustedTrunkKeepsItsRouteSet) {
  start("trusted");
  answeredCall();
  // RFC 3261 §12.2.1.1: the first Record-Route hop (over UDP: the realm has no TCP).
  const Sent* ack = last(kCore, "ACK");
  ASSERT_NE(ack, nullptr);
  EXPECT_EQ(ack->to.remote.toString(), "udp:127.0.0.4:5070");
  EXPECT_EQ(ack->msg.requestUri(), "sip:bob@127.0.0.5:5090;transport=tcp");
}

// ---- defect 11: bodies

TEST_F(B2buaEdgeTest, SipIFromTheCarrierReachesTheCallerAsAnchoredSdpOnly) {
  start("trusted");
  fromA(inviteA());
  fromB(responseB(200, sipI(sdp("10.20.30.40", 5000)), sipIType()));
  const Sent* ok = last(kAccess, "200");
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(ok->msg.header(sip::HeaderId::kContentType), "application/sdp");
  EXPECT_NE(ok->msg.body().find("c=IN IP4 10.0.2.1"), std::string_view::npos) << ok->bytes;
  EXPECT_EQ(ok->bytes.find("10.20.30."), std::string::npos) << ok->bytes;
  EXPECT_EQ(ok->bytes.find("boundary"), std::string::npos);
  EXPECT_EQ(edge("access").bodyPartsRemoved, 1u);
  // The callee's SDP was anchored: the relay sends the caller's media to it.
  const auto& specs = plane.updated.empty() ? plane.created : plane.updated;
  ASSERT_FALSE(specs.empty());
  ASSERT_FALSE(specs.back().streams.empty());
  EXPECT_EQ(specs.back().streams[0].b.remote.ip.toString(), "10.20.30.40");
  EXPECT_EQ(specs.back().streams[0].b.remote.port, 5000);
}

TEST_F(B2buaEdgeTest, MultipartInviteIsAnchoredAndItsIsupPartRemoved) {
  start("trusted");
  fromA(inviteA(sipI(sdp("192.0.2.10"), "quoted boundary"), sipIType("\"quoted boundary\"")));
  const Sent* inv = last(kCore, "INVITE");
  ASSERT_NE(inv, nullptr) << (last(kAccess, "400") ? last(kAccess, "400")->bytes : "");
  EXPECT_EQ(inv->msg.header(sip::HeaderId::kContentType), "application/sdp");
  EXPECT_NE(inv->msg.body().find("c=IN IP4 10.0.4.1"), std::string_view::npos) << inv->bytes;
  EXPECT_EQ(inv->bytes.find("192.0.2.10"), std::string::npos) << inv->bytes;
  EXPECT_EQ(inv->bytes.find("10.20.30.41"), std::string::npos);
}

TEST_F(B2buaEdgeTest, AllowedPartsStayInARebuiltMultipart) {
  start("trusted");
  cfg.realms[1].bodies.push_back("application/ISUP");  // core takes ISUP: a new B2BUA reads it
  b2bua.reset();
  b2bua = std::make_unique<B2bua>(wheel, testSettings(cfg), transport.infos, &plane);
  txn = std::make_unique<transaction::TransactionLayer>(transport, wheel,
                                                        transaction::TimerConfig{}, *b2bua);
  b2bua->attach(*txn);
  fromA(inviteA(sipI(sdp("192.0.2.10")), sipIType()));
  const Sent* inv = last(kCore, "INVITE");
  ASSERT_NE(inv, nullptr);
  sip::Parsed<sip::MediaType> ct = inv->msg.contentType();
  ASSERT_TRUE(ct);
  EXPECT_TRUE(ct.value.matches("multipart", "mixed"));
  std::string_view boundary = *ct.value.params.get("boundary");
  EXPECT_NE(boundary, "unique-boundary-1");  // the SBC's own
  std::vector<sip::BodyPart> parts;
  ASSERT_EQ(sip::parseMultipart(inv->msg.body(), boundary, {}, parts), nullptr);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].contentType, "application/sdp");
  EXPECT_NE(parts[0].body.find("c=IN IP4 10.0.4.1"), std::string_view::npos);
  EXPECT_EQ(parts[1].contentType, "application/ISUP;version=itu-t92+");
  EXPECT_EQ(parts[1].contentDisposition, "signal;handling=optional");
  EXPECT_EQ(parts[1].body, kIsup);
  EXPECT_EQ(inv->bytes.find("192.0.2.10"), std::string::npos);
}

TEST_F(B2buaEdgeTest, MalformedMultipartIsRefusedWith400) {
  start("trusted");
  std::string body = sipI(sdp("192.0.2.10"));
  body.resize(body.rfind("--unique-boundary-1--"));  // never closed
  fromA(inviteA(body, sipIType()));
  const Sent* refused = last(kAccess, "400");
  ASSERT_NE(refused, nullptr);
  EXPECT_NE(refused->msg.header(sip::HeaderId::kWarning).find("not closed"),
            std::string_view::npos);
  EXPECT_EQ(last(kCore, "INVITE"), nullptr);
  EXPECT_EQ(edge("access").malformedBodies, 1u);
}

TEST_F(B2buaEdgeTest, ABodyTypeNotAllowedIsRemovedAndDtmfCrosses) {
  start("trusted");
  answeredCall();
  fromA(fromADialog("INFO", 2, "info1", "<xml>10.1.1.1</xml>", "application/x-internal+xml"));
  const Sent* info = last(kCore, "INFO");
  ASSERT_NE(info, nullptr);
  EXPECT_TRUE(info->msg.body().empty());
  EXPECT_EQ(info->bytes.find("10.1.1.1"), std::string::npos);
  EXPECT_EQ(info->msg.first(sip::HeaderId::kContentType), nullptr);
  EXPECT_EQ(edge("core").bodyPartsRemoved, 1u);
  std::string dtmf =
      fromADialog("INFO", 3, "info2", "Signal=5\r\nDuration=160", "application/dtmf-relay");
  dtmf.insert(dtmf.find("Content-Type"), "Content-Disposition: info-package\r\n");
  fromA(dtmf);
  info = last(kCore, "INFO");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->msg.body(), "Signal=5\r\nDuration=160");
  EXPECT_EQ(info->msg.header(sip::HeaderId::kContentType), "application/dtmf-relay");
  EXPECT_EQ(info->msg.header(sip::HeaderId::kContentDisposition), "info-package");
}

}  // namespace
}  // namespace sbc::b2bua

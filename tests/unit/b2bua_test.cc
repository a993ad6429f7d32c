// The B2BUA's leg mapping, driven through the real transaction layer with a fake
// transport (tests/support: it records what would go on the wire) and a manual clock.

#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "config/loader.h"
#include "signaling/b2bua/b2bua.h"
#include "signaling/sdp/session.h"
#include "signaling/sip/parser.h"
#include "signaling/timer/timer_wheel.h"
#include "signaling/transaction/transaction_layer.h"
#include "tests/support/fake_transport.h"
#include "tests/unit/b2bua_settings.h"
#include "tools/sbcd/call_metrics.h"

namespace sbc::b2bua {
namespace {

using namespace std::chrono_literals;

constexpr transport::ListenerId kAccess = 0;
constexpr transport::ListenerId kCore = 1;

using test::FakeTransport;
using test::Sent;

// The listeners the config below binds: access and core.
std::vector<transport::ListenerInfo> listeners() {
  return {test::udpListener(kAccess, "127.0.0.1", 5060, "access"),
          test::udpListener(kCore, "127.0.0.2", 5060, "core")};
}

constexpr const char* kConfig = R"(
sip:
  response_map: { 503: 480 }
realms:
  - name: access
    listen: [ { transport: udp, address: 127.0.0.1, port: 5060 } ]
  - name: core
    listen: [ { transport: udp, address: 127.0.0.2, port: 5060 } ]
routes:
  - name: blocked
    match: { source_realm: access, user_prefix: "900" }
    reject: { code: 403, reason: "Premium numbers blocked" }
  - name: international
    match: { source_realm: access, user_regex: "^00([0-9]+)$" }
    forward: { realm: core, host: 127.0.0.3, port: 5080, transport: udp }
    rewrite: { request_uri_user: "+$1", to_user: "+$1", from_user: "caller" }
    media: bypass
  - name: trunk
    match: { source_realm: access, user_prefix: "+1" }
    forward: { realm: core, host: 127.0.0.3, port: 5080, transport: udp }
    media: bypass
)";

std::string sdp(std::string_view ip, std::string_view direction = "sendrecv") {
  return "v=0\r\no=user 111 1 IN IP4 " + std::string(ip) + "\r\ns=-\r\nc=IN IP4 " +
         std::string(ip) + "\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=" + std::string(direction) +
         "\r\n";
}

std::string withBody(std::string head, const std::string& body) {
  if (body.empty()) return head + "Content-Length: 0\r\n\r\n";
  return head + "Content-Type: application/sdp\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

class B2buaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config::LoadResult loaded = config::parseConfig(kConfig);
    ASSERT_TRUE(loaded.ok()) << (loaded.errors.empty() ? "" : loaded.errors[0].toString());
    config = std::move(*loaded.config);
    b2bua = std::make_unique<B2bua>(wheel, testSettings(config), transport.infos, nullptr, &stats);
    txn = std::make_unique<transaction::TransactionLayer>(transport, wheel,
                                                          transaction::TimerConfig{}, *b2bua);
    b2bua->attach(*txn);
  }

  void deliver(const std::string& text, transport::ListenerId listener, std::string_view ip,
               uint16_t port) {
    sip::Message m;
    ASSERT_TRUE(sip::parseMessage(text, sip::Framing::kDatagram, {}, m).ok()) << text;
    transport::Source from{
        transport::Endpoint{transport::Protocol::kUdp, *net::IpAddress::parse(ip), port}, listener,
        0};
    txn->onMessage(std::move(m), from);
  }
  void fromA(const std::string& text) { deliver(text, kAccess, "192.0.2.10", 5060); }
  void fromB(const std::string& text) { deliver(text, kCore, "127.0.0.3", 5080); }

  void advance(std::chrono::milliseconds d) {
    now += d;
    wheel.advance(now);
  }
  // Time passes in steps, so that timers set by timers fire in order.
  void advanceBy(std::chrono::milliseconds total, std::chrono::milliseconds step = 500ms) {
    for (std::chrono::milliseconds t{0}; t < total; t += step)
      advance(step);
  }

  // The B2BUA and its transaction layer again, with settings of the test's own.
  void restart(Settings settings) {
    txn.reset();
    b2bua = std::make_unique<B2bua>(wheel, std::move(settings), transport.infos, nullptr, &stats);
    txn = std::make_unique<transaction::TransactionLayer>(transport, wheel,
                                                          transaction::TimerConfig{}, *b2bua);
    b2bua->attach(*txn);
  }
  size_t transactions() const { return txn->serverTransactions() + txn->clientTransactions(); }

  // Messages sent on a listener after index `from`.
  std::vector<const Sent*> sentOn(transport::ListenerId l, size_t from = 0) const {
    std::vector<const Sent*> out;
    for (size_t i = from; i < transport.sent.size(); ++i) {
      if (transport.sent[i].to.listener == l) out.push_back(&transport.sent[i]);
    }
    return out;
  }
  // The last request with this method, or response with this status, sent on `l`.
  const Sent* last(transport::ListenerId l, std::string_view methodOrStatus) const {
    for (size_t i = transport.sent.size(); i-- > 0;) {
      const Sent& s = transport.sent[i];
      if (s.to.listener != l) continue;
      std::string key =
          s.msg.isRequest() ? std::string(s.msg.method()) : std::to_string(s.msg.statusCode());
      if (key == methodOrStatus) return &s;
    }
    return nullptr;
  }
  size_t count(transport::ListenerId l, std::string_view methodOrStatus) const {
    size_t n = 0;
    for (const Sent& s : transport.sent) {
      if (s.to.listener != l) continue;
      std::string key =
          s.msg.isRequest() ? std::string(s.msg.method()) : std::to_string(s.msg.statusCode());
      n += key == methodOrStatus;
    }
    return n;
  }

  // Each test number gets its own INVITE transaction.
  static std::string branchFor(std::string_view user) {
    return user == "+15551234" ? "z9hG4bKa1" : "z9hG4bKa" + std::string(user.substr(1));
  }

  // The caller's CANCEL of inviteA().
  std::string cancelA() {
    return withBody(
        "CANCEL sip:+15551234@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP "
        "192.0.2.10:5060;branch=z9hG4bKa1;rport\r\n"
        "Max-Forwards: 70\r\nFrom: \"Alice\" <sip:alice@192.0.2.10>;tag=atag\r\nTo: "
        "<sip:+15551234@127.0.0.1>\r\n"
        "Call-ID: acall@192.0.2.10\r\nCSeq: 1 CANCEL\r\n",
        "");
  }

  std::string inviteA(std::string_view user = "+15551234",
                      const std::string& body = sdp("192.0.2.10"), std::string_view extra = "") {
    return withBody("INVITE sip:" + std::string(user) +
                        "@127.0.0.1 SIP/2.0\r\n"
                        "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=" +
                        branchFor(user) +
                        ";rport\r\n"
                        "Max-Forwards: 70\r\n"
                        "Record-Route: <sip:10.9.9.9;lr>\r\n"
                        "From: \"Alice\" <sip:alice@192.0.2.10>;tag=atag\r\n"
                        "To: <sip:" +
                        std::string(user) +
                        "@127.0.0.1>\r\n"
                        "Call-ID: " +
                        (user == "+15551234" ? std::string("acall") : "call" + std::string(user)) +
                        "@192.0.2.10\r\n"
                        "CSeq: 1 INVITE\r\n"
                        "Contact: <sip:alice@192.0.2.10:5060>\r\n"
                        "User-Agent: AlicePhone/1.0\r\n"
                        "Subject: hello\r\n" +
                        std::string(extra),
                    body);
  }

  // A response from B to the INVITE we sent it, built from that INVITE.
  std::string responseB(int code, std::string_view reason, std::string_view toTag,
                        const std::string& body = "", std::string_view extra = "") {
    const Sent* inv = last(kCore, "INVITE");
    EXPECT_NE(inv, nullptr);
    const sip::Message& m = inv->msg;
    std::string to(m.header(sip::HeaderId::kTo));
    if (!toTag.empty()) to += ";tag=" + std::string(toTag);
    return withBody("SIP/2.0 " + std::to_string(code) + " " + std::string(reason) +
                        "\r\nVia: " + std::string(m.header(sip::HeaderId::kVia)) +
                        "\r\nFrom: " + std::string(m.header(sip::HeaderId::kFrom)) +
                        "\r\nTo: " + to + "\r\nCall-ID: " + std::string(m.callId()) +
                        "\r\nCSeq: " + std::string(m.header(sip::HeaderId::kCSeq)) +
                        "\r\nContact: <sip:bob@127.0.0.3:5080>\r\nServer: InternalPBX/9\r\n" +
                        std::string(extra),
                    body);
  }

  // Sets up an answered call; returns A's To tag.
  std::string answeredCall() {
    fromA(inviteA());
    fromB(responseB(180, "Ringing", "btag"));
    fromB(responseB(200, "OK", "btag", sdp("198.51.100.20")));
    const Sent* ok = last(kAccess, "200");
    EXPECT_NE(ok, nullptr);
    std::string tag(ok->msg.to().value.tag());
    fromA(withBody(
        "ACK sip:127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKack1\r\n"
        "Max-Forwards: 70\r\nFrom: \"Alice\" <sip:alice@192.0.2.10>;tag=atag\r\nTo: "
        "<sip:+15551234@127.0.0.1>;tag=" +
            tag + "\r\nCall-ID: acall@192.0.2.10\r\nCSeq: 1 ACK\r\n",
        ""));
    return tag;
  }

  std::string inDialogFromA(std::string_view method, int cseq, const std::string& aTag,
                            const std::string& body = "", std::string_view extra = "") {
    return withBody(
        std::string(method) +
            " sip:127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKa" +
            std::string(method) + std::to_string(cseq) +
            "\r\nMax-Forwards: 70\r\nFrom: \"Alice\" <sip:alice@192.0.2.10>;tag=atag\r\nTo: "
            "<sip:+15551234@127.0.0.1>;tag=" +
            aTag + "\r\nCall-ID: acall@192.0.2.10\r\nCSeq: " + std::to_string(cseq) + " " +
            std::string(method) + "\r\nContact: <sip:alice@192.0.2.10:5060>\r\n" +
            std::string(extra),
        body);
  }

  // A request from B inside the B leg's dialog.
  std::string inDialogFromB(std::string_view method, int cseq, const std::string& body = "") {
    const Sent* inv = last(kCore, "INVITE");
    std::string ourTag(inv->msg.from().value.tag());
    return withBody(
        std::string(method) +
            " sip:127.0.0.2:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.3:5080;branch=z9hG4bKb" +
            std::string(method) + std::to_string(cseq) +
            "\r\nMax-Forwards: 70\r\nFrom: <sip:+15551234@127.0.0.3>;tag=btag\r\nTo: " +
            std::string(inv->msg.header(sip::HeaderId::kFrom)) +
            "\r\nCall-ID: " + std::string(inv->msg.callId()) + "\r\nCSeq: " + std::to_string(cseq) +
            " " + std::string(method) + "\r\nContact: <sip:bob@127.0.0.3:5080>\r\n",
        body);
  }

  // Answers the last request with this method sent on `l`, as the peer would.
  std::string answer(const Sent& req, int code, std::string_view toTagIfNone = "",
                     const std::string& body = "") {
    const sip::Message& m = req.msg;
    std::string to(m.header(sip::HeaderId::kTo));
    if (!m.to().value.hasTag() && !toTagIfNone.empty()) to += ";tag=" + std::string(toTagIfNone);
    return withBody("SIP/2.0 " + std::to_string(code) +
                        " X\r\nVia: " + std::string(m.header(sip::HeaderId::kVia)) +
                        "\r\nFrom: " + std::string(m.header(sip::HeaderId::kFrom)) +
                        "\r\nTo: " + to + "\r\nCall-ID: " + std::string(m.callId()) +
                        "\r\nCSeq: " + std::string(m.header(sip::HeaderId::kCSeq)) +
                        "\r\nContact: <sip:peer@192.0.2.99>\r\n",
                    body);
  }

  static bool hasAddress(std::string_view text, std::string_view ip) {
    std::regex re("(^|[^0-9.])" + std::regex_replace(std::string(ip), std::regex("\\."), "\\.") +
                  "($|[^0-9])");
    return std::regex_search(std::string(text), re);
  }
  // Every line but SDP c=/m= (media bypass keeps the far endpoint's media address).
  static std::string withoutMediaLines(std::string_view raw) {
    std::string out;
    size_t pos = 0;
    while (pos < raw.size()) {
      size_t nl = raw.find('\n', pos);
      std::string_view line =
          raw.substr(pos, nl == std::string_view::npos ? raw.npos : nl + 1 - pos);
      if (line.substr(0, 2) != "c=" && line.substr(0, 2) != "m=") out.append(line);
      if (nl == std::string_view::npos) break;
      pos = nl + 1;
    }
    return out;
  }

  timer::TimePoint now = timer::Clock::now();
  timer::TimerWheel wheel{[this] { return now; }};
  FakeTransport transport{listeners()};
  config::Config config;
  sbcd::CallMetrics stats;  // what sbcd's metrics would show
  std::unique_ptr<B2bua> b2bua;
  std::unique_ptr<transaction::TransactionLayer> txn;
};

TEST_F(B2buaTest, OutboundInviteIsANewDialogThatHidesTheInboundLeg) {
  fromA(inviteA());
  ASSERT_NE(last(kAccess, "100"), nullptr);  // Trying, from the transaction layer
  const Sent* inv = last(kCore, "INVITE");
  ASSERT_NE(inv, nullptr);
  const sip::Message& m = inv->msg;
  EXPECT_EQ(inv->to.remote.address.toString(), "127.0.0.3");
  EXPECT_EQ(inv->to.remote.port, 5080);
  EXPECT_EQ(m.requestUri(), "sip:+15551234@127.0.0.3:5080");
  EXPECT_NE(m.callId(), "acall@192.0.2.10");
  EXPECT_NE(m.from().value.tag(), "atag");
  EXPECT_FALSE(m.from().value.tag().empty());
  EXPECT_FALSE(m.to().value.hasTag());
  EXPECT_EQ(m.count(sip::HeaderId::kVia), 1u);
  EXPECT_EQ(m.topVia().value.host, "127.0.0.2");
  EXPECT_EQ(m.header(sip::HeaderId::kContact), "<sip:127.0.0.2:5060>");
  EXPECT_EQ(m.maxForwards().value, 69u);
  EXPECT_FALSE(m.first(sip::HeaderId::kRecordRoute));
  EXPECT_FALSE(m.first(sip::HeaderId::kRoute));
  EXPECT_FALSE(m.first(sip::HeaderId::kUserAgent));  // identity headers stripped by default
  EXPECT_EQ(m.from().value.displayName, "\"Alice\"");
  EXPECT_EQ(m.from().value.uri.user, "alice");
  EXPECT_EQ(m.from().value.uri.host, "127.0.0.2");
  EXPECT_NE(m.body().find("o=- "), std::string_view::npos);
  EXPECT_NE(m.body().find("IN IP4 127.0.0.2\r\ns=-"), std::string_view::npos);  // o= rewritten
  EXPECT_NE(m.body().find("c=IN IP4 192.0.2.10"), std::string_view::npos);      // bypass: c= kept
  std::string visible = withoutMediaLines(inv->bytes);
  for (std::string_view ip : {"192.0.2.10", "10.9.9.9", "127.0.0.1"}) {
    EXPECT_FALSE(hasAddress(visible, ip)) << ip << " leaked into:\n" << inv->bytes;
  }
  EXPECT_EQ(visible.find("atag"), std::string::npos);
  EXPECT_EQ(visible.find("acall"), std::string::npos);
  EXPECT_EQ(visible.find("z9hG4bKa1"), std::string::npos);
  EXPECT_EQ(b2bua->activeCalls(), 1u);
}

TEST_F(B2buaTest, BasicCallIsBridgedAndTornDown) {
  fromA(inviteA());
  fromB(responseB(100, "Trying", ""));
  fromB(responseB(180, "Ringing", "btag"));
  const Sent* ringing = last(kAccess, "180");
  ASSERT_NE(ringing, nullptr);
  EXPECT_EQ(ringing->msg.callId(), "acall@192.0.2.10");
  EXPECT_EQ(ringing->msg.topVia().value.branch, "z9hG4bKa1");
  std::string aTag(ringing->msg.to().value.tag());
  EXPECT_FALSE(aTag.empty());
  EXPECT_NE(aTag, "btag");
  EXPECT_EQ(ringing->msg.header(sip::HeaderId::kContact), "<sip:127.0.0.1:5060>");
  EXPECT_FALSE(ringing->msg.first(sip::HeaderId::kServer));
  for (std::string_view ip : {"127.0.0.2", "127.0.0.3"})
    EXPECT_FALSE(hasAddress(ringing->bytes, ip)) << ringing->bytes;

  fromB(responseB(200, "OK", "btag", sdp("198.51.100.20")));
  const Sent* ack = last(kCore, "ACK");
  ASSERT_NE(ack, nullptr);  // the callee is acknowledged by the SBC itself
  EXPECT_EQ(ack->msg.to().value.tag(), "btag");
  EXPECT_EQ(ack->msg.cseq().value.number, 1u);
  EXPECT_EQ(ack->msg.requestUri(), "sip:bob@127.0.0.3:5080");
  const Sent* ok = last(kAccess, "200");
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(ok->msg.to().value.tag(), aTag);
  EXPECT_NE(ok->msg.body().find("IN IP4 127.0.0.1\r\ns=-"), std::string_view::npos);
  EXPECT_NE(ok->msg.body().find("c=IN IP4 198.51.100.20"), std::string_view::npos);
  EXPECT_FALSE(hasAddress(withoutMediaLines(ok->bytes), "127.0.0.3"));

  // Our 2xx is retransmitted until the caller's ACK.
  advance(510ms);
  EXPECT_EQ(count(kAccess, "200"), 2u);
  fromA(
      withBody("ACK sip:127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP "
               "192.0.2.10:5060;branch=z9hG4bKack\r\nFrom: "
               "<sip:alice@192.0.2.10>;tag=atag\r\nTo: <sip:+15551234@127.0.0.1>;tag=" +
                   aTag + "\r\nCall-ID: acall@192.0.2.10\r\nCSeq: 1 ACK\r\n",
               ""));
  advance(5000ms);
  EXPECT_EQ(count(kAccess, "200"), 2u);
  EXPECT_EQ(count(kCore, "ACK"), 1u);  // the caller's ACK is not relayed: B has its own

  fromA(inDialogFromA("BYE", 2, aTag));
  ASSERT_NE(last(kAccess, "200"), nullptr);
  const Sent* bye = last(kCore, "BYE");
  ASSERT_NE(bye, nullptr);
  EXPECT_EQ(bye->msg.callId(), last(kCore, "INVITE")->msg.callId());
  EXPECT_EQ(bye->msg.cseq().value.number, 2u);
  EXPECT_EQ(bye->msg.to().value.tag(), "btag");
  fromB(answer(*bye, 200));
  EXPECT_EQ(b2bua->activeCalls(), 0u);
  EXPECT_EQ(b2bua->counters().answered, 1u);
  // For the metrics endpoint: per caller realm, and one setup and one duration observed
  // (the manual clock moved 5.51 s between the 200 and the BYE).
  ASSERT_NE(b2bua->realm("access"), nullptr);
  EXPECT_EQ(b2bua->realm("access")->calls.answered, 1u);
  EXPECT_EQ(b2bua->realm("access")->calls.started, 1u);
  EXPECT_EQ(b2bua->realm("core")->calls.answered, 0u);
  EXPECT_EQ(b2bua->realm("access")->activeCalls, 0u);
  EXPECT_EQ(stats.setupSeconds.count, 1u);
  EXPECT_EQ(stats.durationSeconds.count, 1u);
  EXPECT_GE(stats.durationSeconds.sum, 5.0);
  EXPECT_EQ(stats.durationSeconds.counts[2], 1u);  // (5, 10]
}

TEST_F(B2buaTest, CalleeByeIsRelayedToTheCaller) {
  std::string aTag = answeredCall();
  fromB(inDialogFromB("BYE", 1));
  ASSERT_NE(last(kCore, "200"), nullptr);
  const Sent* bye = last(kAccess, "BYE");
  ASSERT_NE(bye, nullptr);
  EXPECT_EQ(bye->msg.callId(), "acall@192.0.2.10");
  EXPECT_EQ(bye->msg.from().value.tag(), aTag);
  EXPECT_EQ(bye->msg.to().value.tag(), "atag");
  EXPECT_EQ(bye->msg.requestUri(), "sip:alice@192.0.2.10:5060");
  EXPECT_EQ(bye->msg.header(sip::HeaderId::kRoute), "<sip:10.9.9.9;lr>");  // A's own route set
  EXPECT_EQ(b2bua->activeCalls(), 0u);
}

TEST_F(B2buaTest, CancelWhileRingingEndsBothLegs) {
  fromA(inviteA());
  fromB(responseB(180, "Ringing", "btag"));
  fromA(cancelA());
  ASSERT_NE(last(kAccess, "200"), nullptr);  // for the CANCEL
  const Sent* cancel = last(kCore, "CANCEL");
  ASSERT_NE(cancel, nullptr);
  const Sent* inv = last(kCore, "INVITE");
  EXPECT_EQ(cancel->msg.topVia().value.branch, inv->msg.topVia().value.branch);
  EXPECT_EQ(cancel->msg.callId(), inv->msg.callId());
  fromB(answer(*cancel, 200));
  fromB(responseB(487, "Request Terminated", "btag"));
  const Sent* terminated = last(kAccess, "487");
  ASSERT_NE(terminated, nullptr);
  EXPECT_EQ(terminated->msg.callId(), "acall@192.0.2.10");
  ASSERT_NE(last(kCore, "ACK"), nullptr);  // hop-by-hop ACK for the 487
  EXPECT_EQ(b2bua->activeCalls(), 0u);
  EXPECT_EQ(b2bua->counters().cancelled, 1u);
  EXPECT_EQ(b2bua->counters().failed, 0u);
}

// A CANCEL crossing the callee's 486 is one call with one result: the first one seen.
TEST_F(B2buaTest, ACallHasOneResultWhenACancelCrossesAFailure) {
  fromA(inviteA());
  fromB(responseB(180, "Ringing", "btag"));
  fromA(cancelA());
  fromB(responseB(486, "Busy Here", "btag"));  // sent before the CANCEL arrived
  EXPECT_EQ(b2bua->activeCalls(), 0u);
  const b2bua::CallCounters& c = b2bua->realm("access")->calls;
  EXPECT_EQ(c.started, 1u);
  EXPECT_EQ(c.cancelled + c.busy + c.failed + c.answered, 1u);
  EXPECT_EQ(c.cancelled, 1u);
}

TEST_F(B2buaTest, FailuresAreRelayedAndMapped) {
  fromA(inviteA());
  fromB(responseB(486, "Busy Here", "btag"));
  ASSERT_NE(last(kAccess, "486"), nullptr);
  EXPECT_EQ(last(kAccess, "486")->msg.reasonPhrase(), "Busy Here");
  EXPECT_EQ(b2bua->counters().busy, 1u);
  EXPECT_EQ(b2bua->realm("access")->calls.busy, 1u);
  EXPECT_EQ(stats.setupSeconds.count, 0u);  // never answered
  EXPECT_EQ(b2bua->activeCalls(), 0u);

  fromA(inviteA("+15559999"));
  fromB(responseB(503, "Internal Node 10.1.1.1 Down", "btag2"));
  const Sent* mapped = last(kAccess, "480");  // response_map 503 -> 480
  ASSERT_NE(mapped, nullptr);
  EXPECT_EQ(mapped->bytes.find("10.1.1.1"),
            std::string::npos);  // the far reason phrase does not cross
}

TEST_F(B2buaTest, RoutingDecisionsAndLocalAnswers) {
  fromA(inviteA("9001234"));
  ASSERT_NE(last(kAccess, "403"), nullptr);
  EXPECT_EQ(last(kAccess, "403")->msg.reasonPhrase(), "Premium numbers blocked");
  fromA(inviteA("5551234"));  // matches no route
  ASSERT_NE(last(kAccess, "404"), nullptr);
  std::string mf0 = inviteA();
  mf0.replace(mf0.find("Max-Forwards: 70"), 16, "Max-Forwards: 0");
  mf0.replace(mf0.find("z9hG4bKa1"), 9, "z9hG4bKmf");
  fromA(mf0);
  ASSERT_NE(last(kAccess, "483"), nullptr);
  EXPECT_EQ(count(kCore, "INVITE"), 0u);
  EXPECT_EQ(b2bua->counters().rejected, 3u);
  EXPECT_EQ(b2bua->realm("access")->calls.rejected, 3u);

  fromA(withBody(
      "OPTIONS sip:127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKo\r\n"
      "Max-Forwards: 0\r\nFrom: <sip:ping@192.0.2.10>;tag=o1\r\nTo: <sip:127.0.0.1>\r\n"
      "Call-ID: opt@192.0.2.10\r\nCSeq: 9 OPTIONS\r\n",
      ""));
  const Sent* ok = last(kAccess, "200");
  ASSERT_NE(ok, nullptr);
  EXPECT_NE(ok->msg.header(sip::HeaderId::kAllow).find("INVITE"), std::string_view::npos);
  // No session timer is claimed: the SBC refreshes nothing itself.
  EXPECT_EQ(ok->msg.header(sip::HeaderId::kSupported), "100rel");
  EXPECT_EQ(sentOn(kCore).size(), 0u);  // nothing went to the other side

  auto simple = [](std::string_view method, std::string_view branch) {
    return withBody(
        std::string(method) +
            " sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=" + std::string(branch) +
            "\r\nFrom: <sip:a@192.0.2.10>;tag=x\r\nTo: <sip:127.0.0.1>\r\n"
            "Call-ID: m@192.0.2.10\r\nCSeq: 1 " +
            std::string(method) + "\r\n",
        "");
  };
  fromA(simple("FROBNICATE", "z9hG4bKf"));
  ASSERT_NE(last(kAccess, "501"), nullptr);
  EXPECT_FALSE(last(kAccess, "501")->msg.header(sip::HeaderId::kAllow).empty());
  fromA(simple("REGISTER", "z9hG4bKr"));
  ASSERT_NE(last(kAccess, "405"), nullptr);
  EXPECT_FALSE(last(kAccess, "405")->msg.header(sip::HeaderId::kAllow).empty());
  fromA(simple("BYE", "z9hG4bKby"));
  ASSERT_NE(last(kAccess, "481"), nullptr);
}

// Issue 14, defect 9: a spoofed request the B2BUA rejects is answered once, with no 100
// Trying and no Timer G retransmissions, and leaves no transaction (RFC 3261 §8.2.7).
TEST_F(B2buaTest, RejectionsOutsideADialogAreOneStatelessReply) {
  std::string invite = inviteA("5551234");  // matches no route: 404
  fromA(invite);
  for (int i = 0; i < 80; ++i)
    advance(std::chrono::milliseconds(500));
  std::vector<const Sent*> out = sentOn(kAccess);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]->msg.statusCode(), 404);
  std::string tag(out[0]->msg.to().value.tag());
  EXPECT_EQ(txn->serverTransactions(), 0u);
  fromA(invite);  // the same INVITE again: one more reply
  EXPECT_EQ(sentOn(kAccess).size(), 2u);
  // Its ACK (same branch, our To tag) finds no transaction and no dialog: nothing happens.
  std::string ack = invite.substr(0, invite.find("Content-Type"));
  ack.replace(0, ack.find(' '), "ACK");
  ack.replace(ack.find("CSeq: 1 INVITE"), 14, "CSeq: 1 ACK");
  ack.replace(ack.find("@127.0.0.1>\r\n"), 13, "@127.0.0.1>;tag=" + tag + "\r\n");
  fromA(withBody(ack, ""));
  EXPECT_EQ(transport.sent.size(), 2u);
  fromA(
      withBody("BYE sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKgone\r\n"
               "From: <sip:a@192.0.2.10>;tag=x\r\nTo: <sip:127.0.0.1>;tag=nodialog\r\n"
               "Call-ID: gone@192.0.2.10\r\nCSeq: 1 BYE\r\n",
               ""));
  for (int i = 0; i < 80; ++i)
    advance(std::chrono::milliseconds(500));
  EXPECT_EQ(sentOn(kAccess).size(), 3u);
  EXPECT_EQ(count(kAccess, "481"), 1u);
  EXPECT_EQ(count(kAccess, "100"), 0u);
  EXPECT_EQ(txn->serverTransactions(), 0u);
  EXPECT_EQ(txn->counters().statelessResponses, 3u);
}

// Issue 14 ("also look at"): a line per refused INVITE, written synchronously on the
// signaling thread, lets a flood stall it when stderr blocks. Ten a second get through, the
// rest are counted (and summed up by the next line allowed).
TEST_F(B2buaTest, RejectLogLinesAreRateLimited) {
  for (int i = 0; i < 200; ++i)
    fromA(inviteA("555" + std::to_string(10000 + i)));  // no route: 404 each
  EXPECT_EQ(count(kAccess, "404"), 200u);
  EXPECT_EQ(b2bua->counters().rejected, 200u);
  // 10 lines allowed per one-second window; the loop may straddle one window boundary.
  EXPECT_GE(b2bua->counters().rejectLogsSuppressed, 180u);
  EXPECT_LE(b2bua->counters().rejectLogsSuppressed, 190u);
}

TEST_F(B2buaTest, InvalidSdpIsAnswered488) {
  fromA(inviteA("+15551234", "v=0\r\no=bad\r\n"));
  const Sent* r = last(kAccess, "488");
  ASSERT_NE(r, nullptr);
  EXPECT_NE(r->msg.header(sip::HeaderId::kWarning).find("Invalid SDP"), std::string_view::npos);
  EXPECT_EQ(count(kCore, "INVITE"), 0u);
}

TEST_F(B2buaTest, ReInviteHoldFromTheCalleeIsMappedAcrossLegs) {
  std::string aTag = answeredCall();
  fromB(inDialogFromB("INVITE", 1, sdp("198.51.100.20", "sendonly")));
  ASSERT_NE(last(kCore, "100"), nullptr);
  const Sent* reinvite = last(kAccess, "INVITE");
  ASSERT_NE(reinvite, nullptr);
  EXPECT_EQ(reinvite->msg.callId(), "acall@192.0.2.10");
  EXPECT_EQ(reinvite->msg.from().value.tag(), aTag);
  EXPECT_NE(reinvite->msg.body().find("a=sendonly"), std::string_view::npos);
  EXPECT_NE(reinvite->msg.body().find("IN IP4 127.0.0.1\r\ns=-"), std::string_view::npos);
  // From where the re-INVITE went (the caller's Record-Route): responses from elsewhere
  // are dropped (issue 14, defect 1).
  deliver(answer(*reinvite, 200, "", sdp("192.0.2.10", "recvonly")), kAccess,
          reinvite->to.remote.address.toString(), reinvite->to.remote.port);
  ASSERT_NE(last(kAccess, "ACK"), nullptr);  // the SBC acknowledges the caller's 2xx
  const Sent* ok = last(kCore, "200");
  ASSERT_NE(ok, nullptr);
  EXPECT_NE(ok->msg.body().find("a=recvonly"), std::string_view::npos);
  EXPECT_EQ(ok->msg.cseq().value.method, "INVITE");
}

TEST_F(B2buaTest, GlareIsAnswered491) {
  std::string aTag = answeredCall();
  fromA(inDialogFromA("INVITE", 2, aTag, sdp("192.0.2.10", "sendonly")));
  ASSERT_NE(last(kCore, "INVITE"), nullptr);  // relayed, still pending on B
  fromB(inDialogFromB("INVITE", 1, sdp("198.51.100.20", "sendonly")));
  ASSERT_NE(last(kCore, "491"), nullptr);
}

TEST_F(B2buaTest, InfoIsRelayedWithItsBody) {
  std::string aTag = answeredCall();
  std::string info = inDialogFromA("INFO", 2, aTag);
  info.replace(
      info.find("Content-Length: 0\r\n\r\n"), 21,
      "Content-Type: application/dtmf-relay\r\nContent-Length: 22\r\n\r\nSignal=5\r\nDuration=160");
  fromA(info);
  const Sent* relayed = last(kCore, "INFO");
  ASSERT_NE(relayed, nullptr);
  EXPECT_EQ(relayed->msg.body(), "Signal=5\r\nDuration=160");
  EXPECT_EQ(relayed->msg.header(sip::HeaderId::kContentType), "application/dtmf-relay");
  fromB(answer(*relayed, 200));
  ASSERT_NE(last(kAccess, "200"), nullptr);
  EXPECT_EQ(last(kAccess, "200")->msg.cseq().value.method, "INFO");
}

// Each leg hears what the SBC can do, once: never the far side's Allow (baresip's INVITE
// went out with two) nor its Supported list (which names its equipment's features), but
// the end-to-end tags the far side supports.
TEST_F(B2buaTest, EachLegHearsTheSbcsCapabilitiesOnce) {
  constexpr std::string_view kCallerCaps =
      "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, NOTIFY, SUBSCRIBE, INFO, MESSAGE, UPDATE, "
      "REFER\r\nAllow: PUBLISH\r\nSupported: replaces, norefersub, gruu, timer\r\n";
  constexpr std::string_view kCalleeCaps =
      "Allow: INVITE, BYE, X-VENDOR\r\nSupported: path, outbound\r\n";
  auto allowOf = [](const Sent* s) {
    EXPECT_NE(s, nullptr);
    if (!s) return std::string("?");
    EXPECT_LE(s->msg.count(sip::HeaderId::kAllow), 1u) << s->bytes;
    return std::string(s->msg.header(sip::HeaderId::kAllow));
  };
  auto supportedOf = [](const Sent* s) {
    EXPECT_LE(s->msg.count(sip::HeaderId::kSupported), 1u) << s->bytes;
    return std::string(s->msg.header(sip::HeaderId::kSupported));
  };
  const std::string sbcAllow =
      "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO, PRACK, NOTIFY, REFER";

  fromA(inviteA("+15551234", sdp("192.0.2.10"), kCallerCaps));
  EXPECT_EQ(allowOf(last(kCore, "INVITE")), sbcAllow);
  EXPECT_EQ(supportedOf(last(kCore, "INVITE")), "timer");
  fromB(responseB(180, "Ringing", "btag", "", kCalleeCaps));
  EXPECT_EQ(allowOf(last(kAccess, "180")), sbcAllow);
  EXPECT_EQ(supportedOf(last(kAccess, "180")), "");  // the callee does no session timer
  fromB(responseB(200, "OK", "btag", sdp("198.51.100.20"), kCalleeCaps));
  EXPECT_EQ(allowOf(last(kAccess, "200")), sbcAllow);
  EXPECT_EQ(supportedOf(last(kAccess, "200")), "");
  std::string aTag(last(kAccess, "200")->msg.to().value.tag());

  // A re-INVITE and an UPDATE each way, and their 2xx: the SBC's Allow, once.
  fromA(inDialogFromA("INVITE", 2, aTag, sdp("192.0.2.10", "sendonly"), kCallerCaps));
  const Sent* reinvite = last(kCore, "INVITE");
  EXPECT_EQ(allowOf(reinvite), sbcAllow);
  EXPECT_EQ(supportedOf(reinvite), "timer");
  fromB(answer(*reinvite, 200, "", sdp("198.51.100.20", "recvonly")));
  EXPECT_EQ(allowOf(last(kAccess, "200")), sbcAllow);
  EXPECT_EQ(last(kAccess, "200")->msg.cseq().value.number, 2u);
  fromB(inDialogFromB("UPDATE", 1, sdp("198.51.100.20")));
  const Sent* update = last(kAccess, "UPDATE");
  EXPECT_EQ(allowOf(update), sbcAllow);
  fromA(answer(*update, 200, "", sdp("192.0.2.10")));
  const Sent* updateOk = last(kCore, "200");
  EXPECT_EQ(updateOk->msg.cseq().value.method, "UPDATE");
  EXPECT_EQ(allowOf(updateOk), sbcAllow);

  // Where RFC 3261 wants no Allow (an INFO and its 200), the SBC adds none and relays none.
  fromA(inDialogFromA("INFO", 3, aTag, "", kCallerCaps));
  EXPECT_EQ(allowOf(last(kCore, "INFO")), "");
  fromB(answer(*last(kCore, "INFO"), 200));
  EXPECT_EQ(allowOf(last(kAccess, "200")), "");
  for (const Sent& s : transport.sent) {
    EXPECT_EQ(s.bytes.find("PUBLISH"), std::string::npos) << s.bytes;
    EXPECT_EQ(s.bytes.find("X-VENDOR"), std::string::npos) << s.bytes;
    EXPECT_EQ(s.bytes.find("replaces"), std::string::npos) << s.bytes;
    EXPECT_EQ(s.bytes.find("outbound"), std::string::npos) << s.bytes;
  }

  // A caller without session timers: the SBC, which does not refresh sessions itself, does
  // not claim "timer" to the callee either.
  fromA(inviteA("+15552222"));
  EXPECT_EQ(last(kCore, "INVITE")->msg.requestUri().find("+15552222"), 4u);
  EXPECT_EQ(allowOf(last(kCore, "INVITE")), sbcAllow);
  EXPECT_EQ(supportedOf(last(kCore, "INVITE")), "");
}

// What baresip's SDP says of its sender (user, address, equipment) stays on its own side,
// in offers and answers; s= stays present. A realm may keep it (sdp_identity: keep).
TEST_F(B2buaTest, SdpDescriptionOfTheSenderIsHidden) {
  auto chatty = [](std::string_view ip, std::string_view user) {
    std::string a(ip);
    return "v=0\r\no=" + std::string(user) + " 111 1 IN IP4 " + a + "\r\ns=" + std::string(user) +
           "'s session\r\ni=" + std::string(user) + " at " + a + "\r\nu=http://" + a +
           "/\r\ne=" + std::string(user) + "@example.com\r\np=+1 555 0100\r\nc=IN IP4 " + a +
           "\r\nt=0 0\r\na=tool:baresip 1.0.0\r\nm=audio 4000 RTP/AVP 0\r\ni=" + a +
           "\r\na=ssrc:12345 cname:sip:" + std::string(user) + "@" + a +
           "\r\na=ssrc:12345 msid:s t\r\na=sendrecv\r\n";
  };
  fromA(inviteA("+15551234", chatty("192.0.2.10", "alice")));
  fromB(responseB(200, "OK", "btag", chatty("198.51.100.20", "bob")));
  const Sent* offer = last(kCore, "INVITE");
  const Sent* answer = last(kAccess, "200");
  ASSERT_NE(offer, nullptr);
  ASSERT_NE(answer, nullptr);
  for (const Sent* s : {offer, answer}) {
    std::string_view body = s->msg.body();
    for (std::string_view gone : {"alice", "bob", "baresip", "a=tool",
                                  "\r\ni=", "\r\nu=", "\r\ne=", "\r\np=", "example.com"})
      EXPECT_EQ(body.find(gone), std::string_view::npos) << gone << " crossed:\n" << body;
    std::string visible = withoutMediaLines(body);  // bypass keeps c=/m=
    for (std::string_view ip : {"192.0.2.10", "198.51.100.20"})
      EXPECT_FALSE(hasAddress(visible, ip)) << ip << " crossed:\n" << body;
    EXPECT_NE(body.find("\r\ns=-\r\n"), std::string_view::npos) << body;
    EXPECT_NE(body.find("a=ssrc:12345 msid:s t"), std::string_view::npos) << body;
    sdp::ParseResult parsed = sdp::SessionDescription::parse(body);
    ASSERT_TRUE(parsed.ok()) << parsed.error().toString();
    std::vector<std::string_view> ssrc = parsed.value().media(0).attributes("ssrc");
    ASSERT_EQ(ssrc.size(), 2u);
    EXPECT_TRUE(ssrc[0].starts_with("12345 cname:")) << ssrc[0];
    EXPECT_GE(ssrc[0].size(), std::string_view("12345 cname:").size() + 16);
  }
  // Each leg gets a CNAME of its own.
  auto cnameOf = [](const Sent* s) {
    std::string_view body = s->msg.body();
    size_t at = body.find("cname:");
    return std::string(body.substr(at, body.find('\r', at) - at));
  };
  EXPECT_NE(cnameOf(offer), cnameOf(answer));
}

TEST_F(B2buaTest, SdpDescriptionCrossesWhenTheRealmKeepsIt) {
  config.realms[1].sdpIdentity = topology::SdpIdentity::kKeep;  // core
  txn.reset();
  b2bua = std::make_unique<B2bua>(wheel, testSettings(config), transport.infos, nullptr, &stats);
  txn = std::make_unique<transaction::TransactionLayer>(transport, wheel,
                                                        transaction::TimerConfig{}, *b2bua);
  b2bua->attach(*txn);
  std::string body = sdp("192.0.2.10");
  body.replace(body.find("s=-"), 3, "s=alice's session");
  body += "a=tool:baresip 1.0.0\r\na=ssrc:1 cname:sip:alice@192.0.2.10\r\n";
  fromA(inviteA("+15551234", body));
  const Sent* inv = last(kCore, "INVITE");
  ASSERT_NE(inv, nullptr);
  std::string_view kept = inv->msg.body();
  EXPECT_NE(kept.find("a=tool:baresip 1.0.0"), std::string_view::npos) << kept;
  EXPECT_NE(kept.find("cname:sip:alice@192.0.2.10"), std::string_view::npos) << kept;
  EXPECT_NE(kept.find("s=alice's session"), std::string_view::npos) << kept;
  EXPECT_EQ(kept.find("o=user"), std::string_view::npos) << kept;  // o= is still the SBC's
}

TEST_F(B2buaTest, ReliableProvisionalsArePrackedPerLeg) {
  fromA(inviteA("+15551234", sdp("192.0.2.10"), "Supported: 100rel\r\n"));
  EXPECT_EQ(last(kCore, "INVITE")->msg.header(sip::HeaderId::kSupported), "100rel");
  fromB(responseB(183, "Session Progress", "btag", sdp("198.51.100.20"),
                  "Require: 100rel\r\nRSeq: 7000\r\n"));
  const Sent* p = last(kAccess, "183");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->msg.header(sip::HeaderId::kRSeq), "1");
  EXPECT_EQ(p->msg.header(sip::HeaderId::kRequire), "100rel");
  std::string aTag(p->msg.to().value.tag());
  advance(510ms);
  EXPECT_EQ(count(kAccess, "183"), 2u);  // retransmitted until PRACK
  fromA(inDialogFromA("PRACK", 2, aTag, "", "RAck: 1 1 INVITE\r\n"));
  const Sent* prack = last(kCore, "PRACK");
  ASSERT_NE(prack, nullptr);
  EXPECT_EQ(prack->msg.header(sip::HeaderId::kRAck), "7000 1 INVITE");
  EXPECT_EQ(prack->msg.to().value.tag(), "btag");
  advance(2000ms);
  EXPECT_EQ(count(kAccess, "183"), 2u);
  fromB(answer(*prack, 200));
  ASSERT_NE(last(kAccess, "200"), nullptr);
  EXPECT_EQ(last(kAccess, "200")->msg.cseq().value.method, "PRACK");
}

TEST_F(B2buaTest, SecondForkAnsweringIsAcknowledgedAndHungUp) {
  answeredCall();
  size_t byes = count(kCore, "BYE");
  fromB(responseB(200, "OK", "fork2", sdp("198.51.100.21")));
  EXPECT_EQ(count(kCore, "BYE"), byes + 1);
  EXPECT_EQ(last(kCore, "BYE")->msg.to().value.tag(), "fork2");
  EXPECT_EQ(b2bua->activeCalls(), 1u);  // the answered fork stays up
}

TEST_F(B2buaTest, NoAckWithin64T1EndsTheCall) {
  fromA(inviteA());
  fromB(responseB(200, "OK", "btag", sdp("198.51.100.20")));
  // When the call ends, the only retransmissions so far are the UAS core's 2xx ones, and
  // they are counted with the transactions' (metrics); the BYEs' come later.
  uint64_t retransmittedAtEnd = 0;
  size_t okAtEnd = 0;
  for (int i = 0; i < 40; ++i) {
    advance(1000ms);
    if (okAtEnd == 0 && b2bua->activeCalls() == 0) {
      retransmittedAtEnd = txn->counters().retransmissionsSent;
      okAtEnd = count(kAccess, "200");
    }
  }
  EXPECT_GT(count(kAccess, "200"), 5u);
  EXPECT_EQ(b2bua->activeCalls(), 0u);
  EXPECT_NE(last(kCore, "BYE"), nullptr);
  EXPECT_EQ(retransmittedAtEnd, okAtEnd - 1);
}

// A re-INVITE the far side never answers ends in 408 for the caller, and the caller's leg
// takes the next re-INVITE (issue 14, defect 12: it was refused with 500 for good).
TEST_F(B2buaTest, AReInviteThatTimedOutDoesNotBlockTheNextOne) {
  std::string aTag = answeredCall();
  fromA(inDialogFromA("INVITE", 2, aTag, sdp("192.0.2.10", "sendonly")));
  ASSERT_NE(last(kCore, "INVITE"), nullptr);
  for (int i = 0; i < 40; ++i)
    advance(1000ms);  // past Timer B (64*T1): B never answered
  const Sent* timeout = last(kAccess, "408");
  ASSERT_NE(timeout, nullptr);
  EXPECT_EQ(timeout->msg.cseq().value.number, 2u);
  ASSERT_EQ(b2bua->activeCalls(), 1u);  // the call itself goes on

  size_t mark = transport.sent.size();
  fromA(inDialogFromA("INVITE", 3, aTag, sdp("192.0.2.10", "inactive")));
  bool relayed = false;
  for (const Sent* s : sentOn(kCore, mark)) {
    if (s->msg.isRequest() && s->msg.methodId() == sip::Method::kInvite &&
        s->msg.body().find("a=inactive") != std::string_view::npos)
      relayed = true;
  }
  EXPECT_TRUE(relayed) << "the second re-INVITE must reach B";
  for (const Sent* s : sentOn(kAccess, mark))
    EXPECT_FALSE(s->msg.isResponse() && s->msg.statusCode() == 500) << s->bytes;
}

TEST_F(B2buaTest, UnansweredTrunkTimesOutWith408) {
  fromA(inviteA());
  for (int i = 0; i < 40; ++i)
    advance(1000ms);
  ASSERT_NE(last(kAccess, "408"), nullptr);
  EXPECT_EQ(b2bua->activeCalls(), 0u);
}

TEST_F(B2buaTest, RouteCapturesRewriteTheOutboundUris) {
  fromA(inviteA("004412345"));
  const Sent* inv = last(kCore, "INVITE");
  ASSERT_NE(inv, nullptr);
  EXPECT_EQ(inv->msg.requestUri(), "sip:+4412345@127.0.0.3:5080");
  EXPECT_EQ(inv->msg.to().value.uri.user, "+4412345");
  EXPECT_EQ(inv->msg.from().value.uri.user, "caller");
}

TEST_F(B2buaTest, ForkedEarlyDialogsShareTheCallersToTag) {
  fromA(inviteA());
  fromB(responseB(180, "Ringing", "forkA"));
  fromB(responseB(183, "Session Progress", "forkB", sdp("198.51.100.30")));
  const Sent* first = last(kAccess, "180");
  const Sent* second = last(kAccess, "183");
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(first->msg.to().value.tag(), second->msg.to().value.tag());
  EXPECT_EQ(second->bytes.find("forkB"), std::string::npos);
  std::string aTag(first->msg.to().value.tag());  // `first` dies with the next send
  fromB(responseB(200, "OK", "forkB", sdp("198.51.100.30")));
  const Sent* ok = last(kAccess, "200");
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(ok->msg.to().value.tag(), aTag);
  EXPECT_EQ(last(kCore, "ACK")->msg.to().value.tag(), "forkB");
}

// ---- issue 14, defect 2: the caller's transaction ended by a transport error, and the
// B2BUA hears of it only on the next timer tick (onServerFailure comes from a 0 ms timer).
// A final response from leg B in that window found no request to answer.

TEST_F(B2buaTest, FailureFromCalleeAfterTheCallersTransactionDiedIsNotACrash) {
  fromA(inviteA());
  transport.fail = true;  // the 180 to the caller cannot be sent: its transaction ends now
  fromB(responseB(180, "Ringing", "btag"));
  transport.fail = false;
  ASSERT_EQ(txn->serverTransactions(), 0u);
  fromB(responseB(486, "Busy Here", "btag"));  // before the failure notice: no tick yet
  EXPECT_EQ(b2bua->activeCalls(), 0u);
  EXPECT_EQ(count(kAccess, "486"), 0u);  // nobody to tell
  advance(1ms);                          // the notice finds nothing left to do
  EXPECT_EQ(b2bua->activeCalls(), 0u);
  EXPECT_EQ(b2bua->counters().busy, 1u);
}

TEST_F(B2buaTest, AnswerAfterTheCallersTransactionDiedIsAckedAndByed) {
  fromA(inviteA());
  transport.fail = true;
  fromB(responseB(180, "Ringing", "btag"));
  transport.fail = false;
  size_t before = transport.sent.size();
  fromB(responseB(200, "OK", "btag", sdp("198.51.100.20")));
  // Leg B's dialog ends at once: ACK, then BYE; the caller hears nothing (it is gone).
  std::vector<const Sent*> out = sentOn(kCore, before);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(out[0]->isRequest("ACK"));
  EXPECT_TRUE(out[1]->isRequest("BYE"));
  EXPECT_EQ(out[1]->msg.to().value.tag(), "btag");
  EXPECT_TRUE(sentOn(kAccess, before).empty());
  EXPECT_EQ(b2bua->activeCalls(), 0u);
  EXPECT_EQ(b2bua->counters().failed, 1u);
  EXPECT_EQ(b2bua->counters().answered, 0u);
  EXPECT_EQ(b2bua->counters().callerGone, 1u);
  advance(1ms);
  EXPECT_EQ(b2bua->activeCalls(), 0u);
  // The BYE's answer closes everything: no transaction outlives the call.
  fromB(answer(*last(kCore, "BYE"), 200));
  advanceBy(40s);
  EXPECT_EQ(transactions(), 0u);
}

// ---- issue 14, defect 3: Timer C, the CANCELled INVITE's end, transport errors while
// ringing, transactions ending with their call.

TEST_F(B2buaTest, SilentCalleeAfter180IsCancelledByTimerC) {
  Settings s = testSettings(config);
  s.timerC = 5s;
  restart(std::move(s));
  fromA(inviteA());
  fromB(responseB(180, "Ringing", "btag"));
  ASSERT_NE(last(kAccess, "180"), nullptr);
  advance(4900ms);
  EXPECT_EQ(count(kCore, "CANCEL"), 0u);
  advance(200ms);  // Timer C: CANCEL on leg B, 408 to the caller
  const Sent* cancel = last(kCore, "CANCEL");
  ASSERT_NE(cancel, nullptr);
  EXPECT_EQ(cancel->msg.topVia().value.branch, last(kCore, "INVITE")->msg.topVia().value.branch);
  ASSERT_NE(last(kAccess, "408"), nullptr);
  EXPECT_EQ(b2bua->activeCalls(), 0u);
  EXPECT_EQ(b2bua->counters().failed, 1u);
  // The callee stays silent (no 200 to the CANCEL, no 487) and the caller never ACKs:
  // 64*T1 later the INVITE is given up, Timer F ends the CANCEL, Timer H the 408.
  advanceBy(33s);
  EXPECT_EQ(txn->clientTransactions(), 0u);
  EXPECT_EQ(txn->serverTransactions(), 0u);
  EXPECT_EQ(b2bua->trackedTransactions(), 0u);
}

// The callee answers just as our CANCEL (Timer C here) reaches it: the call is already
// gone, yet the callee must not be left in a call nobody hears: ACK, then BYE.
TEST_F(B2buaTest, AnswerCrossingTheCancelOfAnEndedCallIsAckedAndByed) {
  Settings s = testSettings(config);
  s.timerC = 5s;
  restart(std::move(s));
  fromA(inviteA());
  fromB(responseB(180, "Ringing", "btag"));
  advance(5100ms);
  ASSERT_NE(last(kCore, "CANCEL"), nullptr);
  ASSERT_EQ(b2bua->activeCalls(), 0u);
  fromB(answer(*last(kCore, "CANCEL"), 200));
  size_t before = transport.sent.size();
  fromB(responseB(200, "OK", "btag", sdp("198.51.100.20")));
  std::vector<const Sent*> out = sentOn(kCore, before);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(out[0]->isRequest("ACK"));
  EXPECT_TRUE(out[1]->isRequest("BYE"));
  EXPECT_EQ(out[1]->msg.to().value.tag(), "btag");
  EXPECT_EQ(out[1]->msg.callId(), last(kCore, "INVITE")->msg.callId());
  EXPECT_EQ(out[1]->to.remote.port, 5080);
  EXPECT_TRUE(sentOn(kAccess, before).empty());  // the caller already has its 408
  fromB(answer(*last(kCore, "BYE"), 200));
  advanceBy(40s);
  EXPECT_EQ(transactions(), 0u);
}

TEST_F(B2buaTest, TimerCStartsAgainWithEachProvisional) {
  Settings s = testSettings(config);
  s.timerC = 5s;
  restart(std::move(s));
  fromA(inviteA());
  fromB(responseB(100, "Trying", ""));
  advance(3s);
  fromB(responseB(180, "Ringing", "btag"));
  advance(4s);
  fromB(responseB(183, "Session Progress", "btag"));
  advance(4s);  // 11 s after the INVITE, 4 s after the last provisional
  EXPECT_EQ(count(kCore, "CANCEL"), 0u);
  EXPECT_EQ(b2bua->activeCalls(), 1u);
  advance(2s);
  EXPECT_EQ(count(kCore, "CANCEL"), 1u);
  EXPECT_NE(last(kAccess, "408"), nullptr);
}

// The no-answer timer cancels too; the callee that never answers the CANCEL must not keep
// our INVITE transaction for ever (RFC 3261 §9.1: given up 64*T1 after the CANCEL).
TEST_F(B2buaTest, CancelledInviteWithoutFinalResponseEndsAfter64T1) {
  fromA(inviteA());
  fromB(responseB(180, "Ringing", "btag"));
  advanceBy(180s, 1s);  // the no-answer timeout
  ASSERT_NE(last(kCore, "CANCEL"), nullptr);
  ASSERT_NE(last(kAccess, "480"), nullptr);
  fromB(answer(*last(kCore, "CANCEL"), 200));  // the CANCEL is answered, the INVITE never
  fromA(withBody(
      "ACK sip:+15551234@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKa1\r\n"
      "Max-Forwards: 70\r\nFrom: \"Alice\" <sip:alice@192.0.2.10>;tag=atag\r\nTo: "
      "<sip:+15551234@127.0.0.1>;tag=" +
          std::string(last(kAccess, "480")->msg.to().value.tag()) +
          "\r\nCall-ID: acall@192.0.2.10\r\nCSeq: 1 ACK\r\n",
      ""));
  advanceBy(31s);  // the CANCEL's transaction is gone (Timer K), not the INVITE's
  EXPECT_EQ(txn->clientTransactions(), 1u);
  advanceBy(2s);  // 64*T1 = 32 s after the CANCEL
  EXPECT_EQ(txn->clientTransactions(), 0u);
  advanceBy(10s);  // Timer I for the caller's ACKed 480
  EXPECT_EQ(transactions(), 0u);
}

TEST_F(B2buaTest, TransportErrorWhileRingingFailsTheCall) {
  fromA(inviteA());
  fromB(responseB(180, "Ringing", "btag"));
  ASSERT_EQ(b2bua->activeCalls(), 1u);
  // The trunk's connection is lost while it rings (TCP reset): the transport reports the
  // destination it could not reach.
  txn->onSendFailure(last(kCore, "INVITE")->to, "connection reset");
  advance(1ms);
  EXPECT_NE(last(kAccess, "503"), nullptr);
  EXPECT_EQ(b2bua->activeCalls(), 0u);
  EXPECT_EQ(b2bua->counters().failed, 1u);
  EXPECT_EQ(txn->clientTransactions(), 0u);
}

// ---- issue 14, defect 13: a call's lists of open transactions grew by one per in-dialog
// request and were never pruned.

TEST_F(B2buaTest, InDialogRequestsLeaveNothingBehind) {
  std::string aTag = answeredCall();
  for (int i = 0; i < 1000; ++i) {
    std::string_view method = i % 2 ? "INFO" : "OPTIONS";
    fromA(inDialogFromA(method, 2 + i, aTag));
    const Sent* relayed = last(kCore, method);
    ASSERT_NE(relayed, nullptr);
    fromB(answer(*relayed, 200));
    ASSERT_NE(last(kAccess, "200"), nullptr);
    if (i % 100 == 0) transport.sent.clear();  // keep the record small
  }
  EXPECT_EQ(b2bua->activeCalls(), 1u);
  EXPECT_EQ(b2bua->trackedTransactions(), 0u);
  // A request still waiting for its answer is tracked, and forgotten with its answer.
  fromA(inDialogFromA("INFO", 5000, aTag));
  EXPECT_EQ(b2bua->trackedTransactions(), 4u);  // server and client, in the maps and the call
  fromB(answer(*last(kCore, "INFO"), 200));
  EXPECT_EQ(b2bua->trackedTransactions(), 0u);
}

// ---- issue 14, defect 8: global caps on the B2BUA's tables, counted, 503 + Retry-After.

TEST_F(B2buaTest, CallTableFullIsRefusedWith503AndRetryAfter) {
  Settings s = testSettings(config);
  s.maxCalls = 2;
  restart(std::move(s));
  fromA(inviteA("+15550001"));
  fromA(inviteA("+15550002"));
  ASSERT_EQ(b2bua->activeCalls(), 2u);
  fromA(inviteA("+15550003"));
  const Sent* refused = last(kAccess, "503");
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(refused->msg.header(sip::HeaderId::kRetryAfter), "30");
  EXPECT_EQ(refused->msg.callId(), "call+15550003@192.0.2.10");
  EXPECT_EQ(count(kCore, "INVITE"), 2u);
  EXPECT_EQ(b2bua->activeCalls(), 2u);
  EXPECT_EQ(b2bua->counters().overCallTable, 1u);
  EXPECT_EQ(b2bua->counters().rejected, 1u);
  EXPECT_EQ(b2bua->realm("access")->calls.overCallTable, 1u);
}

TEST_F(B2buaTest, DialogTableFullIsRefusedWith503) {
  Settings s = testSettings(config);
  s.maxDialogs = 3;  // one call holds two
  restart(std::move(s));
  fromA(inviteA("+15550001"));
  EXPECT_EQ(b2bua->activeDialogs(), 2u);
  fromA(inviteA("+15550002"));
  ASSERT_NE(last(kAccess, "503"), nullptr);
  EXPECT_EQ(last(kAccess, "503")->msg.header(sip::HeaderId::kRetryAfter), "30");
  EXPECT_EQ(b2bua->counters().overDialogTable, 1u);
  EXPECT_EQ(b2bua->activeDialogs(), 2u);
}

TEST_F(B2buaTest, RealmCallLimitHasADefaultAndIsCounted) {
  EXPECT_EQ(config.realms[0].limits.maxCalls, 10000u);  // not unlimited by default
  config.realms[0].limits.maxCalls = 1;
  restart(testSettings(config));
  fromA(inviteA("+15550001"));
  fromA(inviteA("+15550002"));
  ASSERT_NE(last(kAccess, "503"), nullptr);
  EXPECT_EQ(last(kAccess, "503")->msg.header(sip::HeaderId::kRetryAfter), "30");
  EXPECT_EQ(b2bua->counters().overRealmCalls, 1u);
  EXPECT_EQ(b2bua->activeCalls(), 1u);
}

}  // namespace
}  // namespace sbc::b2bua

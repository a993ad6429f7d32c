#pragma once

// The B2BUA with anchored media over a fake transport and a recording media plane
// (tests/support): a caller in realm access (127.0.0.1), the trunk in core (127.0.0.3).
// Used by b2bua_media_test.cc, b2bua_srtp_test.cc and b2bua_codec_test.cc.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>

#include "config/loader.h"
#include "mediaplane/api/media_plane.h"
#include "signaling/b2bua/b2bua.h"
#include "signaling/sip/parser.h"
#include "signaling/timer/timer_wheel.h"
#include "signaling/transaction/transaction_layer.h"
#include "tests/support/fake_transport.h"
#include "tests/support/recording_plane.h"
#include "tests/unit/b2bua_settings.h"

namespace sbc::b2bua::test_media {

using namespace std::chrono_literals;

using test::FakeTransport;
using test::RecordingPlane;
using test::Sent;

// The listeners the config below binds: access (0) and core (1).
inline std::vector<transport::ListenerInfo> listeners() {
  return {test::udpListener(0, "127.0.0.1", 5060, "access"),
          test::udpListener(1, "127.0.0.2", 5060, "core")};
}

inline constexpr const char* kConfig = R"(
realms:
  - name: access
    listen: [ { transport: udp, address: 127.0.0.1, port: 5060 } ]
  - name: core
    listen: [ { transport: udp, address: 127.0.0.2, port: 5060 } ]
routes:
  - name: trunk
    match: { source_realm: access }
    forward: { realm: core, host: 127.0.0.3, port: 5080, transport: udp }
    media: bypass
)";

inline std::string offer() {
  return "v=0\r\no=alice 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
         "m=audio 4000 RTP/AVP 8 "
         "101\r\na=rtcp:4001\r\na=ice-ufrag:abcd\r\na=ice-pwd:secretsecretsecretsecret\r\n"
         "a=candidate:1 1 UDP 2130706431 192.0.2.10 4000 typ host\r\na=rtpmap:8 "
         "PCMA/8000\r\na=sendrecv\r\n";
}

inline std::string answer(std::string_view direction = "sendrecv") {
  return "v=0\r\no=bob 7 7 IN IP4 198.51.100.20\r\ns=-\r\nc=IN IP4 198.51.100.20\r\nt=0 0\r\n"
         "m=audio 5000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\na=" +
         std::string(direction) + "\r\n";
}

inline std::string withSdp(std::string head, const std::string& body) {
  return head + "Content-Type: application/sdp\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

class B2buaMediaTest : public ::testing::Test {
 protected:
  // Changes to the config before the B2BUA is built.
  virtual void configure(config::Config&) {}
  void SetUp() override {
    config::LoadResult loaded = config::parseConfig(kConfig);
    ASSERT_TRUE(loaded.ok()) << (loaded.errors.empty() ? "" : loaded.errors[0].toString());
    config = std::move(*loaded.config);
    // The media side of the config, set directly: these tests need no DPDK.
    config.realms[0].media =
        topology::MediaRange{"10.0.2.1", 30000, 30003, {}, {}};  // two port pairs
    config.realms[1].media = topology::MediaRange{"10.0.4.1", 40000, 40099, {}, {}};
    config.routes[0].media = topology::Route::Media::kAnchor;
    config.mediaPlane.enabled = true;
    configure(config);
    b2bua = std::make_unique<B2bua>(wheel, testSettings(config), transport.infos, &plane);
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
  const Sent* last(transport::ListenerId l, std::string_view key) const {
    for (size_t i = transport.sent.size(); i-- > 0;) {
      const Sent& s = transport.sent[i];
      std::string k =
          s.msg.isRequest() ? std::string(s.msg.method()) : std::to_string(s.msg.statusCode());
      if (s.to.listener == l && k == key) return &s;
    }
    return nullptr;
  }
  void invite(int n) {
    deliver(
        withSdp("INVITE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKm" +
                    std::to_string(n) +
                    "\r\nMax-Forwards: 70\r\nFrom: <sip:alice@192.0.2.10>;tag=a" +
                    std::to_string(n) + "\r\nTo: <sip:bob@127.0.0.1>\r\nCall-ID: m" +
                    std::to_string(n) +
                    "@192.0.2.10\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@192.0.2.10>\r\n",
                offer()),
        0, "192.0.2.10", 5060);
  }
  void answerFromB(int code, const std::string& body) {
    const sip::Message& inv = last(1, "INVITE")->msg;
    std::string head = "SIP/2.0 " + std::to_string(code) +
                       " OK\r\nVia: " + std::string(inv.header(sip::HeaderId::kVia)) +
                       "\r\nFrom: " + std::string(inv.header(sip::HeaderId::kFrom)) +
                       "\r\nTo: " + std::string(inv.header(sip::HeaderId::kTo)) +
                       ";tag=b1\r\nCall-ID: " + std::string(inv.callId()) +
                       "\r\nCSeq: 1 INVITE\r\nContact: <sip:bob@127.0.0.3:5080>\r\n";
    deliver(withSdp(head, body), 1, "127.0.0.3", 5080);
  }
  // A response without a body from the callee to the outgoing INVITE.
  void respondFromB(int code, const std::string& reason) {
    const sip::Message& inv = last(1, "INVITE")->msg;
    deliver("SIP/2.0 " + std::to_string(code) + " " + reason +
                "\r\nVia: " + std::string(inv.header(sip::HeaderId::kVia)) +
                "\r\nFrom: " + std::string(inv.header(sip::HeaderId::kFrom)) +
                "\r\nTo: " + std::string(inv.header(sip::HeaderId::kTo)) +
                ";tag=b1\r\nCall-ID: " + std::string(inv.callId()) +
                "\r\nCSeq: 1 INVITE\r\nContact: <sip:bob@127.0.0.3:5080>\r\n"
                "Content-Length: 0\r\n\r\n",
            1, "127.0.0.3", 5080);
  }
  void inviteWith(const std::string& sdp, int n = 1) {
    std::string id = std::to_string(n);
    deliver(
        withSdp("INVITE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKs" +
                    id + "\r\nMax-Forwards: 70\r\nFrom: <sip:alice@192.0.2.10>;tag=a" + id +
                    "\r\nTo: <sip:bob@127.0.0.1>\r\nCall-ID: s" + id +
                    "@192.0.2.10\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@192.0.2.10>\r\n",
                sdp),
        0, "192.0.2.10", 5060);
  }
  // The 200 from A's side is ACKed; its To tag names A's dialog for re-INVITEs.
  void ackA() {
    const Sent* ok = last(0, "200");
    ASSERT_NE(ok, nullptr);
    aTag = std::string(ok->msg.to().value.tag());
    deliver(
        "ACK sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKsack\r\n"
        "From: <sip:alice@192.0.2.10>;tag=a1\r\nTo: <sip:bob@127.0.0.1>;tag=" +
            aTag + "\r\nCall-ID: s1@192.0.2.10\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n",
        0, "192.0.2.10", 5060);
  }
  // A's ACK to the 200 the SBC sent it, carrying `sdp` (the answer to a late offer).
  void ackAWith(const std::string& sdp) {
    const Sent* ok = last(0, "200");
    ASSERT_NE(ok, nullptr);
    aTag = std::string(ok->msg.to().value.tag());
    deliver(
        withSdp("ACK sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKsack\r\n"
                "From: <sip:alice@192.0.2.10>;tag=a1\r\nTo: <sip:bob@127.0.0.1>;tag=" +
                    aTag + "\r\nCall-ID: s1@192.0.2.10\r\nCSeq: 1 ACK\r\n",
                sdp),
        0, "192.0.2.10", 5060);
  }
  // A re-INVITE from B in its dialog with the SBC.
  void reinviteFromB(int cseq, const std::string& sdp) {
    const sip::Message& inv = last(1, "INVITE")->msg;
    std::string contact(inv.header(sip::HeaderId::kContact));  // "<sip:...>"
    std::string target = contact.substr(1, contact.find('>') - 1);
    std::string n = std::to_string(cseq);
    deliver(
        withSdp("INVITE " + target +
                    " SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.3:5080;branch=z9hG4bKbre" + n +
                    "\r\nMax-Forwards: 70\r\nFrom: " + std::string(inv.header(sip::HeaderId::kTo)) +
                    ";tag=b1\r\nTo: " + std::string(inv.header(sip::HeaderId::kFrom)) +
                    "\r\nCall-ID: " + std::string(inv.callId()) + "\r\nCSeq: " + n +
                    " INVITE\r\nContact: <sip:bob@127.0.0.3:5080>\r\n",
                sdp),
        1, "127.0.0.3", 5080);
  }
  // The 200 (with `sdp`) of leg 0 (A) or 1 (B) to the last INVITE the SBC sent it; B tags
  // its To if the INVITE had no tag yet.
  void okFrom(transport::ListenerId leg, const std::string& sdp) {
    const sip::Message& inv = last(leg, "INVITE")->msg;
    const bool b = leg == 1;
    std::string head =
        "SIP/2.0 200 OK\r\nVia: " + std::string(inv.header(sip::HeaderId::kVia)) +
        "\r\nFrom: " + std::string(inv.header(sip::HeaderId::kFrom)) +
        "\r\nTo: " + std::string(inv.header(sip::HeaderId::kTo)) +
        (b && !inv.to().value.hasTag() ? ";tag=b1" : "") +
        "\r\nCall-ID: " + std::string(inv.callId()) +
        "\r\nCSeq: " + std::to_string(inv.cseq().value.number) +
        " INVITE\r\nContact: " + (b ? "<sip:bob@127.0.0.3:5080>" : "<sip:alice@192.0.2.10>") +
        "\r\n";
    deliver(withSdp(head, sdp), leg, b ? "127.0.0.3" : "192.0.2.10", b ? 5080 : 5060);
  }
  void okFromA(const std::string& sdp) { okFrom(0, sdp); }
  void okFromB(const std::string& sdp) { okFrom(1, sdp); }
  void reinviteFromA(int cseq, const std::string& sdp) {
    std::string n = std::to_string(cseq);
    deliver(withSdp("INVITE sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKre" +
                        n + "\r\nMax-Forwards: 70\r\nFrom: <sip:alice@192.0.2.10>;tag=a1\r\n" +
                        "To: <sip:bob@127.0.0.1>;tag=" + aTag +
                        "\r\nCall-ID: s1@192.0.2.10\r\nCSeq: " + n +
                        " INVITE\r\nContact: <sip:alice@192.0.2.10>\r\n",
                    sdp),
            0, "192.0.2.10", 5060);
  }
  std::string_view bodyTo(transport::ListenerId l, std::string_view key) {
    const Sent* s = last(l, key);
    EXPECT_NE(s, nullptr) << key;
    return s ? s->msg.body() : std::string_view();
  }
  const mediaplane::StreamPair& lastSpec() {
    EXPECT_FALSE(plane.updated.empty());
    return plane.updated.back().streams.at(0);
  }
  // The refusal of an initial INVITE: 488 with `warning`, nothing set up.
  void expectRefused(std::string_view warning) {
    const Sent* refused = last(0, "488");
    ASSERT_NE(refused, nullptr);
    EXPECT_EQ(refused->msg.header(sip::HeaderId::kWarning),
              "399 127.0.0.1 \"" + std::string(warning) + "\"");
    EXPECT_EQ(last(1, "INVITE"), nullptr);  // no leg B
    EXPECT_TRUE(plane.created.empty());     // no media session
    EXPECT_EQ(b2bua->activeCalls(), 0u);
  }

  void advance(std::chrono::milliseconds d) {
    now += d;
    wheel.advance(now);
  }

  timer::TimePoint now = timer::Clock::now();
  timer::TimerWheel wheel{[this] { return now; }};
  FakeTransport transport{listeners()};
  RecordingPlane plane;
  config::Config config;
  std::unique_ptr<B2bua> b2bua;
  std::unique_ptr<transaction::TransactionLayer> txn;
  std::string aTag;  // A's dialog tag, from the 200 the SBC sent it (ackA)
};

}  // namespace sbc::b2bua::test_media

// SRTP (SDES) on anchored calls, per realm policy: what each leg is offered and answered,
// the keys the media plane is given for each side, and the 488s. The SBC's keys are read
// back from the SDP it sent, so each test checks that the key a peer was told is the one
// the relay protects with.

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "signaling/sdp/crypto.h"
#include "tests/unit/b2bua_media_fixture.h"

namespace sbc::b2bua {
namespace {

using namespace test_media;
using mediaplane::SrtpKeys;
using mediaplane::SrtpMasterKey;
using mediaplane::SrtpSuite;
using topology::SrtpMode;

// Peer keys: key||salt 01 02 ... and others.
constexpr const char* kAliceKey = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e";
constexpr const char* kAliceKey2 = "ERITFBUWFxgZGhscHR4fICEiIyQlJicoKSorLC0u";
constexpr const char* kBobKey = "ISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+";

SrtpMasterKey keyOf(std::string_view base64) {
  SrtpMasterKey k;
  size_t n = 0;
  EXPECT_TRUE(sdp::base64Decode(base64, k.bytes, n));
  k.length = static_cast<uint8_t>(n);
  return k;
}

// The usable a=crypto lines of a body, in order.
std::vector<sdp::SdesCrypto> cryptosIn(std::string_view body) {
  std::vector<sdp::SdesCrypto> out;
  for (size_t at = body.find("a=crypto:"); at != std::string_view::npos;
       at = body.find("a=crypto:", at + 1)) {
    size_t end = body.find("\r\n", at);
    sdp::SdesLine l = sdp::parseSdesCrypto(body.substr(at + 9, end - at - 9));
    EXPECT_TRUE(l.usable()) << body.substr(at, end - at);
    if (l.usable()) out.push_back(l.crypto);
  }
  return out;
}

std::string sdpWith(std::string_view who, int version, std::string_view ip, int port,
                    std::string_view proto, const std::vector<std::string>& cryptos,
                    std::string_view direction = "sendrecv") {
  std::string s = "v=0\r\no=" + std::string(who) + " 1 " + std::to_string(version) + " IN IP4 " +
                  std::string(ip) + "\r\ns=-\r\nc=IN IP4 " + std::string(ip) +
                  "\r\nt=0 0\r\nm=audio " + std::to_string(port) + " " + std::string(proto) +
                  " 8\r\na=rtpmap:8 PCMA/8000\r\n";
  for (const std::string& c : cryptos)
    s += "a=crypto:" + c + "\r\n";
  return s + "a=" + std::string(direction) + "\r\n";
}

std::string aliceSdp(std::string_view proto, const std::vector<std::string>& cryptos,
                     int version = 1, std::string_view direction = "sendrecv") {
  return sdpWith("alice", version, "192.0.2.10", 4000, proto, cryptos, direction);
}

std::string bobSdp(std::string_view proto, const std::vector<std::string>& cryptos, int version = 7,
                   std::string_view direction = "sendrecv") {
  return sdpWith("bob", version, "198.51.100.20", 5000, proto, cryptos, direction);
}

std::string line(int tag, std::string_view suite, std::string_view key) {
  return std::to_string(tag) + " " + std::string(suite) + " inline:" + std::string(key);
}

class B2buaSrtpTest : public B2buaMediaTest {
 protected:
  void configure(config::Config& c) override {
    c.realms[0].media->srtp.mode = accessMode;
    c.realms[1].media->srtp.mode = coreMode;
    if (!accessSuites.empty()) c.realms[0].media->srtp.suites = accessSuites;
    if (!coreSuites.empty()) c.realms[1].media->srtp.suites = coreSuites;
  }
  void SetUp() override {}  // each test sets the modes, then start()
  void start(SrtpMode access, SrtpMode core) {
    accessMode = access;
    coreMode = core;
    B2buaMediaTest::SetUp();
  }

  // An SRTP call from A (suite 80, kAliceKey) to B (answers tag 1 with kBobKey), answered.
  void srtpCall() {
    start(SrtpMode::kOptional, SrtpMode::kOptional);
    inviteWith(aliceSdp("RTP/SAVP", {line(1, "AES_CM_128_HMAC_SHA1_80", kAliceKey)}));
    okFromB(bobSdp("RTP/SAVP", {line(1, "AES_CM_128_HMAC_SHA1_80", kBobKey)}));
    ackA();
    ASSERT_TRUE(lastSpec().a.srtp.has_value());
    ASSERT_TRUE(lastSpec().b.srtp.has_value());
  }
  SrtpMode accessMode = SrtpMode::kOptional;
  SrtpMode coreMode = SrtpMode::kOptional;
  std::vector<SrtpSuite> accessSuites, coreSuites;
};

TEST_F(B2buaSrtpTest, PlainCallerToRequiredSrtpCallee) {
  start(SrtpMode::kOptional, SrtpMode::kRequired);
  inviteWith(aliceSdp("RTP/AVP", {}));
  std::string_view toB = bodyTo(1, "INVITE");
  EXPECT_NE(toB.find("m=audio 40000 RTP/SAVP 8\r\n"), std::string_view::npos) << toB;
  std::vector<sdp::SdesCrypto> offered = cryptosIn(toB);
  // One line per allowed suite, tags 1..n in the realm's order, each with its own key.
  ASSERT_EQ(offered.size(), 4u);
  const SrtpSuite order[] = {SrtpSuite::kAesCm128HmacSha1_80, SrtpSuite::kAesCm128HmacSha1_32,
                             SrtpSuite::kAeadAes128Gcm, SrtpSuite::kAeadAes256Gcm};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(offered[i].tag, i + 1);
    EXPECT_EQ(offered[i].suite, order[i]);
    for (size_t j = 0; j < i; ++j)
      EXPECT_NE(offered[i].key, offered[j].key);
  }
  okFromB(bobSdp("RTP/SAVP", {line(2, "AES_CM_128_HMAC_SHA1_32", kBobKey)}));
  std::string_view toA = bodyTo(0, "200");
  EXPECT_NE(toA.find("m=audio 30000 RTP/AVP 8\r\n"), std::string_view::npos) << toA;
  EXPECT_EQ(toA.find("crypto"), std::string_view::npos) << toA;
  const mediaplane::StreamPair& s = lastSpec();
  EXPECT_FALSE(s.a.srtp.has_value());
  ASSERT_TRUE(s.b.srtp.has_value());
  EXPECT_EQ(s.b.srtp->suite, SrtpSuite::kAesCm128HmacSha1_32);
  EXPECT_EQ(s.b.srtp->receive, keyOf(kBobKey));
  EXPECT_EQ(s.b.srtp->send, offered[1].key);
}

TEST_F(B2buaSrtpTest, SrtpCallerToPlainCallee) {
  start(SrtpMode::kOptional, SrtpMode::kOff);
  // The first line's suite is unknown: the SBC takes the next usable one.
  inviteWith(aliceSdp("RTP/SAVPF", {line(1, "F8_128_HMAC_SHA1_80", kAliceKey),
                                    line(2, "AES_CM_128_HMAC_SHA1_80", kAliceKey)}));
  std::string_view toB = bodyTo(1, "INVITE");
  EXPECT_NE(toB.find("m=audio 40000 RTP/AVPF 8\r\n"), std::string_view::npos) << toB;
  EXPECT_EQ(toB.find("crypto"), std::string_view::npos) << toB;
  EXPECT_EQ(toB.find(kAliceKey), std::string_view::npos) << toB;
  ASSERT_FALSE(plane.created.at(0).streams.at(0).a.srtp.has_value());  // not before the answer
  okFromB(bobSdp("RTP/AVPF", {}));
  std::string_view toA = bodyTo(0, "200");
  EXPECT_NE(toA.find("m=audio 30000 RTP/SAVPF 8\r\n"), std::string_view::npos) << toA;
  std::vector<sdp::SdesCrypto> answered = cryptosIn(toA);
  ASSERT_EQ(answered.size(), 1u);
  EXPECT_EQ(answered[0].tag, 2u);
  EXPECT_EQ(answered[0].suite, SrtpSuite::kAesCm128HmacSha1_80);
  EXPECT_NE(answered[0].key, keyOf(kAliceKey));
  const mediaplane::StreamPair& s = lastSpec();
  ASSERT_TRUE(s.a.srtp.has_value());
  EXPECT_EQ(*s.a.srtp,
            (SrtpKeys{SrtpSuite::kAesCm128HmacSha1_80, keyOf(kAliceKey), answered[0].key}));
  EXPECT_FALSE(s.b.srtp.has_value());
}

TEST_F(B2buaSrtpTest, SrtpToSrtpWithDifferentKeysOnEachLeg) {
  start(SrtpMode::kOptional, SrtpMode::kOptional);
  inviteWith(
      aliceSdp("RTP/SAVP", {line(5, "AEAD_AES_256_GCM",
                                 "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKyw=")}));
  std::string_view toB = bodyTo(1, "INVITE");
  EXPECT_NE(toB.find("m=audio 40000 RTP/SAVP 8\r\n"), std::string_view::npos) << toB;
  std::vector<sdp::SdesCrypto> offered = cryptosIn(toB);
  ASSERT_EQ(offered.size(), 4u);
  SrtpMasterKey alice = keyOf("AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKyw=");
  for (const sdp::SdesCrypto& c : offered)
    EXPECT_NE(c.key, alice);  // no key crosses legs
  okFromB(bobSdp("RTP/SAVP", {line(1, "AES_CM_128_HMAC_SHA1_80", kBobKey)}));
  std::string_view toA = bodyTo(0, "200");
  EXPECT_EQ(toA.find(kBobKey), std::string_view::npos) << toA;
  std::vector<sdp::SdesCrypto> answered = cryptosIn(toA);
  ASSERT_EQ(answered.size(), 1u);
  EXPECT_EQ(answered[0].tag, 5u);
  EXPECT_EQ(answered[0].suite, SrtpSuite::kAeadAes256Gcm);
  const mediaplane::StreamPair& s = lastSpec();
  ASSERT_TRUE(s.a.srtp && s.b.srtp);
  EXPECT_EQ(*s.a.srtp, (SrtpKeys{SrtpSuite::kAeadAes256Gcm, alice, answered[0].key}));
  EXPECT_EQ(*s.b.srtp, (SrtpKeys{SrtpSuite::kAesCm128HmacSha1_80, keyOf(kBobKey), offered[0].key}));
  // Four different keys: each peer's, and the SBC's own on each leg.
  EXPECT_NE(s.a.srtp->send, s.b.srtp->send);
  EXPECT_NE(s.a.srtp->send, s.b.srtp->receive);
  EXPECT_NE(s.b.srtp->send, s.a.srtp->receive);
}

TEST_F(B2buaSrtpTest, RequiredRealmRefusesAPlainOffer) {
  start(SrtpMode::kRequired, SrtpMode::kOptional);
  inviteWith(aliceSdp("RTP/AVP", {}));
  expectRefused("SRTP required in this realm");
}

TEST_F(B2buaSrtpTest, UnknownSuiteOnlyIsRefused) {
  start(SrtpMode::kOptional, SrtpMode::kOptional);
  inviteWith(aliceSdp("RTP/SAVP", {line(1, "F8_128_HMAC_SHA1_80", kAliceKey)}));
  expectRefused("no usable SRTP crypto suite (tag 1 F8_128_HMAC_SHA1_80: unknown crypto suite)");
}

TEST_F(B2buaSrtpTest, MalformedKeyIsRefusedWithoutTheKeyInTheWarning) {
  start(SrtpMode::kOptional, SrtpMode::kOptional);
  std::string bad = std::string(kAliceKey).substr(0, 36);  // 27 bytes, not 30
  inviteWith(aliceSdp("RTP/SAVP", {line(1, "AES_CM_128_HMAC_SHA1_80", bad)}));
  expectRefused(
      "no usable SRTP crypto suite (tag 1 AES_CM_128_HMAC_SHA1_80: key is not valid base64 of "
      "the suite's key and salt length)");
  // Then two calls take both port pairs of access: the refusal took none.
  inviteWith(aliceSdp("RTP/SAVP", {line(1, "AES_CM_128_HMAC_SHA1_80", kAliceKey)}), 2);
  inviteWith(aliceSdp("RTP/SAVP", {line(1, "AES_CM_128_HMAC_SHA1_80", kAliceKey)}), 3);
  EXPECT_EQ(b2bua->activeCalls(), 2u);
}

// media.srtp_suites bounds what is accepted from the realm and what is offered into it.
TEST_F(B2buaSrtpTest, RealmSuitesBoundWhatIsAcceptedAndOffered) {
  accessSuites = {SrtpSuite::kAeadAes128Gcm};
  coreSuites = {SrtpSuite::kAeadAes256Gcm, SrtpSuite::kAesCm128HmacSha1_32};
  start(SrtpMode::kOptional, SrtpMode::kOptional);
  inviteWith(aliceSdp("RTP/SAVP", {line(1, "AES_CM_128_HMAC_SHA1_80", kAliceKey)}));
  expectRefused(
      "no usable SRTP crypto suite (tag 1 AES_CM_128_HMAC_SHA1_80: suite not enabled in this "
      "realm)");
  inviteWith(aliceSdp("RTP/SAVP",
                      {line(1, "AES_CM_128_HMAC_SHA1_80", kAliceKey),
                       line(2, "AEAD_AES_128_GCM", "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHA==")}),
             2);
  std::vector<sdp::SdesCrypto> toB = cryptosIn(bodyTo(1, "INVITE"));
  ASSERT_EQ(toB.size(), 2u);
  EXPECT_EQ(toB[0].suite, SrtpSuite::kAeadAes256Gcm);
  EXPECT_EQ(toB[0].tag, 1u);
  EXPECT_EQ(toB[1].suite, SrtpSuite::kAesCm128HmacSha1_32);
  EXPECT_EQ(toB[1].tag, 2u);
}

TEST_F(B2buaSrtpTest, OffRealmRefusesAnSrtpOffer) {
  start(SrtpMode::kOff, SrtpMode::kOptional);
  inviteWith(aliceSdp("RTP/SAVP", {line(1, "AES_CM_128_HMAC_SHA1_80", kAliceKey)}));
  expectRefused("SRTP is off in this realm");
}

TEST_F(B2buaSrtpTest, DtlsSrtpIsRefused) {
  start(SrtpMode::kOptional, SrtpMode::kOptional);
  inviteWith(aliceSdp("UDP/TLS/RTP/SAVPF", {}));
  expectRefused("DTLS-SRTP is not supported");
}

// An off realm takes a=crypto in a plain offer as noise: removed, the call goes on plain.
// One at session level (RFC 4568 defines none there) does not cross either.
TEST_F(B2buaSrtpTest, CryptoInAPlainOfferIsRemoved) {
  start(SrtpMode::kOff, SrtpMode::kOff);
  std::string sdp = aliceSdp("RTP/AVP", {line(1, "AES_CM_128_HMAC_SHA1_80", kAliceKey)});
  sdp.insert(sdp.find("t=0 0\r\n") + 7,
             "a=crypto:" + line(2, "AES_CM_128_HMAC_SHA1_80", kAliceKey2) + "\r\n");
  inviteWith(sdp);
  std::string_view toB = bodyTo(1, "INVITE");
  EXPECT_NE(toB.find("RTP/AVP"), std::string_view::npos);
  EXPECT_EQ(toB.find("crypto"), std::string_view::npos) << toB;
  okFromB(bobSdp("RTP/AVP", {}) + "a=crypto:" + line(1, "AES_CM_128_HMAC_SHA1_80", kBobKey) +
          "\r\n");
  std::string_view toA = bodyTo(0, "200");
  EXPECT_EQ(toA.find("crypto"), std::string_view::npos) << toA;
}

TEST_F(B2buaSrtpTest, UnusableAnswerToTheInitialInviteEndsLegBAndFailsTheCall) {
  start(SrtpMode::kOptional, SrtpMode::kRequired);
  inviteWith(aliceSdp("RTP/AVP", {}));
  ASSERT_NE(last(1, "INVITE"), nullptr);
  // Tag 9 was never offered.
  okFromB(bobSdp("RTP/SAVP", {line(9, "AES_CM_128_HMAC_SHA1_80", kBobKey)}));
  const Sent* refused = last(0, "488");
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(refused->msg.header(sip::HeaderId::kWarning),
            "399 127.0.0.1 \"SRTP answer unusable (tag 9 AES_CM_128_HMAC_SHA1_80: tag not "
            "offered)\"");
  EXPECT_EQ(last(0, "200"), nullptr);
  EXPECT_NE(last(1, "ACK"), nullptr);
  EXPECT_NE(last(1, "BYE"), nullptr);
  EXPECT_EQ(b2bua->activeCalls(), 0u);
  ASSERT_EQ(plane.deleted.size(), 1u);
  // The relay never ran the callee's key.
  for (const mediaplane::SessionSpec& spec : plane.updated)
    EXPECT_FALSE(spec.streams.at(0).b.srtp.has_value());
}

TEST_F(B2buaSrtpTest, PlainAnswerToAnSrtpOfferFailsTheCall) {
  start(SrtpMode::kOptional, SrtpMode::kRequired);
  inviteWith(aliceSdp("RTP/AVP", {}));
  okFromB(bobSdp("RTP/AVP", {}));
  const Sent* refused = last(0, "488");
  ASSERT_NE(refused, nullptr);
  EXPECT_NE(
      refused->msg.header(sip::HeaderId::kWarning).find("RTP/SAVP was offered, RTP/AVP answered"),
      std::string_view::npos);
  EXPECT_EQ(b2bua->activeCalls(), 0u);
}

TEST_F(B2buaSrtpTest, ReInviteWithANewKeyReKeysOnlyThatDirection) {
  srtpCall();
  SrtpKeys a = *lastSpec().a.srtp;
  SrtpKeys b = *lastSpec().b.srtp;
  std::vector<sdp::SdesCrypto> firstToB = cryptosIn(bodyTo(1, "INVITE"));
  reinviteFromA(2, aliceSdp("RTP/SAVP", {line(1, "AES_CM_128_HMAC_SHA1_80", kAliceKey2)}, 2));
  std::vector<sdp::SdesCrypto> toB = cryptosIn(bodyTo(1, "INVITE"));
  ASSERT_EQ(toB.size(), 4u);
  EXPECT_EQ(toB[0].key, firstToB[0].key);  // B's suite unchanged: the SBC keeps its key
  okFromB(bobSdp("RTP/SAVP", {line(1, "AES_CM_128_HMAC_SHA1_80", kBobKey)}, 8));
  std::vector<sdp::SdesCrypto> toA = cryptosIn(bodyTo(0, "200"));
  ASSERT_EQ(toA.size(), 1u);
  EXPECT_EQ(toA[0].key, a.send);
  const mediaplane::StreamPair& s = lastSpec();
  ASSERT_TRUE(s.a.srtp && s.b.srtp);
  EXPECT_EQ(s.a.srtp->receive, keyOf(kAliceKey2));  // re-keyed
  EXPECT_EQ(s.a.srtp->send, a.send);                // the SBC's own key unchanged
  EXPECT_EQ(*s.b.srtp, b);
}

TEST_F(B2buaSrtpTest, HoldAndResumeKeepEveryKey) {
  srtpCall();
  SrtpKeys a = *lastSpec().a.srtp;
  SrtpKeys b = *lastSpec().b.srtp;
  std::string firstToA(bodyTo(0, "200").substr(bodyTo(0, "200").find("a=crypto:")));
  std::vector<sdp::SdesCrypto> firstToB = cryptosIn(bodyTo(1, "INVITE"));
  int cseq = 2;
  for (std::string_view direction : {"sendonly", "sendrecv"}) {
    reinviteFromA(cseq, aliceSdp("RTP/SAVP", {line(1, "AES_CM_128_HMAC_SHA1_80", kAliceKey)}, cseq,
                                 direction));
    std::string_view toB = bodyTo(1, "INVITE");
    EXPECT_NE(toB.find(std::string("a=") + std::string(direction)), std::string_view::npos);
    EXPECT_EQ(cryptosIn(toB)[0].key, firstToB[0].key) << direction;
    okFromB(bobSdp("RTP/SAVP", {line(1, "AES_CM_128_HMAC_SHA1_80", kBobKey)}, 6 + cseq,
                   direction == "sendonly" ? "recvonly" : "sendrecv"));
    std::string_view toA = bodyTo(0, "200");
    // The same a=crypto line as in the first answer.
    EXPECT_NE(toA.find(firstToA.substr(0, firstToA.find("\r\n"))), std::string_view::npos)
        << direction << "\n"
        << toA;
    EXPECT_EQ(*lastSpec().a.srtp, a) << direction;
    EXPECT_EQ(*lastSpec().b.srtp, b) << direction;
    ++cseq;
  }
}

// An answer the relay cannot run, to a re-INVITE: the call stays on its old keys.
TEST_F(B2buaSrtpTest, UnusableAnswerToAReInviteKeepsTheOldMedia) {
  srtpCall();
  SrtpKeys a = *lastSpec().a.srtp;
  SrtpKeys b = *lastSpec().b.srtp;
  size_t updates = plane.updated.size();
  reinviteFromA(2, aliceSdp("RTP/SAVP", {line(1, "AES_CM_128_HMAC_SHA1_80", kAliceKey2)}, 2));
  okFromB(bobSdp("RTP/SAVP", {line(1, "AES_CM_128_HMAC_SHA1_80", "AAAA")}, 8));
  EXPECT_EQ(b2bua->activeCalls(), 1u);
  ASSERT_GE(plane.updated.size(), updates);
  EXPECT_EQ(*lastSpec().a.srtp, a);
  EXPECT_EQ(*lastSpec().b.srtp, b);
  // The next exchange works again from the old state.
  reinviteFromA(3, aliceSdp("RTP/SAVP", {line(1, "AES_CM_128_HMAC_SHA1_80", kAliceKey2)}, 3));
  okFromB(bobSdp("RTP/SAVP", {line(1, "AES_CM_128_HMAC_SHA1_80", kBobKey)}, 9));
  EXPECT_EQ(lastSpec().a.srtp->receive, keyOf(kAliceKey2));
  EXPECT_EQ(lastSpec().a.srtp->send, a.send);
}

// Late offer: the INVITE has no SDP, the callee offers in its 200 and the caller answers
// in its ACK; each leg still gets the SBC's own keys.
TEST_F(B2buaSrtpTest, LateOfferFromTheCalleeAnsweredInTheAck) {
  start(SrtpMode::kOptional, SrtpMode::kOptional);
  deliver(
      "INVITE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKs1\r\n"
      "Max-Forwards: 70\r\nFrom: <sip:alice@192.0.2.10>;tag=a1\r\nTo: <sip:bob@127.0.0.1>\r\n"
      "Call-ID: s1@192.0.2.10\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@192.0.2.10>\r\n"
      "Content-Length: 0\r\n\r\n",
      0, "192.0.2.10", 5060);
  ASSERT_NE(last(1, "INVITE"), nullptr);
  okFromB(bobSdp("RTP/SAVP", {line(1, "AES_CM_128_HMAC_SHA1_80", kBobKey)}));
  std::vector<sdp::SdesCrypto> toA = cryptosIn(bodyTo(0, "200"));
  ASSERT_EQ(toA.size(), 4u);  // the SBC's offer to the caller
  for (const sdp::SdesCrypto& c : toA)
    EXPECT_NE(c.key, keyOf(kBobKey));
  const char* gcm = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHA==";
  ackAWith(aliceSdp("RTP/SAVP", {line(3, "AEAD_AES_128_GCM", gcm)}));
  std::string_view ack = bodyTo(1, "ACK");
  EXPECT_NE(ack.find("RTP/SAVP"), std::string_view::npos) << ack;
  std::vector<sdp::SdesCrypto> toB = cryptosIn(ack);
  ASSERT_EQ(toB.size(), 1u);
  EXPECT_EQ(toB[0].tag, 1u);
  EXPECT_EQ(toB[0].suite, SrtpSuite::kAesCm128HmacSha1_80);
  const mediaplane::StreamPair& s = lastSpec();
  ASSERT_TRUE(s.a.srtp && s.b.srtp);
  EXPECT_EQ(*s.a.srtp, (SrtpKeys{SrtpSuite::kAeadAes128Gcm, keyOf(gcm), toA[2].key}));
  EXPECT_EQ(*s.b.srtp, (SrtpKeys{SrtpSuite::kAesCm128HmacSha1_80, keyOf(kBobKey), toB[0].key}));
}

// An unusable SRTP answer in the ACK ends the call: there is no media to run.
TEST_F(B2buaSrtpTest, UnusableAnswerInTheAckEndsTheCall) {
  start(SrtpMode::kOptional, SrtpMode::kOptional);
  deliver(
      "INVITE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKs1\r\n"
      "Max-Forwards: 70\r\nFrom: <sip:alice@192.0.2.10>;tag=a1\r\nTo: <sip:bob@127.0.0.1>\r\n"
      "Call-ID: s1@192.0.2.10\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@192.0.2.10>\r\n"
      "Content-Length: 0\r\n\r\n",
      0, "192.0.2.10", 5060);
  okFromB(bobSdp("RTP/SAVP", {line(1, "AES_CM_128_HMAC_SHA1_80", kBobKey)}));
  ASSERT_EQ(b2bua->activeCalls(), 1u);
  ackAWith(aliceSdp("RTP/SAVP", {line(7, "AES_CM_128_HMAC_SHA1_80", kAliceKey)}));  // not offered
  EXPECT_NE(last(1, "ACK"), nullptr);
  EXPECT_NE(last(0, "BYE"), nullptr);
  EXPECT_NE(last(1, "BYE"), nullptr);
  EXPECT_EQ(b2bua->activeCalls(), 0u);
}

// A re-INVITE from the callee re-keys what the callee sends; the SBC's keys stay.
TEST_F(B2buaSrtpTest, ReInviteFromTheCalleeWithANewKey) {
  srtpCall();
  SrtpKeys a = *lastSpec().a.srtp;
  SrtpKeys b = *lastSpec().b.srtp;
  const char* bob2 = "MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkw";
  reinviteFromB(1, bobSdp("RTP/SAVP", {line(4, "AES_CM_128_HMAC_SHA1_80", bob2)}, 8));
  std::vector<sdp::SdesCrypto> toA = cryptosIn(bodyTo(0, "INVITE"));
  ASSERT_EQ(toA.size(), 4u);
  EXPECT_EQ(toA[0].key, a.send);  // the caller's suite unchanged: same SBC key
  okFromA(aliceSdp("RTP/SAVP", {line(1, "AES_CM_128_HMAC_SHA1_80", kAliceKey)}, 2));
  std::vector<sdp::SdesCrypto> toB = cryptosIn(bodyTo(1, "200"));
  ASSERT_EQ(toB.size(), 1u);
  EXPECT_EQ(toB[0].tag, 4u);
  EXPECT_EQ(toB[0].key, b.send);
  const mediaplane::StreamPair& s = lastSpec();
  ASSERT_TRUE(s.a.srtp && s.b.srtp);
  EXPECT_EQ(*s.a.srtp, a);
  EXPECT_EQ(*s.b.srtp, (SrtpKeys{SrtpSuite::kAesCm128HmacSha1_80, keyOf(bob2), b.send}));
}

// A re-INVITE may switch a leg between SRTP and plain RTP; on the way back the SBC's key is
// a new one (the old suite's key was given up with the switch).
TEST_F(B2buaSrtpTest, ReInviteSwitchesToPlainAndBack) {
  srtpCall();
  SrtpKeys a = *lastSpec().a.srtp;
  reinviteFromA(2, aliceSdp("RTP/AVP", {}, 2));
  std::string_view toB = bodyTo(1, "INVITE");
  EXPECT_NE(toB.find("RTP/AVP 8"), std::string_view::npos) << toB;  // optional mirrors
  EXPECT_EQ(toB.find("crypto"), std::string_view::npos) << toB;
  okFromB(bobSdp("RTP/AVP", {}, 8));
  EXPECT_EQ(bodyTo(0, "200").find("crypto"), std::string_view::npos);
  EXPECT_FALSE(lastSpec().a.srtp.has_value());
  EXPECT_FALSE(lastSpec().b.srtp.has_value());
  reinviteFromA(3, aliceSdp("RTP/SAVP", {line(1, "AES_CM_128_HMAC_SHA1_80", kAliceKey)}, 3));
  okFromB(bobSdp("RTP/SAVP", {line(1, "AES_CM_128_HMAC_SHA1_80", kBobKey)}, 9));
  ASSERT_TRUE(lastSpec().a.srtp && lastSpec().b.srtp);
  EXPECT_EQ(lastSpec().a.srtp->receive, keyOf(kAliceKey));
  EXPECT_NE(lastSpec().a.srtp->send, a.send);
}

// The callee refuses a re-INVITE: the keys stay, and the next SDP from the callee is
// taken as an offer, not as the answer to the refused one.
TEST_F(B2buaSrtpTest, RefusedReInviteKeepsTheKeys) {
  srtpCall();
  SrtpKeys a = *lastSpec().a.srtp;
  SrtpKeys b = *lastSpec().b.srtp;
  reinviteFromA(2, aliceSdp("RTP/SAVP", {line(1, "AES_CM_128_HMAC_SHA1_80", kAliceKey2)}, 2));
  const sip::Message& inv = last(1, "INVITE")->msg;
  deliver(
      "SIP/2.0 488 Not Acceptable Here\r\nVia: " + std::string(inv.header(sip::HeaderId::kVia)) +
          "\r\nFrom: " + std::string(inv.header(sip::HeaderId::kFrom)) +
          "\r\nTo: " + std::string(inv.header(sip::HeaderId::kTo)) + "\r\nCall-ID: " +
          std::string(inv.callId()) + "\r\nCSeq: " + std::to_string(inv.cseq().value.number) +
          " INVITE\r\nContent-Length: 0\r\n\r\n",
      1, "127.0.0.3", 5080);
  ASSERT_NE(last(0, "488"), nullptr);
  EXPECT_EQ(*lastSpec().a.srtp, a);
  EXPECT_EQ(*lastSpec().b.srtp, b);
  // A re-INVITE without SDP: the callee's 200 offers, and the caller gets an offer.
  reinviteFromA(3, "");
  okFromB(bobSdp("RTP/SAVP", {line(1, "AES_CM_128_HMAC_SHA1_80", kBobKey)}, 8));
  EXPECT_EQ(cryptosIn(bodyTo(0, "200")).size(), 4u);
}

// No key reaches the log, at any level: every line the B2BUA writes while calls offer,
// answer, re-key and fail on keys is searched for each key's base64 text.
TEST_F(B2buaSrtpTest, NoKeyIsLoggedEvenAtTraceLevel) {
  std::ostringstream captured;
  auto previous = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>(
      "capture", std::make_shared<spdlog::sinks::ostream_sink_st>(captured));
  logger->set_level(spdlog::level::trace);
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::trace);
  std::vector<std::string> keys = {kAliceKey, kAliceKey2, kBobKey};
  srtpCall();
  for (std::string_view key : {bodyTo(1, "INVITE"), bodyTo(0, "200")})
    for (const sdp::SdesCrypto& c : cryptosIn(key))
      keys.push_back(sdp::base64Encode(std::span<const uint8_t>(c.key.bytes.data(), c.key.length)));
  // A re-key whose answer is unusable (a key of the wrong length), then one that works.
  reinviteFromA(2, aliceSdp("RTP/SAVP", {line(1, "AES_CM_128_HMAC_SHA1_80", kAliceKey2)}, 2));
  okFromB(bobSdp("RTP/SAVP", {line(1, "AES_CM_128_HMAC_SHA1_80", std::string(kBobKey, 36))}, 8));
  reinviteFromA(3, aliceSdp("RTP/SAVP", {line(1, "AES_CM_128_HMAC_SHA1_80", kAliceKey2)}, 3));
  okFromB(bobSdp("RTP/SAVP", {line(1, "AES_CM_128_HMAC_SHA1_80", kBobKey)}, 9));
  // A new call refused for its key.
  inviteWith(aliceSdp("RTP/SAVP", {line(1, "AES_CM_128_HMAC_SHA1_80", std::string(kAliceKey, 36))}),
             2);
  spdlog::set_default_logger(previous);
  std::string log = captured.str();
  EXPECT_NE(log.find("event=bad_sdp"), std::string::npos) << log;  // the capture works
  for (const std::string& k : keys) {
    EXPECT_EQ(log.find(k), std::string::npos) << k;
    EXPECT_EQ(log.find(k.substr(0, 16)), std::string::npos) << k;  // nor a part of one
  }
}

}  // namespace
}  // namespace sbc::b2bua

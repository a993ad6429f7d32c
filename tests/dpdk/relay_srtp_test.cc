// SRTP in the relay (dpdk/README.md, "SRTP"), one worker lcore: exact frames out, and what
// they carry decrypted by the far peer's own libsrtp context. relay_multicore_test.cc has
// the RSS handoff between lcores.

#include <gtest/gtest.h>

#include "tests/dpdk/relay_fixture.h"
#include "tests/dpdk/srtp_peer.h"

namespace sbc::dpdk::test {

EalEnvironment& environment() {
  static auto* env =
      static_cast<EalEnvironment*>(::testing::AddGlobalTestEnvironment(new EalEnvironment(1)));
  return *env;
}

namespace {

[[maybe_unused]] EalEnvironment& registered = environment();

using srtp::Direction;

// Each test runs twice: RTP on the fast path (srtp::RtpBatch, libipsec-mb) and on libsrtp
// one packet at a time (RelayConfig::srtpBatch false: where libipsec-mb cannot run).
class SrtpRelayTest : public RelayTest, public ::testing::WithParamInterface<bool> {
 protected:
  RelayConfig config() const {
    RelayConfig c = RelayTest::config();
    c.srtpBatch = GetParam();
    return c;
  }

  static SessionSpec srtpCall(std::optional<SrtpKeys> a, std::optional<SrtpKeys> b, uint64_t id = 1,
                              uint16_t aPort = 20000, uint16_t bPort = 30000) {
    SessionSpec s = call(id);
    s.streams[0].a.local.port = aPort;
    s.streams[0].b.local.port = bPort;
    s.streams[0].a.srtp = a;
    s.streams[0].b.srtp = b;
    return s;
  }
};

constexpr SrtpSuite kSuite = SrtpSuite::kAesCm128HmacSha1_80;

// RTP -> SRTP and SRTP -> RTP, for every suite this libsrtp runs: the trunk speaks SRTP.
TEST_P(SrtpRelayTest, RtpToSrtpAndBackForEverySuite) {
  start(config());
  introducePeers();
  std::vector<SrtpSuite> suites = supportedSuites();
  ASSERT_GE(suites.size(), 2u) << "the issue asks for AES_CM_128_HMAC_SHA1_80 and _32 at least";
  for (size_t n = 0; n < suites.size(); ++n) {
    SrtpSuite suite = suites[n];
    SCOPED_TRACE(std::string(mediaplane::srtpSuiteName(suite)));
    auto aPort = static_cast<uint16_t>(20000 + 10 * n);
    auto bPort = static_cast<uint16_t>(30000 + 10 * n);
    SrtpKeys trunk = testKeys(suite, static_cast<uint8_t>(10 + n), static_cast<uint8_t>(20 + n));
    ASSERT_EQ(plane_->createSession(srtpCall(std::nullopt, trunk, 1 + n, aPort, bPort)), "");

    SrtpPeer expected(suite, trunk.send, Direction::kProtect);
    SrtpPeer trunkIn(suite, trunk.send, Direction::kUnprotect);
    for (uint16_t seq = 1; seq <= 3; ++seq) {
      Bytes voice = rtp(seq, 160u * seq, 0x11111111);
      access_->send(fromPhone(voice, 4000, aPort));
      std::optional<Bytes> out = core_->receive();
      ASSERT_TRUE(out);
      EXPECT_EQ(*out, atTrunk(expected.protect(voice), bPort));
      EXPECT_TRUE(ipChecksumOk(*out));
      EXPECT_TRUE(udpChecksumOk(*out));
      std::optional<Bytes> plain = trunkIn.unprotect(udpPayload(*out));
      ASSERT_TRUE(plain);
      EXPECT_EQ(*plain, voice);
    }

    SrtpPeer trunkOut(suite, trunk.receive, Direction::kProtect);
    for (uint16_t seq = 7; seq <= 9; ++seq) {
      Bytes answer = rtp(seq, 160u * seq, 0x22222222, 8);
      Bytes wire = trunkOut.protect(answer);
      EXPECT_NE(wire, answer);
      core_->send(fromTrunk(wire, 5000, bPort));
      std::optional<Bytes> out = access_->receive();
      ASSERT_TRUE(out);
      EXPECT_EQ(*out, atPhone(answer, aPort));
      EXPECT_TRUE(udpChecksumOk(*out));
    }
    mediaplane::DirectionStats a = direction(1 + n, true);
    EXPECT_EQ(a.packets, 3u);
  }
  for (uint64_t d : plane_->counters().drops)
    EXPECT_EQ(d, 0u);
}

// The caller speaks SRTP, the callee RTP.
TEST_P(SrtpRelayTest, SrtpCallerToRtpCallee) {
  start(config());
  introducePeers();
  SrtpKeys phone = testKeys(kSuite, 1, 2);
  ASSERT_EQ(plane_->createSession(srtpCall(phone, std::nullopt)), "");
  SrtpPeer phoneOut(kSuite, phone.receive, Direction::kProtect);
  Bytes voice = rtp(100, 16000, 0x11111111);
  access_->send(fromPhone(phoneOut.protect(voice)));
  std::optional<Bytes> out = core_->receive();
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, atTrunk(voice));
  Bytes answer = rtp(5, 800, 0x22222222);
  core_->send(fromTrunk(answer));
  out = access_->receive();
  ASSERT_TRUE(out);
  SrtpPeer expected(kSuite, phone.send, Direction::kProtect);
  EXPECT_EQ(*out, atPhone(expected.protect(answer)));
}

// SRTP on both legs, re-keyed at the SBC: each leg has its own keys, the bytes differ on
// each side, and each side decrypts with its own.
TEST_P(SrtpRelayTest, SrtpToSrtpIsReKeyed) {
  start(config());
  introducePeers();
  SrtpKeys phone = testKeys(kSuite, 1, 2);
  SrtpKeys trunk = testKeys(kSuite, 3, 4);
  ASSERT_EQ(plane_->createSession(srtpCall(phone, trunk)), "");
  SrtpPeer phoneOut(kSuite, phone.receive, Direction::kProtect);
  SrtpPeer trunkIn(kSuite, trunk.send, Direction::kUnprotect);
  Bytes voice = rtp(100, 16000, 0x11111111);
  Bytes wire = phoneOut.protect(voice);
  access_->send(fromPhone(wire));
  std::optional<Bytes> out = core_->receive();
  ASSERT_TRUE(out);
  EXPECT_NE(udpPayload(*out), wire) << "the trunk's leg has other keys";
  EXPECT_EQ(udpPayload(*out).size(), wire.size());
  std::optional<Bytes> plain = trunkIn.unprotect(udpPayload(*out));
  ASSERT_TRUE(plain);
  EXPECT_EQ(*plain, voice);

  SrtpPeer trunkOut(kSuite, trunk.receive, Direction::kProtect);
  SrtpPeer phoneIn(kSuite, phone.send, Direction::kUnprotect);
  Bytes answer = rtp(9, 1440, 0x22222222);
  Bytes back = trunkOut.protect(answer);
  core_->send(fromTrunk(back));
  out = access_->receive();
  ASSERT_TRUE(out);
  EXPECT_NE(udpPayload(*out), back);
  plain = phoneIn.unprotect(udpPayload(*out));
  ASSERT_TRUE(plain);
  EXPECT_EQ(*plain, answer);
}

TEST_P(SrtpRelayTest, TamperedPacketIsDroppedAndCounted) {
  start(config());
  introducePeers();
  SrtpKeys phone = testKeys(kSuite, 1, 2);
  ASSERT_EQ(plane_->createSession(srtpCall(phone, std::nullopt)), "");
  SrtpPeer phoneOut(kSuite, phone.receive, Direction::kProtect);
  access_->send(fromPhone(phoneOut.protect(rtp(1, 160, 7))));
  ASSERT_TRUE(core_->receive());
  Bytes tampered = phoneOut.protect(rtp(2, 320, 7));
  tampered[20] ^= 0x01;
  access_->send(fromPhone(tampered));
  ASSERT_TRUE(eventually([&] { return drops(DropReason::kSrtpAuth) == 1; }));
  EXPECT_TRUE(silent(*core_));
  EXPECT_EQ(direction(1, true).drops[at(DropReason::kSrtpAuth)], 1u);
  // The stream goes on.
  Bytes voice = rtp(3, 480, 7);
  access_->send(fromPhone(phoneOut.protect(voice)));
  std::optional<Bytes> out = core_->receive();
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, atTrunk(voice));
  EXPECT_EQ(direction(1, true).packets, 2u);
}

TEST_P(SrtpRelayTest, ReplayedPacketIsDroppedAndCounted) {
  start(config());
  introducePeers();
  SrtpKeys phone = testKeys(kSuite, 1, 2);
  ASSERT_EQ(plane_->createSession(srtpCall(phone, std::nullopt)), "");
  SrtpPeer phoneOut(kSuite, phone.receive, Direction::kProtect);
  Bytes wire = phoneOut.protect(rtp(1, 160, 7));
  access_->send(fromPhone(wire));
  ASSERT_TRUE(core_->receive());
  access_->send(fromPhone(wire));
  ASSERT_TRUE(eventually([&] { return drops(DropReason::kSrtpReplay) == 1; }));
  EXPECT_TRUE(silent(*core_));
  EXPECT_EQ(direction(1, true).drops[at(DropReason::kSrtpReplay)], 1u);
  EXPECT_EQ(direction(1, true).packets, 1u);
}

// A new SSRC mid-call (a phone restarting its stream) is learned; the old one, if it comes
// back, still has its context; a third one too.
TEST_P(SrtpRelayTest, SsrcChangeMidStreamContinues) {
  start(config());
  introducePeers();
  SrtpKeys phone = testKeys(kSuite, 1, 2);
  SrtpKeys trunk = testKeys(kSuite, 3, 4);
  ASSERT_EQ(plane_->createSession(srtpCall(phone, trunk)), "");
  SrtpPeer phoneOut(kSuite, phone.receive, Direction::kProtect);
  SrtpPeer trunkIn(kSuite, trunk.send, Direction::kUnprotect);
  struct Sent {
    uint32_t ssrc;
    uint16_t seq;
  };
  const Sent sends[] = {{0x1111, 1}, {0x1111, 2},   {0x2222, 900}, {0x2222, 901},
                        {0x1111, 3}, {0x2222, 902}, {0x3333, 50},  {0x3333, 51}};
  for (const Sent& s : sends) {
    SCOPED_TRACE(s.ssrc);
    Bytes voice = rtp(s.seq, 160u * s.seq, s.ssrc);
    access_->send(fromPhone(phoneOut.protect(voice)));
    std::optional<Bytes> out = core_->receive();
    ASSERT_TRUE(out);
    std::optional<Bytes> plain = trunkIn.unprotect(udpPayload(*out));
    ASSERT_TRUE(plain);
    EXPECT_EQ(*plain, voice);
  }
  EXPECT_EQ(direction(1, true).packets, std::size(sends));
  for (uint64_t d : plane_->counters().drops)
    EXPECT_EQ(d, 0u);
}

// 65500 -> 65535 -> 0 -> ...: libsrtp's index estimate moves the ROC on both contexts.
TEST_P(SrtpRelayTest, SequenceWrapContinues) {
  start(config());
  introducePeers();
  SrtpKeys phone = testKeys(kSuite, 1, 2);
  SrtpKeys trunk = testKeys(kSuite, 3, 4);
  ASSERT_EQ(plane_->createSession(srtpCall(phone, trunk)), "");
  SrtpPeer phoneOut(kSuite, phone.receive, Direction::kProtect);
  SrtpPeer trunkIn(kSuite, trunk.send, Direction::kUnprotect);
  SrtpPeer expected(kSuite, trunk.send, Direction::kProtect);
  uint16_t seq = 65500;
  for (int i = 0; i < 80; ++i, ++seq) {
    Bytes voice = rtp(seq, 160u * i, 0x1111);
    access_->send(fromPhone(phoneOut.protect(voice)));
    std::optional<Bytes> out = core_->receive();
    ASSERT_TRUE(out) << "seq " << seq;
    EXPECT_EQ(*out, atTrunk(expected.protect(voice)));
    std::optional<Bytes> plain = trunkIn.unprotect(udpPayload(*out));
    ASSERT_TRUE(plain) << "seq " << seq;
  }
  EXPECT_EQ(direction(1, true).packets, 80u);
  EXPECT_EQ(direction(1, true).lost, 0u);
}

// A re-INVITE with new keys on both legs, after the stream wrapped (ROC 1): the new keys go
// on with ROC 1 (RFC 3711 3.3.1), so the phone's packets still authenticate and the trunk
// can still decrypt. Also when the keys change twice before the next packet.
TEST_P(SrtpRelayTest, ReKeyCarriesTheRolloverCounter) {
  start(config());
  introducePeers();
  const uint32_t ssrc = 0x1111;
  SrtpKeys phone = testKeys(kSuite, 1, 2);
  SrtpKeys trunk = testKeys(kSuite, 3, 4);
  ASSERT_EQ(plane_->createSession(srtpCall(phone, trunk)), "");
  SrtpPeer phoneOut(kSuite, phone.receive, Direction::kProtect);
  uint16_t seq = 65530;
  for (int i = 0; i < 12; ++i, ++seq) {  // up to 5 after the wrap
    access_->send(fromPhone(phoneOut.protect(rtp(seq, 160u * i, ssrc))));
    ASSERT_TRUE(core_->receive()) << "seq " << seq;
  }
  // Twice, before any packet uses the first new keys (a re-INVITE, then an UPDATE).
  ASSERT_EQ(plane_->updateSession(srtpCall(testKeys(kSuite, 7, 2), testKeys(kSuite, 3, 8))), "");
  SrtpKeys phone2 = testKeys(kSuite, 5, 2);
  SrtpKeys trunk2 = testKeys(kSuite, 3, 6);
  ASSERT_EQ(plane_->updateSession(srtpCall(phone2, trunk2)), "");
  SrtpPeer phoneOut2(kSuite, phone2.receive, Direction::kProtect, ssrc, 1);
  SrtpPeer expected(kSuite, trunk2.send, Direction::kProtect, ssrc, 1);
  SrtpPeer trunkIn(kSuite, trunk2.send, Direction::kUnprotect, ssrc, 1);
  for (int i = 0; i < 5; ++i, ++seq) {
    Bytes voice = rtp(seq, 160u * (12 + i), ssrc);
    access_->send(fromPhone(phoneOut2.protect(voice)));
    std::optional<Bytes> out = core_->receive();
    ASSERT_TRUE(out) << "seq " << seq;
    EXPECT_EQ(*out, atTrunk(expected.protect(voice)));
    std::optional<Bytes> plain = trunkIn.unprotect(udpPayload(*out));
    ASSERT_TRUE(plain);
    EXPECT_EQ(*plain, voice);
  }
  EXPECT_EQ(drops(DropReason::kSrtpAuth), 0u);
}

// Hold and resume: an update with the same keys keeps the running contexts. A packet seen
// before the update is still a replay after it (a re-created context would take it).
TEST_P(SrtpRelayTest, UpdateWithTheSameKeysKeepsTheContexts) {
  start(config());
  introducePeers();
  SrtpKeys phone = testKeys(kSuite, 1, 2);
  SrtpKeys trunk = testKeys(kSuite, 3, 4);
  ASSERT_EQ(plane_->createSession(srtpCall(phone, trunk)), "");
  SrtpPeer phoneOut(kSuite, phone.receive, Direction::kProtect);
  SrtpPeer trunkIn(kSuite, trunk.send, Direction::kUnprotect);
  Bytes first = phoneOut.protect(rtp(1, 160, 0x1111));
  access_->send(fromPhone(first));
  ASSERT_TRUE(core_->receive());
  SessionSpec held = srtpCall(phone, trunk);
  held.streams[0].b.remote = socket("10.2.0.20", 5002);  // anything else may change
  ASSERT_EQ(plane_->updateSession(held), "");
  ASSERT_EQ(plane_->updateSession(srtpCall(phone, trunk)), "");
  access_->send(fromPhone(first));
  ASSERT_TRUE(eventually([&] { return drops(DropReason::kSrtpReplay) == 1; }));
  Bytes voice = rtp(2, 320, 0x1111);
  access_->send(fromPhone(phoneOut.protect(voice)));
  std::optional<Bytes> out = core_->receive();
  ASSERT_TRUE(out);
  std::optional<Bytes> plain = trunkIn.unprotect(udpPayload(*out));
  ASSERT_TRUE(plain);
  EXPECT_EQ(*plain, voice);
}

// SRTCP both ways on separate RTCP ports, and on a muxed side (RFC 5761).
TEST_P(SrtpRelayTest, RtcpIsProtectedAndUnprotected) {
  start(config());
  introducePeers();
  SrtpKeys trunk = testKeys(kSuite, 3, 4);
  ASSERT_EQ(plane_->createSession(srtpCall(std::nullopt, trunk)), "");
  Bytes report = rtcpReceiverReport(0x1111);
  access_->send(fromPhone(report, 4001, 20001));
  std::optional<Bytes> out = core_->receive();
  ASSERT_TRUE(out);
  SrtpPeer expected(kSuite, trunk.send, Direction::kProtect);
  EXPECT_EQ(*out, atTrunk(expected.protect(report, true), 30001, 5001));
  SrtpPeer trunkIn(kSuite, trunk.send, Direction::kUnprotect);
  std::optional<Bytes> plain = trunkIn.unprotect(udpPayload(*out), true);
  ASSERT_TRUE(plain);
  EXPECT_EQ(*plain, report);

  SrtpPeer trunkOut(kSuite, trunk.receive, Direction::kProtect);
  Bytes theirs = rtcpReceiverReport(0x2222);
  core_->send(fromTrunk(trunkOut.protect(theirs, true), 5001, 30001));
  out = access_->receive();
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, atPhone(theirs, 20001, 4001));

  // The phone's side muxes RTCP on its RTP port, and speaks SRTP now.
  SrtpKeys phone = testKeys(kSuite, 1, 2);
  SessionSpec mux = srtpCall(phone, std::nullopt, 2, 20100, 30100);
  mux.streams[0].a.rtcpMux = true;
  ASSERT_EQ(plane_->createSession(mux), "");
  SrtpPeer phoneOut(kSuite, phone.receive, Direction::kProtect);
  access_->send(fromPhone(phoneOut.protect(report, true), 4000, 20100));
  out = core_->receive();
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, atTrunk(report, 30101, 5001));
  for (uint64_t d : plane_->counters().drops)
    EXPECT_EQ(d, 0u);
}

// An mbuf without room for the tag: dropped as kSrtpError, never written past its end.
TEST_P(SrtpRelayTest, NoTailroomForTheTagIsAnError) {
  start(config());
  introducePeers();
  ASSERT_EQ(plane_->createSession(srtpCall(std::nullopt, testKeys(kSuite, 3, 4))), "");
  // A 2040-byte frame in a 2048-byte buffer: 8 bytes of room, the tag needs 10.
  Bytes big = rtp(1, 160, 0x1111, 0, 2040 - 14 - 20 - 8 - 12);
  access_->send(fromPhone(big));
  ASSERT_TRUE(eventually([&] { return drops(DropReason::kSrtpError) == 1; }));
  EXPECT_TRUE(silent(*core_));
  EXPECT_EQ(direction(1, true).drops[at(DropReason::kSrtpError)], 1u);
  Bytes voice = rtp(2, 320, 0x1111);
  access_->send(fromPhone(voice));
  ASSERT_TRUE(core_->receive()) << "the stream goes on";
}

// A re-INVITE that switches a leg from RTP to SRTP and back: the stream goes on each time.
TEST_P(SrtpRelayTest, SwitchingBetweenRtpAndSrtpMidCall) {
  start(config());
  introducePeers();
  ASSERT_EQ(plane_->createSession(call()), "");
  Bytes voice = rtp(1, 160, 0x1111);
  access_->send(fromPhone(voice));
  std::optional<Bytes> out = core_->receive();
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, atTrunk(voice));

  SrtpKeys trunk = testKeys(kSuite, 3, 4);
  ASSERT_EQ(plane_->updateSession(srtpCall(std::nullopt, trunk)), "");
  SrtpPeer expected(kSuite, trunk.send, Direction::kProtect);
  voice = rtp(2, 320, 0x1111);
  access_->send(fromPhone(voice));
  out = core_->receive();
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, atTrunk(expected.protect(voice)));

  ASSERT_EQ(plane_->updateSession(call()), "");
  voice = rtp(3, 480, 0x1111);
  access_->send(fromPhone(voice));
  out = core_->receive();
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, atTrunk(voice));
  for (uint64_t d : plane_->counters().drops)
    EXPECT_EQ(d, 0u);
}

TEST_P(SrtpRelayTest, BadKeysAreRefused) {
  start(config());
  SrtpKeys bad = testKeys(kSuite, 1, 2);
  bad.send.length = 16;
  std::string error = plane_->createSession(srtpCall(bad, std::nullopt));
  EXPECT_NE(error.find("SRTP keys"), std::string::npos) << error;
  EXPECT_EQ(error.find('\x01'), std::string::npos);
  EXPECT_EQ(plane_->sessionCount(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Paths, SrtpRelayTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return std::string(info.param ? "Batch" : "Libsrtp");
                         });

}  // namespace
}  // namespace sbc::dpdk::test

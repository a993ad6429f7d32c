// The relay end to end on a real EAL: crafted frames into ring-backed ports, exact bytes
// out. One worker lcore; relay_multicore_test.cc covers two.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "tests/dpdk/relay_fixture.h"

namespace sbc::dpdk::test {

EalEnvironment& environment() {
  static auto* env =
      static_cast<EalEnvironment*>(::testing::AddGlobalTestEnvironment(new EalEnvironment(1)));
  return *env;
}

namespace {

// Registers the environment before main() runs the tests.
[[maybe_unused]] EalEnvironment& registered = environment();

using mediaplane::SourcePolicy;

bool hasEvent(const std::vector<MediaEvent>& events, MediaEvent::Kind kind, bool fromA,
              const mediaplane::SocketAddress& source = {}) {
  return std::any_of(events.begin(), events.end(), [&](const MediaEvent& e) {
    return e.kind == kind && e.fromA == fromA &&
           (kind != MediaEvent::Kind::kLatched || e.source == source);
  });
}

TEST_F(RelayTest, RelaysBothWaysWithRewrittenHeaders) {
  start(config());
  introducePeers();
  ASSERT_EQ(plane_->createSession(call()), "");

  Bytes voice = rtp(100, 16000, 0x11111111);
  access_->send(fromPhone(voice));
  std::optional<Bytes> out = core_->receive();
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, atTrunk(voice));
  EXPECT_TRUE(ipChecksumOk(*out));
  EXPECT_TRUE(udpChecksumOk(*out));

  Bytes answer = rtp(7, 320, 0x22222222, 8, 80);
  core_->send(fromTrunk(answer));
  out = access_->receive();
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, atPhone(answer));
  EXPECT_TRUE(ipChecksumOk(*out));
  EXPECT_TRUE(udpChecksumOk(*out));

  mediaplane::DirectionStats a = direction(1, true);
  EXPECT_EQ(a.packets, 1u);
  EXPECT_EQ(a.bytes, voice.size());
  EXPECT_GT(a.lastSeenNs, 0u);
  mediaplane::DirectionStats b = direction(1, false);
  EXPECT_EQ(b.packets, 1u);
  EXPECT_EQ(b.bytes, answer.size());
  RelayCounters c = plane_->counters();
  EXPECT_EQ(c.relayed, 2u);
  EXPECT_EQ(c.arpReplies, 2u);
  EXPECT_EQ(c.arpLearned, 2u);
  for (uint64_t d : c.drops)
    EXPECT_EQ(d, 0u);
}

TEST_F(RelayTest, PaddingAndIpOptionsDoNotCross) {
  start(config());
  introducePeers();
  ASSERT_EQ(plane_->createSession(call()), "");
  Bytes voice = rtp(1, 160, 9);
  UdpSpec s = udp(kAccessMac, kPhoneMac, "10.1.0.10", 4000, "10.1.0.1", 20000, voice);
  s.ipOptions = {0x07, 0x07, 0x04, 0x0a, 0x01, 0x00, 0x0a, 0x00};  // record route
  s.padding = 6;
  access_->send(udpFrame(s));
  std::optional<Bytes> out = core_->receive();
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, atTrunk(voice));
}

TEST_F(RelayTest, LatchesTheSourceBehindNat) {
  start(config());
  introducePeers();
  ASSERT_EQ(plane_->createSession(call()), "");
  // The phone signaled port 4000, but its NAT sends from 4444.
  Bytes voice = rtp(1, 160, 1);
  access_->send(fromPhone(voice, 4444));
  ASSERT_TRUE(core_->receive());
  Bytes answer = rtp(1, 160, 2);
  core_->send(fromTrunk(answer));
  std::optional<Bytes> out = access_->receive();
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, atPhone(answer, 20000, 4444)) << "symmetric RTP: back to the real source";

  EXPECT_EQ(direction(1, true).latched, socket("10.1.0.10", 4444));
  EXPECT_EQ(direction(1, false).latched, socket("10.2.0.20", 5000));
  std::vector<MediaEvent> events = plane_->pollEvents();
  EXPECT_EQ(events.size(), 2u);
  EXPECT_TRUE(hasEvent(events, MediaEvent::Kind::kLatched, true, socket("10.1.0.10", 4444)));
  EXPECT_TRUE(hasEvent(events, MediaEvent::Kind::kLatched, false, socket("10.2.0.20", 5000)));
  EXPECT_TRUE(plane_->pollEvents().empty()) << "each latch is reported once";
}

TEST_F(RelayTest, ThirdPartySourceIsDroppedAndCounted) {
  start(config());
  introducePeers();
  ASSERT_EQ(plane_->createSession(call()), "");
  access_->send(fromPhone(rtp(1, 160, 1), 4444));
  ASSERT_TRUE(core_->receive());
  // RTP bleed: someone else on the access network sprays the anchored port.
  access_->send(fromPhone(rtp(1, 160, 666), 9999, 20000, "10.1.0.66"));
  access_->send(fromPhone(rtp(2, 320, 666), 4445));
  ASSERT_TRUE(eventually([&] { return drops(DropReason::kUnexpectedSource) == 2; }));
  EXPECT_TRUE(silent(*core_));
  mediaplane::DirectionStats a = direction(1, true);
  EXPECT_EQ(a.drops[at(DropReason::kUnexpectedSource)], 2u);
  EXPECT_EQ(a.packets, 1u);
  EXPECT_EQ(a.latched, socket("10.1.0.10", 4444)) << "the latch held";
}

TEST_F(RelayTest, SignaledSourceTakesOverFromAStranger) {
  start(config());
  introducePeers();
  introduce(*access_, kStrangerMac, "10.1.0.66", kAccessMac, "10.1.0.1");
  ASSERT_EQ(plane_->createSession(call()), "");
  access_->send(fromPhone(rtp(1, 160, 666), 9999, 20000, "10.1.0.66"));
  ASSERT_TRUE(core_->receive());
  EXPECT_EQ(direction(1, true).latched, socket("10.1.0.66", 9999));
  // The phone itself, from the address and port it signaled, wins the stream back.
  access_->send(fromPhone(rtp(1, 160, 1)));
  ASSERT_TRUE(core_->receive());
  EXPECT_EQ(direction(1, true).latched, socket("10.1.0.10", 4000));
  core_->send(fromTrunk(rtp(1, 160, 2)));
  std::optional<Bytes> out = access_->receive();
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, atPhone(rtp(1, 160, 2)));
  access_->send(fromPhone(rtp(2, 320, 666), 9999, 20000, "10.1.0.66"));
  ASSERT_TRUE(eventually([&] { return drops(DropReason::kUnexpectedSource) == 1; }));
  EXPECT_TRUE(silent(*core_));
}

// Issue 14: a port scanner's probe that reaches a NAT'ed stream's port before the phone's
// first packet latched it for good. Now a source with fewer than kConfirmPackets packets is a
// candidate, handed over once it has been silent for a moment.
TEST_F(RelayTest, AScannerThatSentFirstDoesNotKeepANattedStream) {
  start(config());
  introducePeers();
  introduce(*access_, kStrangerMac, "10.1.0.66", kAccessMac, "10.1.0.1");
  SessionSpec spec = call();
  spec.streams[0].a.remote = socket("192.168.1.5", 4000);  // behind NAT: sends from 10.1.0.10
  ASSERT_EQ(plane_->createSession(spec), "");
  access_->send(fromPhone(rtp(1, 160, 666), 9999, 20000, "10.1.0.66"));
  ASSERT_TRUE(core_->receive());
  EXPECT_EQ(direction(1, true).latched, socket("10.1.0.66", 9999)) << "nothing better yet";

  // The phone talks every 20 ms; within a second of the probe's silence it has the stream.
  uint16_t seq = 1;
  std::optional<Bytes> relayed;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!relayed && std::chrono::steady_clock::now() < until) {
    access_->send(fromPhone(rtp(seq, 160u * seq, 1), 4444));
    relayed = core_->receive(std::chrono::milliseconds(20));
    ++seq;
  }
  ASSERT_TRUE(relayed) << "the scanner kept the stream";
  EXPECT_EQ(direction(1, true).latched, socket("10.1.0.10", 4444));
  // What the relay sent after a receive had given up waiting.
  while (core_->receive(std::chrono::milliseconds(50)))
    continue;
  for (int i = 0; i < 10; ++i, ++seq) {  // confirmed
    access_->send(fromPhone(rtp(seq, 160u * seq, 1), 4444));
    ASSERT_TRUE(core_->receive());
  }
  core_->send(fromTrunk(rtp(1, 160, 2)));
  std::optional<Bytes> out = access_->receive();
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, atPhone(rtp(1, 160, 2), 20000, 4444)) << "the answer goes to the phone";

  // While the phone talks, the scanner's packets are dropped and counted.
  uint64_t before = drops(DropReason::kUnexpectedSource);
  access_->send(fromPhone(rtp(2, 320, 666), 9999, 20000, "10.1.0.66"));
  ASSERT_TRUE(eventually([&] { return drops(DropReason::kUnexpectedSource) == before + 1; }));
  EXPECT_TRUE(silent(*core_));
  EXPECT_EQ(direction(1, true).latched, socket("10.1.0.10", 4444));
  std::vector<MediaEvent> events = plane_->pollEvents();
  EXPECT_TRUE(hasEvent(events, MediaEvent::Kind::kLatched, true, socket("10.1.0.10", 4444)));
}

// A public signaled address is the peer's own: only that IP (any port) may latch, so a
// stranger who sends first is dropped and counted rather than latched.
TEST_F(RelayTest, APublicSignaledAddressLatchesOnlyThatIp) {
  start(config());
  introducePeers();
  SessionSpec spec = call();
  spec.streams[0].a.remote = socket("198.51.100.7", 4000);  // a phone on the internet
  ASSERT_EQ(plane_->createSession(spec), "");
  access_->send(fromPhone(rtp(1, 160, 666), 9999, 20000, "203.0.113.66"));
  ASSERT_TRUE(eventually([&] { return drops(DropReason::kUnexpectedSource) == 1; }));
  EXPECT_TRUE(silent(*core_));
  EXPECT_FALSE(direction(1, true).latched.has_value());
  // The phone's firewall changed its port: same IP, so it latches.
  access_->send(fromPhone(rtp(1, 160, 1), 4444, 20000, "198.51.100.7"));
  std::optional<Bytes> out = core_->receive();
  ASSERT_TRUE(out) << "the phone was refused";
  EXPECT_EQ(*out, atTrunk(rtp(1, 160, 1)));
  EXPECT_EQ(direction(1, true).latched, socket("198.51.100.7", 4444));
}

// Media handover: a confirmed source is replaced only after latch_handover of silence (a new
// NAT binding, another network), never while it still sends.
TEST_F(RelayTest, HandoverAfterTheLatchedSourceFallsSilent) {
  RelayConfig c = config();
  c.latchHandover = std::chrono::milliseconds(300);
  start(c);
  introducePeers();
  SessionSpec spec = call();
  spec.streams[0].a.remote = socket("192.168.1.5", 4000);
  ASSERT_EQ(plane_->createSession(spec), "");
  uint16_t seq = 1;
  for (; seq <= 10; ++seq) {
    access_->send(fromPhone(rtp(seq, 160u * seq, 1), 4444));
    ASSERT_TRUE(core_->receive());
  }
  auto lastOld = std::chrono::steady_clock::now();
  // The new binding while the old one still talks: dropped.
  access_->send(fromPhone(rtp(seq, 160u * seq, 1), 5555));
  ASSERT_TRUE(eventually([&] { return drops(DropReason::kUnexpectedSource) == 1; }));
  EXPECT_TRUE(silent(*core_));
  EXPECT_EQ(direction(1, true).latched, socket("10.1.0.10", 4444));

  std::optional<Bytes> relayed;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!relayed && std::chrono::steady_clock::now() < until) {
    ++seq;
    access_->send(fromPhone(rtp(seq, 160u * seq, 1), 5555));
    relayed = core_->receive(std::chrono::milliseconds(20));
  }
  auto handedOver = std::chrono::steady_clock::now();
  ASSERT_TRUE(relayed) << "never handed over";
  // What the relay sent after a receive had given up waiting.
  while (core_->receive(std::chrono::milliseconds(50)))
    continue;
  EXPECT_GE(handedOver - lastOld, std::chrono::milliseconds(300)) << "handed over too early";
  EXPECT_EQ(direction(1, true).latched, socket("10.1.0.10", 5555));
  core_->send(fromTrunk(rtp(1, 160, 2)));
  std::optional<Bytes> out = access_->receive();
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, atPhone(rtp(1, 160, 2), 20000, 5555));
  for (int i = 0; i < 10; ++i) {
    ++seq;
    access_->send(fromPhone(rtp(seq, 160u * seq, 1), 5555));
    ASSERT_TRUE(core_->receive());
  }
  // The old binding coming back while the new one talks does not flap the stream.
  uint64_t before = drops(DropReason::kUnexpectedSource);
  access_->send(fromPhone(rtp(1, 160, 1), 4444));
  ASSERT_TRUE(eventually([&] { return drops(DropReason::kUnexpectedSource) == before + 1; }));
  EXPECT_TRUE(silent(*core_));
  EXPECT_EQ(direction(1, true).latched, socket("10.1.0.10", 5555));
}

// latching: first keeps the old rule: the first source holds until the signaled one comes.
TEST_F(RelayTest, LatchingFirstKeepsTheFirstSource) {
  RelayConfig c = config();
  c.latching = mediaplane::Latching::kFirst;
  start(c);
  introducePeers();
  SessionSpec spec = call();
  spec.streams[0].a.remote = socket("192.168.1.5", 4000);
  ASSERT_EQ(plane_->createSession(spec), "");
  access_->send(fromPhone(rtp(1, 160, 666), 9999, 20000, "10.1.0.66"));
  ASSERT_TRUE(core_->receive());
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1200);
  uint16_t seq = 1;
  for (; std::chrono::steady_clock::now() < until; ++seq) {
    access_->send(fromPhone(rtp(seq, 160u * seq, 1), 4444));
    ASSERT_FALSE(core_->receive(std::chrono::milliseconds(20)));
  }
  EXPECT_EQ(direction(1, true).latched, socket("10.1.0.66", 9999));
}

TEST_F(RelayTest, StrictSessionAcceptsOnlyTheSignaledSource) {
  start(config());
  introducePeers();
  SessionSpec spec = call();
  spec.sources = SourcePolicy::kStrict;
  ASSERT_EQ(plane_->createSession(spec), "");
  access_->send(fromPhone(rtp(1, 160, 1), 4444));
  ASSERT_TRUE(eventually([&] { return drops(DropReason::kUnexpectedSource) == 1; }));
  EXPECT_TRUE(silent(*core_));
  access_->send(fromPhone(rtp(2, 320, 1)));
  std::optional<Bytes> out = core_->receive();
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, atTrunk(rtp(2, 320, 1)));
  EXPECT_FALSE(direction(1, true).latched.has_value());
  EXPECT_TRUE(plane_->pollEvents().empty()) << "nothing latches";
}

TEST_F(RelayTest, StrictSourceConfigOverridesLatching) {
  RelayConfig c = config();
  c.strictSource = true;
  start(c);
  introducePeers();
  ASSERT_EQ(plane_->createSession(call()), "");  // asks for kLatch
  access_->send(fromPhone(rtp(1, 160, 1), 4444));
  ASSERT_TRUE(eventually([&] { return drops(DropReason::kUnexpectedSource) == 1; }));
  EXPECT_TRUE(silent(*core_));
}

TEST_F(RelayTest, PacketsForNoSessionAreDroppedAndCounted) {
  start(config());
  introducePeers();
  ASSERT_EQ(plane_->createSession(call()), "");
  access_->send(fromPhone(rtp(1, 160, 1), 4000, 20002));
  core_->send(fromTrunk(rtp(1, 160, 1), 5000, 30004));
  ASSERT_TRUE(eventually([&] { return drops(DropReason::kNoSession) == 2; }));
  EXPECT_TRUE(silent(*core_));
  EXPECT_TRUE(silent(*access_));
  EXPECT_EQ(direction(1, true).packets, 0u);
}

TEST_F(RelayTest, MalformedFramesAreDroppedAndCounted) {
  start(config());
  introducePeers();
  ASSERT_EQ(plane_->createSession(call()), "");
  Bytes good = fromPhone(rtp(1, 160, 1));
  auto fixIp = [](Bytes f) {
    put16(f, 24, 0);
    put16(f, 24, referenceChecksum(f, 14, (f[14] & 0xf) * 4u));
    return f;
  };
  access_->send(Bytes(good.begin(), good.begin() + 20));  // short
  Bytes version = good;
  version[14] = 0x55;
  access_->send(fixIp(version));
  Bytes ihl = good;
  ihl[14] = 0x44;
  access_->send(fixIp(ihl));
  Bytes fragment = good;
  put16(fragment, 20, 0x2000);
  access_->send(fixIp(fragment));
  Bytes ttl = good;
  ttl[22] = 0;
  access_->send(fixIp(ttl));
  Bytes checksum = good;
  checksum[24] ^= 0x40;
  access_->send(checksum);
  Bytes version1 = fromPhone([] {
    Bytes p = rtp(1, 160, 1);
    p[0] = 0x40;  // RTP version 1 on the RTP port
    return p;
  }());
  access_->send(version1);
  ASSERT_TRUE(eventually([&] { return drops(DropReason::kMalformed) == 7; }));
  EXPECT_TRUE(silent(*core_));
  EXPECT_EQ(direction(1, true).drops[at(DropReason::kMalformed)], 1u)
      << "only the RTP check knows the stream";
  access_->send(good);
  EXPECT_TRUE(core_->receive()) << "the stream still works";
}

TEST_F(RelayTest, RtcpOnThePlusOnePortIsRelayed) {
  start(config());
  introducePeers();
  ASSERT_EQ(plane_->createSession(call()), "");
  Bytes report = rtcpReceiverReport(0x11111111);
  access_->send(fromPhone(report, 4001, 20001));
  std::optional<Bytes> out = core_->receive();
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, atTrunk(report, 30001, 5001));
  core_->send(fromTrunk(rtcpReceiverReport(2), 5001, 30001));
  out = access_->receive();
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, atPhone(rtcpReceiverReport(2), 20001, 4001));
  // RTP on the RTCP port is not RTCP.
  access_->send(fromPhone(rtp(1, 160, 1), 4001, 20001));
  ASSERT_TRUE(eventually([&] { return drops(DropReason::kMalformed) == 1; }));
  EXPECT_EQ(direction(1, true).packets, 1u);
  EXPECT_EQ(direction(1, true).lost, 0u) << "RTCP says nothing about RTP loss";
}

TEST_F(RelayTest, RtcpMuxOnOneSide) {
  start(config());
  introducePeers();
  SessionSpec spec = call();
  spec.streams[0].a.rtcpMux = true;  // the phone muxes, the trunk does not
  ASSERT_EQ(plane_->createSession(spec), "");
  access_->send(fromPhone(rtcpReceiverReport(1), 4000, 20000));
  std::optional<Bytes> out = core_->receive();
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, atTrunk(rtcpReceiverReport(1), 30001, 5001)) << "demuxed to the RTCP ports";
  core_->send(fromTrunk(rtcpReceiverReport(2), 5001, 30001));
  out = access_->receive();
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, atPhone(rtcpReceiverReport(2), 20000, 4000)) << "muxed onto the RTP ports";
  access_->send(fromPhone(rtp(1, 160, 1)));
  out = core_->receive();
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, atTrunk(rtp(1, 160, 1)));
  access_->send(fromPhone(rtcpReceiverReport(1), 4001, 20001));
  ASSERT_TRUE(eventually([&] { return drops(DropReason::kNoSession) == 1; }))
      << "a muxing side has no RTCP port";
}

TEST_F(RelayTest, UpdateHoldsAndResumesWithANewPeer) {
  start(config());
  introducePeers();
  introduce(*core_, kStrangerMac, "10.2.0.30", kCoreMac, "10.2.0.1");
  ASSERT_EQ(plane_->createSession(call()), "");
  access_->send(fromPhone(rtp(1, 160, 1)));
  ASSERT_TRUE(core_->receive());
  core_->send(fromTrunk(rtp(1, 160, 2)));
  ASSERT_TRUE(access_->receive());

  // Hold: the callee's side says c=0.0.0.0; there is nowhere to send the phone's media.
  SessionSpec hold = call();
  hold.streams[0].b.remote = socket("0.0.0.0", 0);
  ASSERT_EQ(plane_->updateSession(hold), "");
  access_->send(fromPhone(rtp(2, 320, 1)));
  ASSERT_TRUE(eventually([&] { return direction(1, true).drops[at(DropReason::kNoRoute)] == 1; }));
  EXPECT_TRUE(silent(*core_));

  // Resume towards another device (a transfer): the new peer, not the old latch.
  SessionSpec resume = call();
  resume.streams[0].b.remote = socket("10.2.0.30", 6000);
  ASSERT_EQ(plane_->updateSession(resume), "");
  access_->send(fromPhone(rtp(3, 480, 1)));
  std::optional<Bytes> out = core_->receive();
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, atTrunk(rtp(3, 480, 1), 30000, 6000, "10.2.0.30", kStrangerMac));
  mediaplane::DirectionStats a = direction(1, true);
  EXPECT_EQ(a.packets, 2u) << "counters live as long as the stream";
  EXPECT_EQ(a.latched, socket("10.1.0.10", 4000)) << "the unchanged side keeps its latch";
  EXPECT_FALSE(direction(1, false).latched.has_value()) << "the moved side latches afresh";
}

TEST_F(RelayTest, UpdateCanMoveLocalPortsAndAddStreams) {
  start(config());
  introducePeers();
  ASSERT_EQ(plane_->createSession(call()), "");
  SessionSpec spec = call();
  spec.streams[0].a.local.port = 20010;
  mediaplane::StreamPair video = spec.streams[0];
  video.a.local.port = 20020;
  video.a.remote.port = 4010;
  video.b.local.port = 30020;
  video.b.remote.port = 5010;
  spec.streams.push_back(video);
  ASSERT_EQ(plane_->updateSession(spec), "");
  access_->send(fromPhone(rtp(1, 160, 1), 4000, 20000));
  ASSERT_TRUE(eventually([&] { return drops(DropReason::kNoSession) == 1; })) << "old port";
  access_->send(fromPhone(rtp(2, 320, 1), 4000, 20010));
  std::optional<Bytes> out = core_->receive();
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, atTrunk(rtp(2, 320, 1)));
  access_->send(fromPhone(rtp(9, 900, 7), 4010, 20020));
  out = core_->receive();
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, atTrunk(rtp(9, 900, 7), 30020, 5010));
  EXPECT_EQ(direction(1, true, 0).packets, 1u);
  EXPECT_EQ(direction(1, true, 1).packets, 1u);
  // And back to one stream.
  ASSERT_EQ(plane_->updateSession(call()), "");
  access_->send(fromPhone(rtp(10, 1060, 7), 4010, 20020));
  ASSERT_TRUE(eventually([&] { return drops(DropReason::kNoSession) == 2; }));
  EXPECT_EQ(plane_->stats(1)->streams.size(), 1u);
}

TEST_F(RelayTest, DeletedSessionDropsLaterPackets) {
  start(config());
  introducePeers();
  ASSERT_EQ(plane_->createSession(call()), "");
  access_->send(fromPhone(rtp(1, 160, 1)));
  ASSERT_TRUE(core_->receive());
  plane_->deleteSession(1);
  EXPECT_FALSE(plane_->stats(1).has_value());
  access_->send(fromPhone(rtp(2, 320, 1)));
  ASSERT_TRUE(eventually([&] { return drops(DropReason::kNoSession) == 1; }));
  EXPECT_TRUE(silent(*core_));
  // The ports are free again, for another session, with fresh counters.
  ASSERT_EQ(plane_->createSession(call(2)), "");
  access_->send(fromPhone(rtp(3, 480, 1)));
  ASSERT_TRUE(core_->receive());
  EXPECT_EQ(direction(2, true).packets, 1u);
  plane_->deleteSession(2);
  plane_->deleteSession(2);  // twice is harmless
}

TEST_F(RelayTest, ArpForTheMediaAddressOnly) {
  start(config());
  // Padded to the Ethernet minimum, as on a wire: the reply is the 42 bytes of ARP.
  access_->send(arpFrame(1, kBroadcast, kPhoneMac, "10.1.0.10", kZeroMac, "10.1.0.1", 18));
  std::optional<Bytes> reply = access_->receive();
  ASSERT_TRUE(reply);
  EXPECT_EQ(*reply, arpFrame(2, kPhoneMac, kAccessMac, "10.1.0.1", kPhoneMac, "10.1.0.10"));
  access_->send(arpFrame(1, kBroadcast, kPhoneMac, "10.1.0.10", kZeroMac, "10.1.0.99"));
  ASSERT_TRUE(eventually([&] { return plane_->counters().ignored == 1; }));
  EXPECT_TRUE(silent(*access_));
  EXPECT_EQ(plane_->counters().arpReplies, 1u);
}

TEST_F(RelayTest, UnknownPeerIsResolvedByArp) {
  start(config());
  introduce(*access_, kPhoneMac, "10.1.0.10", kAccessMac, "10.1.0.1");
  ASSERT_EQ(plane_->createSession(call()), "");
  access_->send(fromPhone(rtp(1, 160, 1)));
  std::optional<Bytes> request = core_->receive();
  ASSERT_TRUE(request);
  EXPECT_EQ(*request, arpFrame(1, kBroadcast, kCoreMac, "10.2.0.1", kZeroMac, "10.2.0.20"));
  ASSERT_TRUE(eventually([&] { return direction(1, true).drops[at(DropReason::kNoRoute)] == 1; }));
  access_->send(fromPhone(rtp(2, 320, 1)));
  ASSERT_TRUE(eventually([&] { return drops(DropReason::kNoRoute) == 2; }));
  EXPECT_TRUE(silent(*core_)) << "one request per second, not one per packet";

  core_->send(arpFrame(2, kCoreMac, kTrunkMac, "10.2.0.20", kCoreMac, "10.2.0.1"));
  ASSERT_TRUE(eventually([&] { return plane_->counters().arpLearned == 2; }));
  access_->send(fromPhone(rtp(3, 480, 1)));
  std::optional<Bytes> out = core_->receive();
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, atTrunk(rtp(3, 480, 1)));
  EXPECT_EQ(plane_->counters().arpRequests, 1u);
}

TEST_F(RelayTest, OffSubnetPeersGoThroughTheGateway) {
  start(config());
  introduce(*core_, kTrunkMac, "10.2.0.20", kCoreMac, "10.2.0.1");
  SessionSpec spec = call();
  spec.streams[0].a.remote = socket("198.51.100.7", 4000);  // a phone on the internet
  ASSERT_EQ(plane_->createSession(spec), "");
  core_->send(fromTrunk(rtp(1, 160, 2)));
  std::optional<Bytes> request = access_->receive();
  ASSERT_TRUE(request);
  EXPECT_EQ(*request, arpFrame(1, kBroadcast, kAccessMac, "10.1.0.1", kZeroMac, "10.1.0.254"))
      << "the gateway is resolved, not the peer";
  access_->send(arpFrame(2, kAccessMac, kGatewayMac, "10.1.0.254", kAccessMac, "10.1.0.1"));
  ASSERT_TRUE(eventually([&] { return plane_->counters().arpLearned == 2; }));
  core_->send(fromTrunk(rtp(2, 320, 2)));
  std::optional<Bytes> out = access_->receive();
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, atPhone(rtp(2, 320, 2), 20000, 4000, "198.51.100.7", kGatewayMac));

  // The core realm has no gateway: an off-subnet peer there has no route at all.
  SessionSpec lost = call(2);
  lost.streams[0].a.local.port = 20100;
  lost.streams[0].b.local.port = 30100;
  lost.streams[0].b.remote = socket("192.0.2.50", 5000);
  ASSERT_EQ(plane_->createSession(lost), "");
  access_->send(fromPhone(rtp(1, 160, 3), 4000, 20100));
  ASSERT_TRUE(eventually([&] { return direction(2, true).drops[at(DropReason::kNoRoute)] == 1; }));
  EXPECT_TRUE(silent(*core_)) << "no request either";
}

// Issue 14: any ARP naming the gateway's address moved it (a forged reply, a gratuitous ARP,
// a request "from" the gateway). Now the gateway is learned from replies only, and a known
// MAC is kept against other claims, which are counted, until it stops answering.
TEST_F(RelayTest, SpoofedArpForTheGatewayDoesNotMoveIt) {
  start(config());
  introduce(*core_, kTrunkMac, "10.2.0.20", kCoreMac, "10.2.0.1");
  SessionSpec spec = call();
  spec.streams[0].a.remote = socket("198.51.100.7", 4000);
  ASSERT_EQ(plane_->createSession(spec), "");
  // Before the relay asks: a request "from the gateway" is answered but teaches nothing.
  introduce(*access_, kStrangerMac, "10.1.0.254", kAccessMac, "10.1.0.1");
  core_->send(fromTrunk(rtp(1, 160, 2)));
  std::optional<Bytes> request = access_->receive();
  ASSERT_TRUE(request);
  EXPECT_EQ(*request, arpFrame(1, kBroadcast, kAccessMac, "10.1.0.1", kZeroMac, "10.1.0.254"))
      << "the gateway was taken from a request";
  access_->send(arpFrame(2, kAccessMac, kGatewayMac, "10.1.0.254", kAccessMac, "10.1.0.1"));
  ASSERT_TRUE(eventually([&] { return plane_->counters().arpLearned == 2; }));
  core_->send(fromTrunk(rtp(2, 320, 2)));
  std::optional<Bytes> out = access_->receive();
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, atPhone(rtp(2, 320, 2), 20000, 4000, "198.51.100.7", kGatewayMac));

  // A forged reply, a gratuitous ARP and a request, each claiming the gateway's address.
  access_->send(arpFrame(2, kAccessMac, kStrangerMac, "10.1.0.254", kAccessMac, "10.1.0.1"));
  access_->send(arpFrame(1, kBroadcast, kStrangerMac, "10.1.0.254", kZeroMac, "10.1.0.254"));
  access_->send(arpFrame(1, kBroadcast, kStrangerMac, "10.1.0.254", kZeroMac, "10.1.0.1"));
  std::optional<Bytes> answer = access_->receive();  // the request is answered all the same
  ASSERT_TRUE(answer);
  EXPECT_EQ(*answer, arpFrame(2, kStrangerMac, kAccessMac, "10.1.0.1", kStrangerMac, "10.1.0.254"));
  EXPECT_TRUE(eventually([&] { return plane_->counters().arpConflicts == 3; }));
  core_->send(fromTrunk(rtp(3, 480, 2)));
  out = access_->receive();
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, atPhone(rtp(3, 480, 2), 20000, 4000, "198.51.100.7", kGatewayMac))
      << "the gateway moved";
  EXPECT_EQ(plane_->counters().arpLearned, 2u);
}

TEST_F(RelayTest, StaticNeighboursNeedNoArp) {
  RelayConfig c = config();
  c.interfaces[1].staticNeighbours.push_back(
      {*mediaplane::IpAddress::parse("10.2.0.20"), kTrunkMac});
  start(c);
  introduce(*access_, kPhoneMac, "10.1.0.10", kAccessMac, "10.1.0.1");
  ASSERT_EQ(plane_->createSession(call()), "");
  access_->send(fromPhone(rtp(1, 160, 1)));
  std::optional<Bytes> out = core_->receive();
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, atTrunk(rtp(1, 160, 1)));
  // Someone claiming the trunk's address by ARP changes nothing.
  core_->send(arpFrame(2, kCoreMac, kStrangerMac, "10.2.0.20", kCoreMac, "10.2.0.1"));
  access_->send(fromPhone(rtp(2, 320, 1)));
  out = core_->receive();
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, atTrunk(rtp(2, 320, 1)));
  EXPECT_EQ(plane_->counters().arpRequests, 0u);
}

TEST_F(RelayTest, ExtraAddressesAreAnsweredAndAnchorStreams) {
  RelayConfig c = config();
  c.interfaces[0].extraAddresses = {*mediaplane::IpAddress::parse("10.1.0.2")};
  start(c);
  introduce(*access_, kPhoneMac, "10.1.0.10", kAccessMac, "10.1.0.2");
  introduce(*core_, kTrunkMac, "10.2.0.20", kCoreMac, "10.2.0.1");
  access_->send(icmpEcho(8, kAccessMac, kPhoneMac, "10.1.0.10", "10.1.0.2", 1, 1));
  std::optional<Bytes> reply = access_->receive();
  ASSERT_TRUE(reply);
  EXPECT_EQ(*reply, icmpEcho(0, kPhoneMac, kAccessMac, "10.1.0.2", "10.1.0.10", 1, 1));
  SessionSpec spec = call();
  spec.streams[0].a.local = socket("10.1.0.2", 20000);
  ASSERT_EQ(plane_->createSession(spec), "");
  SessionSpec same = call(2);  // the same port on the main address is another stream
  same.streams[0].b.local.port = 30100;
  ASSERT_EQ(plane_->createSession(same), "");
  access_->send(
      udpFrame(udp(kAccessMac, kPhoneMac, "10.1.0.10", 4000, "10.1.0.2", 20000, rtp(1, 160, 1))));
  std::optional<Bytes> out = core_->receive();
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, atTrunk(rtp(1, 160, 1)));
  core_->send(fromTrunk(rtp(1, 160, 2)));
  out = access_->receive();
  ASSERT_TRUE(out);
  UdpSpec back = udp(kPhoneMac, kAccessMac, "10.1.0.2", 20000, "10.1.0.10", 4000, rtp(1, 160, 2));
  back.ttl = 64;
  EXPECT_EQ(*out, udpFrame(back));
  EXPECT_EQ(direction(1, true).packets, 1u);
  EXPECT_EQ(direction(2, true).packets, 0u);
}

TEST_F(RelayTest, EchoRequestsToTheMediaAddressAreAnswered) {
  start(config());
  access_->send(icmpEcho(8, kAccessMac, kPhoneMac, "10.1.0.10", "10.1.0.1", 0x77, 5, 56, 57));
  std::optional<Bytes> reply = access_->receive();
  ASSERT_TRUE(reply);
  EXPECT_EQ(*reply, icmpEcho(0, kPhoneMac, kAccessMac, "10.1.0.1", "10.1.0.10", 0x77, 5, 56));
  EXPECT_TRUE(ipChecksumOk(*reply));
  EXPECT_EQ(referenceChecksum(*reply, 34, reply->size() - 34), 0) << "ICMP checksum";
  core_->send(icmpEcho(8, kCoreMac, kTrunkMac, "10.2.0.20", "10.2.0.99", 1, 1));
  ASSERT_TRUE(eventually([&] { return plane_->counters().ignored == 1; }));
  EXPECT_TRUE(silent(*core_));
  EXPECT_EQ(plane_->counters().icmpEchoReplies, 1u);
}

TEST_F(RelayTest, LossAndJitterOfACraftedSequence) {
  start(config());
  introducePeers();
  ASSERT_EQ(plane_->createSession(call()), "");
  // Sequence 1-3 then 6-8 (4 and 5 lost). Timestamps swing by 4000 (0.5 s at 8 kHz) while
  // the packets arrive within milliseconds: each transit difference is about 4000, so after
  // five differences J is about 4000 * (1 - (15/16)^5) = 1103 units, 138 ms.
  for (uint16_t seq : {1, 2, 3, 6, 7, 8}) {
    uint32_t ts = seq * 160u + (seq % 2 ? 4000u : 0u);
    access_->send(fromPhone(rtp(seq, ts, 0xabc)));
    ASSERT_TRUE(core_->receive());
  }
  mediaplane::DirectionStats a = direction(1, true);
  EXPECT_EQ(a.packets, 6u);
  EXPECT_EQ(a.lost, 2u);
  EXPECT_GT(a.jitterMs, 100.0);
  EXPECT_LT(a.jitterMs, 160.0);
  mediaplane::DirectionStats b = direction(1, false);
  EXPECT_EQ(b.lost, 0u);
  EXPECT_EQ(b.jitterMs, 0.0);
}

// Bursts wait in the worker's pipeline for up to three polls: a stream's packets must still
// leave in the order they came, whole, and none may be held back.
TEST_F(RelayTest, BurstsThroughThePipelineKeepTheirOrder) {
  start(config());
  introducePeers();
  ASSERT_EQ(plane_->createSession(call()), "");
  constexpr uint16_t kFrames = 700;  // 22 bursts; the rings hold 1024
  std::vector<Bytes> frames;
  for (uint16_t seq = 1; seq <= kFrames; ++seq)
    frames.push_back(fromPhone(rtp(seq, seq * 160u, 0x0dde)));
  access_->sendAll(frames);
  for (uint16_t seq = 1; seq <= kFrames; ++seq) {
    std::optional<Bytes> out = core_->receive();
    ASSERT_TRUE(out) << "frame " << seq << " of " << kFrames << " never left";
    ASSERT_EQ(*out, atTrunk(rtp(seq, seq * 160u, 0x0dde))) << "frame " << seq;
  }
  mediaplane::DirectionStats a = direction(1, true);
  EXPECT_EQ(a.packets, kFrames);
  EXPECT_EQ(a.lost, 0u);
  EXPECT_TRUE(silent(*core_));
}

TEST_F(RelayTest, PollEventsReportsLatchingAndMediaTimeouts) {
  RelayConfig c = config();
  c.mediaTimeout = std::chrono::seconds(1);
  start(c);
  introducePeers();
  ASSERT_EQ(plane_->createSession(call()), "");
  SessionSpec silentCall = call(2);
  silentCall.streams[0].a.local.port = 20100;
  silentCall.streams[0].b.local.port = 30100;
  ASSERT_EQ(plane_->createSession(silentCall), "");
  access_->send(fromPhone(rtp(1, 160, 1)));
  ASSERT_TRUE(core_->receive());
  std::vector<MediaEvent> events = plane_->pollEvents();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, MediaEvent::Kind::kLatched);
  EXPECT_EQ(events[0].session, 1u);
  EXPECT_EQ(events[0].stream, 0u);
  EXPECT_TRUE(events[0].fromA);
  EXPECT_EQ(events[0].source, socket("10.1.0.10", 4000));

  // Nothing flows for a second: both calls time out (the silent one from its creation).
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  events = plane_->pollEvents();
  ASSERT_EQ(events.size(), 2u);
  for (const MediaEvent& e : events)
    EXPECT_EQ(e.kind, MediaEvent::Kind::kTimeout);
  EXPECT_NE(events[0].session, events[1].session);
  EXPECT_TRUE(plane_->pollEvents().empty()) << "once per silence";

  // Media again re-arms the timeout.
  access_->send(fromPhone(rtp(2, 320, 1)));
  ASSERT_TRUE(core_->receive());
  EXPECT_TRUE(plane_->pollEvents().empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  events = plane_->pollEvents();
  EXPECT_EQ(std::count_if(events.begin(), events.end(),
                          [](const MediaEvent& e) { return e.session == 1; }),
            1);
}

TEST_F(RelayTest, ControlErrorsAreValues) {
  RelayConfig c = config();
  c.maxSessions = 2;
  start(c);
  ASSERT_EQ(plane_->createSession(call()), "");
  EXPECT_EQ(plane_->createSession(call()), "session 1 exists");
  SessionSpec clash = call(2);
  clash.streams[0].b.local.port = 30100;
  EXPECT_EQ(plane_->createSession(clash),
            "stream 0 side a: port 20000 in realm 'access' belongs to session 1");
  SessionSpec rtcpClash = call(2);
  rtcpClash.streams[0].a.local.port = 19999;  // its RTCP port would be 20000
  rtcpClash.streams[0].b.local.port = 30100;
  EXPECT_EQ(plane_->createSession(rtcpClash),
            "stream 0 side a: port 20000 in realm 'access' belongs to session 1");
  SessionSpec realm = call(2);
  realm.streams[0].b.realm = "peering";
  EXPECT_EQ(plane_->createSession(realm),
            "stream 0 side b: realm 'peering' has no media interface");
  SessionSpec address = call(2);
  address.streams[0].a.local = socket("10.1.0.2", 20100);
  EXPECT_EQ(plane_->createSession(address),
            "stream 0 side a: local address 10.1.0.2 is not the media address 10.1.0.1 of realm "
            "'access'");
  SessionSpec twice = call(2);  // a hairpin in access, and then the same stream again
  twice.streams[0].a.local.port = 20200;
  twice.streams[0].b.realm = "access";
  twice.streams[0].b.local = socket("10.1.0.1", 20100);
  twice.streams.push_back(twice.streams[0]);
  EXPECT_EQ(plane_->createSession(twice),
            "stream 1 side a: port 20200 in realm 'access' is used twice in session 2");
  SessionSpec second = call(2);
  second.streams[0].a.local.port = 20100;
  second.streams[0].b.local.port = 30100;
  ASSERT_EQ(plane_->createSession(second), "");
  SessionSpec third = call(3);
  third.streams[0].a.local.port = 20200;
  third.streams[0].b.local.port = 30200;
  EXPECT_EQ(plane_->createSession(third), "max_sessions (2) reached");
  EXPECT_EQ(plane_->updateSession(call(9)), "no session 9");
  EXPECT_FALSE(plane_->stats(9).has_value());
  plane_->stop();
  EXPECT_EQ(plane_->createSession(third), "the media plane is stopped");
  EXPECT_TRUE(plane_->pollEvents().empty());
}

TEST_F(RelayTest, StreamTableCapacityIsEnforced) {
  RelayConfig c = config();
  c.maxSessions = 1;  // room for two streams
  start(c);
  SessionSpec spec = call();
  for (uint16_t i = 1; i < 3; ++i) {
    mediaplane::StreamPair p = spec.streams[0];
    p.a.local.port = static_cast<uint16_t>(20000 + 10 * i);
    p.b.local.port = static_cast<uint16_t>(30000 + 10 * i);
    spec.streams.push_back(p);
  }
  EXPECT_EQ(plane_->createSession(spec), "the stream table is full (2 streams for max_sessions 1)");
  spec.streams.pop_back();
  EXPECT_EQ(plane_->createSession(spec), "");
  // Churn: updates retire and take slots; the grace periods give them back.
  for (int round = 0; round < 50; ++round) {
    SessionSpec moved = spec;
    moved.streams[round % 2].b.remote.port = static_cast<uint16_t>(6000 + round);
    ASSERT_EQ(plane_->updateSession(moved), "") << round;
  }
  plane_->deleteSession(1);
  EXPECT_EQ(plane_->createSession(spec), "");
}

TEST_F(RelayTest, StartErrorsAndDeviceHotplug) {
  std::string error;
  RelayConfig c = config();
  c.lcores = {0};
  EXPECT_FALSE(DpdkMediaPlane::start(c, error));
  EXPECT_EQ(error,
            "lcore 0 is the main lcore: it stays the control thread, give workers other lcores");
  c.lcores = {7};
  EXPECT_FALSE(DpdkMediaPlane::start(c, error));
  EXPECT_EQ(error, "lcore 7 is not enabled in the EAL (-l/--lcores)");
  c = config();
  c.interfaces[1].device = "net_nosuchdriver0";
  EXPECT_FALSE(DpdkMediaPlane::start(c, error));
  EXPECT_EQ(error.rfind("cannot attach device 'net_nosuchdriver0'", 0), 0u) << error;
  c = config();
  c.eal = {"--no-huge"};
  EXPECT_FALSE(DpdkMediaPlane::start(c, error));
  EXPECT_EQ(error, "the DPDK EAL is already initialised in this process");

  // A vdev spec as the device: hot-plugged at start, detached at stop, so it can come back.
  // (Ring ports are made by the test and cannot: each relay gets fresh ones.)
  for (int round = 0; round < 2; ++round) {
    access_ = std::make_unique<RingLink>("hp" + std::to_string(round), 1, environment().pool());
    c = config();
    c.interfaces[1].device = "net_null7,no-rx=1";
    std::unique_ptr<DpdkMediaPlane> plane = DpdkMediaPlane::start(c, error);
    ASSERT_TRUE(plane) << error;
    std::vector<InterfaceInfo> info = plane->interfaces();
    ASSERT_EQ(info.size(), 2u);
    EXPECT_EQ(info[1].realm, "core");
    EXPECT_EQ(info[1].mac, kCoreMac);
    EXPECT_TRUE(info[1].linkUp);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    access_->drain();
  }
  // And a relay on fresh ring ports works after all that.
  access_ = std::make_unique<RingLink>("hp2a", 1, environment().pool());
  core_ = std::make_unique<RingLink>("hp2c", 1, environment().pool());
  start(config());
  introducePeers();
}

TEST_F(RelayTest, InterfacesAndWarnings) {
  start(config());
  std::vector<InterfaceInfo> info = plane_->interfaces();
  ASSERT_EQ(info.size(), 2u);
  EXPECT_EQ(info[0].realm, "access");
  EXPECT_EQ(info[0].device, access_->device());
  EXPECT_EQ(info[0].mac, kAccessMac);
  EXPECT_TRUE(info[0].linkUp);
  EXPECT_FALSE(info[0].ipChecksumOffload) << "net_ring offloads nothing";
  // net_ring cannot take a MAC address: the relay says so and goes promiscuous.
  const std::vector<std::string>& w = plane_->warnings();
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0], "port " + access_->device() +
                      " cannot take MAC 02:00:00:00:01:01: promiscuous mode instead");
}

// The same relay on net_pcap devices, as a lab without kernel interfaces runs it: the
// phone's frame replayed from a pcap (infinite_rx), what the relay sent written to pcaps.
std::vector<Bytes> readPcap(const std::string& path) {
  std::vector<Bytes> frames;
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return frames;
  uint8_t header[24];
  if (std::fread(header, 1, sizeof(header), f) == sizeof(header)) {
    uint32_t record[4];
    while (std::fread(record, 1, sizeof(record), f) == sizeof(record)) {
      Bytes frame(record[2]);
      if (std::fread(frame.data(), 1, frame.size(), f) != frame.size()) break;
      frames.push_back(std::move(frame));
    }
  }
  std::fclose(f);
  return frames;
}

void writePcap(const std::string& path, const std::vector<Bytes>& frames) {
  FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr) << path;
  const uint32_t header[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1};  // v2.4, Ethernet
  std::fwrite(header, 1, sizeof(header), f);
  for (const Bytes& frame : frames) {
    const uint32_t record[4] = {0, 0, static_cast<uint32_t>(frame.size()),
                                static_cast<uint32_t>(frame.size())};
    std::fwrite(record, 1, sizeof(record), f);
    std::fwrite(frame.data(), 1, frame.size(), f);
  }
  std::fclose(f);
}

TEST_F(RelayTest, NetPcapDevicesRelayExactBytes) {
  char dirTemplate[] = "/tmp/sbc-pcap-test-XXXXXX";
  ASSERT_NE(mkdtemp(dirTemplate), nullptr);
  const std::string dir = dirTemplate;
  Bytes voice = rtp(42, 6720, 0x5eed);
  writePcap(dir + "/phone.pcap", {fromPhone(voice)});
  Bytes ipv6(60, 0);  // an IPv6 frame from the trunk side: not for the relay
  putMac(ipv6, 0, kCoreMac);
  putMac(ipv6, 6, kTrunkMac);
  put16(ipv6, 12, 0x86dd);
  writePcap(dir + "/trunk.pcap", {ipv6});

  RelayConfig c = config();
  c.interfaces[0].device = "net_pcap_relay_a,rx_pcap=" + dir + "/phone.pcap,tx_pcap=" + dir +
                           "/to-phone.pcap,infinite_rx=1";
  c.interfaces[1].device =
      "net_pcap_relay_b,rx_pcap=" + dir + "/trunk.pcap,tx_pcap=" + dir + "/to-trunk.pcap";
  c.interfaces[0].staticNeighbours.push_back(
      {*mediaplane::IpAddress::parse("10.1.0.10"), kPhoneMac});
  c.interfaces[1].staticNeighbours.push_back(
      {*mediaplane::IpAddress::parse("10.2.0.20"), kTrunkMac});
  start(c);
  ASSERT_EQ(plane_->createSession(call()), "");
  ASSERT_TRUE(eventually([&] { return plane_->counters().relayed >= 100; }));
  RelayCounters counters = plane_->counters();
  plane_->stop();  // closes the ports: the pcaps are complete

  std::vector<Bytes> sent = readPcap(dir + "/to-trunk.pcap");
  ASSERT_GE(sent.size(), 100u);
  for (const Bytes& frame : sent)
    ASSERT_EQ(frame, atTrunk(voice));
  EXPECT_TRUE(udpChecksumOk(sent.front()));
  EXPECT_TRUE(readPcap(dir + "/to-phone.pcap").empty()) << "nothing goes back to the phone";
  EXPECT_EQ(counters.ignored, 1u);  // the IPv6 frame
  // Frames replayed before the session existed were dropped as no_session, never sent; the
  // rest came from the signaled source.
  EXPECT_EQ(counters.drops[at(DropReason::kUnexpectedSource)], 0u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sbc::dpdk::test

// Two worker lcores: what one lcore learns (a latched source, a neighbour's MAC) serves the
// other, counters are summed over both, and sessions change under traffic on both. Each
// port has two queues; the test chooses the RX queue, and so the lcore, of every frame.

#include <gtest/gtest.h>

#include "tests/dpdk/relay_fixture.h"
#include "tests/dpdk/srtp_peer.h"

namespace sbc::dpdk::test {

EalEnvironment& environment() {
  static auto* env =
      static_cast<EalEnvironment*>(::testing::AddGlobalTestEnvironment(new EalEnvironment(2)));
  return *env;
}

namespace {

[[maybe_unused]] EalEnvironment& registered = environment();

// Named apart from relay_test.cc's tests in ctest.
class MulticoreRelayTest : public RelayTest {};

constexpr unsigned kFirst = 0;   // RX queue 0: the first worker lcore
constexpr unsigned kSecond = 1;  // RX queue 1: the second

TEST_F(MulticoreRelayTest, LatchAndNeighbourLearnedOnOneLcoreServeTheOther) {
  start(config());
  introduce(*access_, kPhoneMac, "10.1.0.10", kAccessMac, "10.1.0.1", kFirst);
  introduce(*core_, kTrunkMac, "10.2.0.20", kCoreMac, "10.2.0.1", kSecond);
  ASSERT_EQ(plane_->createSession(call()), "");
  access_->send(fromPhone(rtp(1, 160, 1), 4444), kFirst);  // latched by the first lcore
  std::optional<Bytes> out = core_->receive();
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, atTrunk(rtp(1, 160, 1)));
  core_->send(fromTrunk(rtp(1, 160, 2)), kSecond);  // relayed by the second
  out = access_->receive();
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, atPhone(rtp(1, 160, 2), 20000, 4444));
  EXPECT_EQ(plane_->counters().arpRequests, 0u) << "neither lcore had to ask";
  EXPECT_EQ(plane_->counters().arpLearned, 2u) << "learned once each, then told";
}

TEST_F(MulticoreRelayTest, CountersAreSummedOverLcores) {
  start(config());
  introducePeers();
  ASSERT_EQ(plane_->createSession(call()), "");
  for (uint16_t seq = 1; seq <= 5; ++seq) {
    access_->send(fromPhone(rtp(seq, seq * 160u, 1)), seq <= 3 ? kFirst : kSecond);
    ASSERT_TRUE(core_->receive());
  }
  access_->send(fromPhone(rtp(9, 9 * 160u, 1), 7777, 20000, "10.1.0.66"), kSecond);
  access_->send(fromPhone(rtp(9, 9 * 160u, 1), 4000, 20002), kFirst);
  ASSERT_TRUE(eventually([&] {
    return drops(DropReason::kUnexpectedSource) == 1 && drops(DropReason::kNoSession) == 1;
  }));
  mediaplane::DirectionStats a = direction(1, true);
  EXPECT_EQ(a.packets, 5u);
  EXPECT_EQ(a.bytes, 5 * rtp(1, 1, 1).size());
  EXPECT_EQ(a.drops[at(DropReason::kUnexpectedSource)], 1u);
  EXPECT_EQ(a.lost, 0u);
  RelayCounters c = plane_->counters();
  EXPECT_EQ(c.relayed, 5u);
  EXPECT_EQ(c.rxPackets, 2u + 5u + 2u) << "two ARP requests, five RTP, two drops";
}

// Issue 14's handover when the old and the new source reach different lcores (RSS hashes
// the source): the latch word alone decides, and the lcore relaying the other direction
// follows it.
TEST_F(MulticoreRelayTest, HandoverToASourceOnTheOtherLcore) {
  RelayConfig c = config();
  c.latchHandover = std::chrono::milliseconds(300);
  start(c);
  introducePeers();
  SessionSpec spec = call();
  spec.streams[0].a.remote = socket("192.168.1.5", 4000);  // behind NAT
  ASSERT_EQ(plane_->createSession(spec), "");
  uint16_t seq = 1;
  for (; seq <= 10; ++seq) {
    access_->send(fromPhone(rtp(seq, 160u * seq, 1), 4444), kFirst);
    ASSERT_TRUE(core_->receive());
  }
  access_->send(fromPhone(rtp(seq, 160u * seq, 1), 5555), kSecond);
  ASSERT_TRUE(eventually([&] { return drops(DropReason::kUnexpectedSource) == 1; }));
  EXPECT_TRUE(silent(*core_)) << "handed over while the old source talks";

  std::optional<Bytes> relayed;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!relayed && std::chrono::steady_clock::now() < until) {
    ++seq;
    access_->send(fromPhone(rtp(seq, 160u * seq, 1), 5555), kSecond);
    relayed = core_->receive(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(relayed) << "never handed over";
  // What the relay sent after a receive had given up waiting.
  while (core_->receive(std::chrono::milliseconds(50)))
    continue;
  EXPECT_EQ(direction(1, true).latched, socket("10.1.0.10", 5555));
  core_->send(fromTrunk(rtp(1, 160, 2)), kFirst);
  std::optional<Bytes> out = access_->receive();
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, atPhone(rtp(1, 160, 2), 20000, 5555)) << "the other lcore follows the word";
  for (int i = 0; i < 10; ++i) {
    ++seq;
    access_->send(fromPhone(rtp(seq, 160u * seq, 1), 5555), kSecond);
    ASSERT_TRUE(core_->receive());
  }
  uint64_t before = drops(DropReason::kUnexpectedSource);
  access_->send(fromPhone(rtp(1, 160, 1), 4444), kFirst);
  ASSERT_TRUE(eventually([&] { return drops(DropReason::kUnexpectedSource) == before + 1; }));
  EXPECT_TRUE(silent(*core_));
}

// Sessions come and go while both lcores relay: RCU must keep every target, key and slot
// alive while an lcore can reach it (the sanitizer build watches this test closely).
TEST_F(MulticoreRelayTest, SessionsChangeUnderTrafficOnBothLcores) {
  RelayConfig c = config();
  c.maxSessions = 4;
  start(c);
  introducePeers();
  introduce(*core_, kStrangerMac, "10.2.0.30", kCoreMac, "10.2.0.1", kSecond);
  uint64_t sent = 0;
  for (uint64_t round = 1; round <= 150; ++round) {
    SessionSpec spec = call(round);
    spec.streams[0].a.local.port = static_cast<uint16_t>(20000 + 2 * (round % 3));
    spec.streams[0].b.local.port = static_cast<uint16_t>(30000 + 2 * (round % 3));
    ASSERT_EQ(plane_->createSession(spec), "") << round;
    uint16_t port = spec.streams[0].a.local.port;
    for (int i = 0; i < 4; ++i) {
      access_->send(fromPhone(rtp(static_cast<uint16_t>(i), 0, 1), 4000, port), i % 2);
      core_->send(
          fromTrunk(rtp(static_cast<uint16_t>(i), 0, 2), 5000, spec.streams[0].b.local.port),
          1 - i % 2);
      sent += 2;
    }
    spec.streams[0].b.remote = socket("10.2.0.30", 6000);
    ASSERT_EQ(plane_->updateSession(spec), "") << round;
    access_->send(fromPhone(rtp(9, 0, 1), 4000, port), round % 2);
    ++sent;
    plane_->deleteSession(round);
    access_->send(fromPhone(rtp(10, 0, 1), 4000, port), round % 2);
    ++sent;
    plane_->pollEvents();
    access_->drain();
    core_->drain();
  }
  // Every frame was relayed or dropped for a reason, none lost track of.
  ASSERT_TRUE(eventually([&] {
    RelayCounters r = plane_->counters();
    uint64_t dropped = 0;
    for (uint64_t d : r.drops)
      dropped += d;
    return r.relayed + dropped == sent;
  })) << "relayed "
      << plane_->counters().relayed;
  RelayCounters r = plane_->counters();
  EXPECT_GT(r.relayed, 0u);
  // Frames that arrived after their session changed or went: no session, no source match,
  // or (on hold) no route. Never a malformed frame or a full queue.
  EXPECT_EQ(r.drops[at(DropReason::kMalformed)], 0u);
  EXPECT_EQ(r.drops[at(DropReason::kTxFull)], 0u);
}

// SRTP contexts are not thread-safe: one lcore owns a direction's (the first to get one of its
// packets). When RSS puts its packets on another lcore (a new NAT binding hashes elsewhere),
// that lcore hands them to the owner, which relays them with the one context: they leave on
// the owner's TX queue, in order, and the replay window spans both queues.
TEST_F(MulticoreRelayTest, SrtpPacketsOnTwoQueuesAreRelayedByTheOwner) {
  start(config());
  introducePeers();
  const auto suite = SrtpSuite::kAesCm128HmacSha1_80;
  SrtpKeys phone = testKeys(suite, 1, 2);
  SrtpKeys trunk = testKeys(suite, 3, 4);
  SessionSpec spec = call();
  spec.streams[0].a.srtp = phone;
  spec.streams[0].b.srtp = trunk;
  ASSERT_EQ(plane_->createSession(spec), "");
  SrtpPeer phoneOut(suite, phone.receive, srtp::Direction::kProtect);
  SrtpPeer trunkIn(suite, trunk.send, srtp::Direction::kUnprotect);
  std::vector<Bytes> sent;
  for (uint16_t seq = 1; seq <= 8; ++seq) {
    Bytes voice = rtp(seq, 160u * seq, 0x1111);
    sent.push_back(phoneOut.protect(voice));
    // The first three on the first lcore (the owner), the rest on the second.
    access_->send(fromPhone(sent.back()), seq <= 3 ? kFirst : kSecond);
    std::optional<Bytes> out = core_->receive(std::chrono::seconds(3), kFirst);
    ASSERT_TRUE(out) << "seq " << seq << " not relayed by the owner";
    std::optional<Bytes> plain = trunkIn.unprotect(udpPayload(*out));
    ASSERT_TRUE(plain) << "seq " << seq;
    EXPECT_EQ(*plain, voice);
  }
  EXPECT_FALSE(core_->receive(std::chrono::milliseconds(30), kSecond));
  access_->send(fromPhone(sent[1]), kSecond);  // a replay, through the other lcore
  ASSERT_TRUE(eventually([&] { return drops(DropReason::kSrtpReplay) == 1; }));
  EXPECT_EQ(direction(1, true).packets, 8u);

  // The other direction, owned by the second lcore.
  SrtpPeer trunkOut(suite, trunk.receive, srtp::Direction::kProtect);
  SrtpPeer phoneIn(suite, phone.send, srtp::Direction::kUnprotect);
  for (uint16_t seq = 1; seq <= 4; ++seq) {
    Bytes answer = rtp(seq, 160u * seq, 0x2222);
    core_->send(fromTrunk(trunkOut.protect(answer)), seq <= 2 ? kSecond : kFirst);
    std::optional<Bytes> out = access_->receive(std::chrono::seconds(3), kSecond);
    ASSERT_TRUE(out) << "seq " << seq;
    std::optional<Bytes> plain = phoneIn.unprotect(udpPayload(*out));
    ASSERT_TRUE(plain);
    EXPECT_EQ(*plain, answer);
  }
}

}  // namespace
}  // namespace sbc::dpdk::test

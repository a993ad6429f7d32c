// The relay's pure parts, without an EAL: frame checks, rewrites, checksums, ARP frames,
// the neighbour cache, RTP loss and jitter, configuration checks.

#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "dpdk/arp.h"
#include "dpdk/packet.h"
#include "dpdk/relay_config.h"
#include "dpdk/relay_target.h"
#include "dpdk/rtp_stats.h"
#include "tests/dpdk/frames.h"

namespace sbc::dpdk {
namespace {

using test::Bytes;
using test::Mac;

const Mac kPhoneMac = {0x02, 0xaa, 0, 0, 0, 0x10};
const Mac kRelayMac = {0x02, 0, 0, 0, 0x01, 0x01};
const Mac kTrunkMac = {0x02, 0xbb, 0, 0, 0, 0x20};

rte_be32_t be(const std::string& ip) {
  return rte_cpu_to_be_32(test::ipv4(ip));
}

rte_ether_addr mac(const Mac& m) {
  rte_ether_addr a;
  std::memcpy(a.addr_bytes, m.data(), 6);
  return a;
}

test::UdpSpec toRelay(Bytes payload) {
  test::UdpSpec s;
  s.dstMac = kRelayMac;
  s.srcMac = kPhoneMac;
  s.srcIp = "10.1.0.10";
  s.dstIp = "10.1.0.1";
  s.srcPort = 4000;
  s.dstPort = 20000;
  s.payload = std::move(payload);
  return s;
}

FrameView classify(const Bytes& f, RxHints hints = {}) {
  const rte_be32_t local[] = {be("10.1.0.1")};
  return classifyFrame(f.data(), static_cast<uint32_t>(f.size()), local, hints);
}

// ---------------------------------------------------------------------------------------
// Checksums

TEST(Checksum, MatchesTheReferenceOnEveryLengthAndAlignment) {
  // Every length through the vector blocks, their scalar tails and the odd byte, from any
  // alignment, plus the longest datagram of all-ones words (the most carries).
  std::mt19937 random(7);
  Bytes b(1600 + 8);
  for (auto& x : b)
    x = static_cast<uint8_t>(random());
  for (size_t offset = 0; offset < 4; ++offset)
    for (size_t length = 0; length <= 1600; length += (length < 200 ? 1 : 37)) {
      uint16_t ours = checksumFold(checksumAdd(0, b.data() + offset, length));
      // Ours is in memory order; the reference is a host-order number.
      ASSERT_EQ(rte_be_to_cpu_16(ours), test::referenceChecksum(b, offset, length))
          << "length " << length << " offset " << offset;
    }
  Bytes ones(65535, 0xff);
  EXPECT_EQ(rte_be_to_cpu_16(checksumFold(checksumAdd(0, ones.data(), ones.size()))),
            test::referenceChecksum(ones, 0, ones.size()));
  // A running sum carries on: two halves summed in turn equal the whole.
  const uint32_t half = checksumAdd(0, b.data(), 700);
  EXPECT_EQ(checksumFold(checksumAdd(half, b.data() + 700, 900)),
            checksumFold(checksumAdd(0, b.data(), 1600)));
}

TEST(Checksum, Rfc1071Example) {
  // RFC 1071 section 3: the sum of 0001 f203 f4f5 f6f7 is ddf2 (complement 220d).
  Bytes b = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(test::referenceChecksum(b, 0, b.size()), 0x220d);
  EXPECT_EQ(rte_be_to_cpu_16(checksumFold(checksumAdd(0, b.data(), b.size()))), 0x220d);
}

TEST(Checksum, IncrementalUpdateEqualsRecomputation) {
  std::mt19937 random(11);
  for (int round = 0; round < 2000; ++round) {
    Bytes b(40);
    for (auto& x : b)
      x = static_cast<uint8_t>(random());
    uint16_t before[4];
    std::memcpy(before, b.data() + 8, sizeof(before));
    uint16_t stored = checksumFold(checksumAdd(0, b.data(), b.size()));
    for (int i = 8; i < 16; ++i)
      b[i] = static_cast<uint8_t>(random());
    uint16_t after[4];
    std::memcpy(after, b.data() + 8, sizeof(after));
    uint16_t updated = checksumAdjust(stored, before, after, 4);
    uint16_t recomputed = checksumFold(checksumAdd(0, b.data(), b.size()));
    // 0x0000 and 0xffff are the same number in one's complement.
    if (recomputed == 0xffff && updated == 0) continue;
    ASSERT_EQ(updated, recomputed) << "round " << round;
  }
}

// ---------------------------------------------------------------------------------------
// Frame checks

TEST(ClassifyFrame, UdpToTheMediaAddress) {
  Bytes f = test::udpFrame(toRelay(test::rtp(1, 160, 0x1234)));
  FrameView v = classify(f);
  ASSERT_EQ(v.kind, FrameKind::kUdp);
  EXPECT_EQ(v.ipHeaderLength, 20);
  EXPECT_EQ(v.frameLength, f.size());
  EXPECT_EQ(v.payloadOffset, 42);
  EXPECT_EQ(v.payloadLength, 172);
  EXPECT_EQ(v.srcIp, be("10.1.0.10"));
  EXPECT_EQ(v.dstIp, be("10.1.0.1"));
  EXPECT_EQ(v.srcPort, rte_cpu_to_be_16(4000));
  EXPECT_EQ(v.dstPort, rte_cpu_to_be_16(20000));
}

TEST(ClassifyFrame, AnyOfTheInterfaceAddresses) {
  const rte_be32_t local[] = {be("10.1.0.1"), be("10.1.0.2"), be("10.1.0.3")};
  test::UdpSpec s = toRelay(test::rtp(1, 1, 1));
  s.dstIp = "10.1.0.3";
  Bytes f = test::udpFrame(s);
  FrameView v = classifyFrame(f.data(), static_cast<uint32_t>(f.size()), local);
  EXPECT_EQ(v.kind, FrameKind::kUdp);
  EXPECT_EQ(v.dstIp, be("10.1.0.3"));
  s.dstIp = "10.1.0.4";
  f = test::udpFrame(s);
  EXPECT_EQ(classifyFrame(f.data(), static_cast<uint32_t>(f.size()), local).kind,
            FrameKind::kIgnored);
}

TEST(ClassifyFrame, PaddingIsNotPartOfTheFrame) {
  test::UdpSpec s = toRelay({0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1});
  s.padding = 10;
  Bytes f = test::udpFrame(s);
  FrameView v = classify(f);
  ASSERT_EQ(v.kind, FrameKind::kUdp);
  EXPECT_EQ(v.frameLength, f.size() - 10);
}

TEST(ClassifyFrame, OtherFamiliesAddressesAndProtocolsAreIgnored) {
  Bytes f = test::udpFrame(toRelay(test::rtp(1, 1, 1)));
  Bytes v6 = f;
  test::put16(v6, 12, 0x86dd);
  EXPECT_EQ(classify(v6).kind, FrameKind::kIgnored);
  Bytes vlan = f;
  test::put16(vlan, 12, 0x8100);
  EXPECT_EQ(classify(vlan).kind, FrameKind::kIgnored);
  test::UdpSpec other = toRelay(test::rtp(1, 1, 1));
  other.dstIp = "10.1.0.2";
  EXPECT_EQ(classify(test::udpFrame(other)).kind, FrameKind::kIgnored);
  Bytes tcp = f;
  tcp[23] = 6;
  test::put16(tcp, 24, 0);
  test::put16(tcp, 24, test::referenceChecksum(tcp, 14, 20));
  EXPECT_EQ(classify(tcp).kind, FrameKind::kIgnored);
  Bytes arp =
      test::arpFrame(1, test::kBroadcast, kPhoneMac, "10.1.0.10", test::kZeroMac, "10.1.0.1");
  EXPECT_EQ(classify(arp).kind, FrameKind::kArp);
}

TEST(ClassifyFrame, MalformedFrames) {
  Bytes good = test::udpFrame(toRelay(test::rtp(1, 1, 1)));
  auto malformed = [](const Bytes& f, const char* what) {
    EXPECT_EQ(classify(f).kind, FrameKind::kMalformed) << what;
  };
  auto withIpChecksum = [](Bytes f) {
    test::put16(f, 24, 0);
    test::put16(f, 24, test::referenceChecksum(f, 14, (f[14] & 0xf) * 4u));
    return f;
  };
  malformed(Bytes(good.begin(), good.begin() + 13), "shorter than Ethernet");
  malformed(Bytes(good.begin(), good.begin() + 30), "shorter than IPv4");
  Bytes version = good;
  version[14] = 0x65;
  malformed(withIpChecksum(version), "IP version 6 in an IPv4 frame");
  Bytes ihl = good;
  ihl[14] = 0x44;
  malformed(withIpChecksum(ihl), "IHL 4");
  Bytes longer = good;
  test::put16(longer, 16, static_cast<uint16_t>(test::get16(good, 16) + 1));
  malformed(withIpChecksum(longer), "total length beyond the frame");
  Bytes shorterThanHeader = good;
  test::put16(shorterThanHeader, 16, 19);
  malformed(withIpChecksum(shorterThanHeader), "total length inside the header");
  Bytes checksum = good;
  checksum[24] ^= 1;
  malformed(checksum, "IP checksum");
  test::UdpSpec fragment = toRelay(test::rtp(1, 1, 1));
  fragment.fragment = 0x2000;  // more fragments
  malformed(test::udpFrame(fragment), "first fragment");
  fragment.fragment = 0x0010;  // offset 128
  malformed(test::udpFrame(fragment), "later fragment");
  test::UdpSpec ttl = toRelay(test::rtp(1, 1, 1));
  ttl.ttl = 0;
  malformed(test::udpFrame(ttl), "TTL 0");
  test::UdpSpec multicast = toRelay(test::rtp(1, 1, 1));
  multicast.srcIp = "224.0.0.5";
  malformed(test::udpFrame(multicast), "multicast source");
  Bytes udpLength = good;
  test::put16(udpLength, 38, static_cast<uint16_t>(test::get16(good, 38) - 1));
  malformed(udpLength, "UDP length shorter than the IP payload");
  test::UdpSpec port0 = toRelay(test::rtp(1, 1, 1));
  port0.srcPort = 0;
  malformed(test::udpFrame(port0), "source port 0");
  EXPECT_EQ(classify(good, RxHints{ChecksumHint::kBad, ChecksumHint::kUnknown}).kind,
            FrameKind::kMalformed);
  EXPECT_EQ(classify(good, RxHints{ChecksumHint::kGood, ChecksumHint::kBad}).kind,
            FrameKind::kMalformed);
  // A NIC that verified the header is believed: the checksum is not summed again.
  EXPECT_EQ(classify(checksum, RxHints{ChecksumHint::kGood, ChecksumHint::kUnknown}).kind,
            FrameKind::kUdp);
}

TEST(ClassifyFrame, IcmpEcho) {
  Bytes echo = test::icmpEcho(8, kRelayMac, kPhoneMac, "10.1.0.10", "10.1.0.1", 7, 1);
  FrameView v = classify(echo);
  ASSERT_EQ(v.kind, FrameKind::kIcmpEcho);
  EXPECT_EQ(v.payloadOffset, 34);
  EXPECT_EQ(v.payloadLength, 64);
  Bytes reply = test::icmpEcho(0, kRelayMac, kPhoneMac, "10.1.0.10", "10.1.0.1", 7, 1);
  EXPECT_EQ(classify(reply).kind, FrameKind::kIgnored);
  echo[50] ^= 0xff;
  EXPECT_EQ(classify(echo).kind, FrameKind::kMalformed) << "ICMP checksum";
}

TEST(ClassifyPayload, RtpAndRtcpByPort) {
  Bytes rtp = test::rtp(1, 2, 3, 8, 0);
  Bytes rtcp = test::rtcpReceiverReport(3);
  auto kind = [](const Bytes& p, PortKind port, size_t length = SIZE_MAX) {
    return classifyPayload(p.data(), static_cast<uint16_t>(std::min(length, p.size())), port);
  };
  EXPECT_EQ(kind(rtp, PortKind::kRtp), PayloadKind::kRtp);
  EXPECT_EQ(kind(rtp, PortKind::kRtp, 11), PayloadKind::kInvalid) << "short header";
  Bytes v1 = rtp;
  v1[0] = 0x40;
  EXPECT_EQ(kind(v1, PortKind::kRtp), PayloadKind::kInvalid) << "version 1";
  EXPECT_EQ(kind(rtcp, PortKind::kRtp), PayloadKind::kInvalid) << "RTCP on the RTP port";
  EXPECT_EQ(kind(rtcp, PortKind::kRtcp), PayloadKind::kRtcp);
  EXPECT_EQ(kind(rtp, PortKind::kRtcp), PayloadKind::kInvalid) << "RTP on the RTCP port";
  EXPECT_EQ(kind(rtcp, PortKind::kRtcp, 7), PayloadKind::kInvalid);
  EXPECT_EQ(kind(rtp, PortKind::kMux), PayloadKind::kRtp);
  EXPECT_EQ(kind(rtcp, PortKind::kMux), PayloadKind::kRtcp);
  Bytes marked = test::rtp(1, 2, 3, 0x80 | 8, 0);  // PCMA with the marker bit: still RTP
  EXPECT_EQ(kind(marked, PortKind::kMux), PayloadKind::kRtp);
}

// ---------------------------------------------------------------------------------------
// Rewrites

Rewrite towardsTrunk() {
  Rewrite r;
  r.srcMac = mac({0x02, 0, 0, 0, 0x02, 0x01});
  r.dstMac = mac(kTrunkMac);
  r.srcIp = be("10.2.0.1");
  r.dstIp = be("10.2.0.20");
  r.srcPort = rte_cpu_to_be_16(30000);
  r.dstPort = rte_cpu_to_be_16(5000);
  return r;
}

test::UdpSpec expectedAtTrunk(Bytes payload) {
  test::UdpSpec s = toRelay(std::move(payload));
  s.dstMac = kTrunkMac;
  s.srcMac = {0x02, 0, 0, 0, 0x02, 0x01};
  s.srcIp = "10.2.0.1";
  s.dstIp = "10.2.0.20";
  s.srcPort = 30000;
  s.dstPort = 5000;
  s.ttl = 64;
  return s;
}

TEST(RewriteUdp, HeadersAndChecksums) {
  Bytes f = test::udpFrame(toRelay(test::rtp(9, 1440, 0xdeadbeef)));
  rewriteUdp(f.data(), towardsTrunk(), false);
  EXPECT_EQ(f, test::udpFrame(expectedAtTrunk(test::rtp(9, 1440, 0xdeadbeef))));
  EXPECT_TRUE(test::ipChecksumOk(f));
  EXPECT_TRUE(test::udpChecksumOk(f));
}

TEST(RewriteUdp, OffloadLeavesTheIpChecksumToTheNic) {
  Bytes f = test::udpFrame(toRelay(test::rtp(9, 1440, 1)));
  rewriteUdp(f.data(), towardsTrunk(), true);
  EXPECT_EQ(test::get16(f, 24), 0);
  EXPECT_TRUE(test::udpChecksumOk(f));
}

TEST(RewriteUdp, NoUdpChecksumStaysNone) {
  test::UdpSpec s = toRelay(test::rtp(9, 1440, 1));
  s.udpChecksum = false;
  Bytes f = test::udpFrame(s);
  rewriteUdp(f.data(), towardsTrunk(), false);
  EXPECT_EQ(test::get16(f, 40), 0);
  EXPECT_TRUE(test::ipChecksumOk(f));
}

TEST(RewriteUdp, RandomAddressesAndPortsKeepChecksumsValid) {
  std::mt19937 random(3);
  for (int round = 0; round < 500; ++round) {
    test::UdpSpec s =
        toRelay(test::rtp(static_cast<uint16_t>(random()), random(), random(), 0, random() % 200));
    s.srcPort = static_cast<uint16_t>(random() | 1);
    Bytes f = test::udpFrame(s);
    Rewrite r = towardsTrunk();
    r.srcIp = static_cast<rte_be32_t>(random());
    r.dstIp = static_cast<rte_be32_t>(random());
    r.srcPort = static_cast<rte_be16_t>(random() | 1);
    r.dstPort = static_cast<rte_be16_t>(random() | 1);
    rewriteUdp(f.data(), r, false);
    ASSERT_TRUE(test::ipChecksumOk(f)) << round;
    ASSERT_TRUE(test::udpChecksumOk(f)) << round;
    ASSERT_NE(test::get16(f, 40), 0) << "a computed checksum is never 0";
  }
}

TEST(RewriteUdp, IpOptionsAreStripped) {
  test::UdpSpec s = toRelay(test::rtp(1, 2, 3));
  s.ipOptions = {0x07, 0x07, 0x04, 0x00, 0x01, 0x01, 0x01, 0x00};  // record route + NOPs + end
  Bytes f = test::udpFrame(s);
  uint16_t removed = stripIpOptions(f.data(), 28);
  EXPECT_EQ(removed, 8);
  Bytes stripped(f.begin() + removed, f.end());
  rewriteUdp(stripped.data(), towardsTrunk(), false);
  EXPECT_EQ(stripped, test::udpFrame(expectedAtTrunk(test::rtp(1, 2, 3))));
}

TEST(EchoReply, SwapsAndKeepsChecksumsValid) {
  Bytes echo = test::icmpEcho(8, kRelayMac, kPhoneMac, "10.1.0.10", "10.1.0.1", 77, 3, 100, 33);
  makeEchoReply(echo.data(), mac(kRelayMac));
  Bytes expected = test::icmpEcho(0, kPhoneMac, kRelayMac, "10.1.0.1", "10.1.0.10", 77, 3, 100);
  EXPECT_EQ(echo, expected);
}

// ---------------------------------------------------------------------------------------
// ARP

TEST(Arp, ParseAndReply) {
  Bytes request =
      test::arpFrame(1, test::kBroadcast, kPhoneMac, "10.1.0.10", test::kZeroMac, "10.1.0.1", 18);
  ArpView a;
  ASSERT_TRUE(parseArp(request.data(), static_cast<uint32_t>(request.size()), a));
  EXPECT_EQ(a.op, 1);
  EXPECT_EQ(a.senderIp, be("10.1.0.10"));
  EXPECT_EQ(a.targetIp, be("10.1.0.1"));
  EXPECT_EQ(std::memcmp(a.senderMac.addr_bytes, kPhoneMac.data(), 6), 0);
  makeArpReply(request.data(), mac(kRelayMac), be("10.1.0.1"));
  request.resize(42);
  EXPECT_EQ(request, test::arpFrame(2, kPhoneMac, kRelayMac, "10.1.0.1", kPhoneMac, "10.1.0.10"));
  Bytes rarp =
      test::arpFrame(3, test::kBroadcast, kPhoneMac, "10.1.0.10", test::kZeroMac, "10.1.0.1");
  EXPECT_FALSE(parseArp(rarp.data(), 42, a));
  EXPECT_FALSE(parseArp(request.data(), 41, a));
}

TEST(Arp, Request) {
  Bytes f(42);
  EXPECT_EQ(buildArpRequest(f.data(), mac(kRelayMac), be("10.1.0.1"), be("10.1.0.10")), 42);
  EXPECT_EQ(
      f, test::arpFrame(1, test::kBroadcast, kRelayMac, "10.1.0.1", test::kZeroMac, "10.1.0.10"));
}

TEST(NeighbourTable, ResolveAsksOncePerRetryThenLearns) {
  NeighbourTable t({/*lifetime*/ 1000, /*refreshAfter*/ 800, /*retry*/ 100});
  auto r = t.resolve(0, be("10.1.0.10"), 5);
  EXPECT_EQ(r.mac, nullptr);
  EXPECT_TRUE(r.sendRequest);
  r = t.resolve(0, be("10.1.0.10"), 50);
  EXPECT_EQ(r.mac, nullptr);
  EXPECT_FALSE(r.sendRequest) << "within the retry interval";
  r = t.resolve(0, be("10.1.0.10"), 105);
  EXPECT_TRUE(r.sendRequest);
  t.learn(0, be("10.1.0.10"), mac(kPhoneMac), 110);
  r = t.resolve(0, be("10.1.0.10"), 120);
  ASSERT_NE(r.mac, nullptr);
  EXPECT_EQ(std::memcmp(r.mac->addr_bytes, kPhoneMac.data(), 6), 0);
  EXPECT_FALSE(r.sendRequest);
  EXPECT_EQ(t.resolve(1, be("10.1.0.10"), 120).mac, nullptr) << "per interface";
}

TEST(NeighbourTable, RefreshesBeforeExpiry) {
  NeighbourTable t({1000, 800, 100});
  t.learn(0, be("10.1.0.10"), mac(kPhoneMac), 0);
  auto r = t.resolve(0, be("10.1.0.10"), 900);
  EXPECT_NE(r.mac, nullptr) << "still used while refreshing";
  EXPECT_TRUE(r.sendRequest);
  r = t.resolve(0, be("10.1.0.10"), 950);
  EXPECT_FALSE(r.sendRequest);
  r = t.resolve(0, be("10.1.0.10"), 1001);
  EXPECT_EQ(r.mac, nullptr) << "expired";
  EXPECT_TRUE(r.sendRequest);
  using Claim = NeighbourTable::Claim;
  EXPECT_EQ(t.claim(0, be("10.1.0.10"), mac(kPhoneMac), 1002, false, false), Claim::kRefreshed);
  r = t.resolve(0, be("10.1.0.10"), 1003);
  ASSERT_NE(r.mac, nullptr);
  EXPECT_EQ(std::memcmp(r.mac->addr_bytes, kPhoneMac.data(), 6), 0);
  EXPECT_EQ(t.claim(0, be("10.1.0.99"), mac(kTrunkMac), 1003, false, false), Claim::kIgnored)
      << "merge never adds";
}

// The gateway spoofing defence, on the table alone: a known MAC is moved only by a reply,
// and only once it has gone unconfirmed past the refresh point and one retry.
TEST(NeighbourTable, AKnownMacMovesOnlyWhenItStoppedAnswering) {
  using Claim = NeighbourTable::Claim;
  NeighbourTable t({1000, 800, 100});
  ASSERT_EQ(t.claim(0, be("10.1.0.254"), mac(kPhoneMac), 0, true, true), Claim::kLearned);
  EXPECT_EQ(t.claim(0, be("10.1.0.254"), mac(kTrunkMac), 10, true, false), Claim::kConflict)
      << "a gratuitous ARP or a request from another MAC";
  EXPECT_EQ(t.claim(0, be("10.1.0.254"), mac(kTrunkMac), 20, true, true), Claim::kConflict)
      << "a forged reply while the gateway answers";
  EXPECT_EQ(t.claim(0, be("10.1.0.254"), mac(kPhoneMac), 500, true, false), Claim::kRefreshed);
  EXPECT_EQ(t.claim(0, be("10.1.0.254"), mac(kTrunkMac), 1399, true, true), Claim::kConflict)
      << "confirmed at 500: not silent long enough";
  auto r = t.resolve(0, be("10.1.0.254"), 1399);
  ASSERT_NE(r.mac, nullptr);
  EXPECT_EQ(std::memcmp(r.mac->addr_bytes, kPhoneMac.data(), 6), 0);
  EXPECT_EQ(t.claim(0, be("10.1.0.254"), mac(kTrunkMac), 1400, true, false), Claim::kConflict)
      << "only a reply moves it";
  EXPECT_EQ(t.claim(0, be("10.1.0.254"), mac(kTrunkMac), 1400, true, true), Claim::kLearned)
      << "the old MAC stopped answering: a replaced router";
  r = t.resolve(0, be("10.1.0.254"), 1401);
  ASSERT_NE(r.mac, nullptr);
  EXPECT_EQ(std::memcmp(r.mac->addr_bytes, kTrunkMac.data(), 6), 0);
}

TEST(NeighbourTable, StaticNeighboursArePinned) {
  NeighbourTable t({1000, 800, 100});
  ASSERT_TRUE(t.pin(0, be("10.1.0.254"), mac(kTrunkMac)));
  auto r = t.resolve(0, be("10.1.0.254"), 1u << 30);
  ASSERT_NE(r.mac, nullptr) << "never expires";
  EXPECT_FALSE(r.sendRequest) << "never asked for";
  t.learn(0, be("10.1.0.254"), mac(kPhoneMac), 5);
  EXPECT_EQ(t.claim(0, be("10.1.0.254"), mac(kPhoneMac), 6, true, true),
            NeighbourTable::Claim::kConflict);
  r = t.resolve(0, be("10.1.0.254"), 7);
  EXPECT_EQ(std::memcmp(r.mac->addr_bytes, kTrunkMac.data(), 6), 0) << "ARP cannot move it";
  // Learning many others never evicts it.
  for (uint32_t i = 0; i < 3 * NeighbourTable::kCapacity; ++i)
    t.learn(0, rte_cpu_to_be_32(0x0a000000 + i), mac(kPhoneMac), i);
  EXPECT_NE(t.resolve(0, be("10.1.0.254"), 8).mac, nullptr);
}

TEST(NeighbourTable, BoundedEvictingTheStalest) {
  NeighbourTable t({1u << 30, 1u << 29, 100});
  // Far more addresses than entries: the table stays bounded and the newest are kept.
  for (uint32_t i = 0; i < 3 * NeighbourTable::kCapacity; ++i)
    t.learn(0, rte_cpu_to_be_32(0x0a000000 + i), mac(kPhoneMac), i);
  size_t newestKnown = 0;
  for (uint32_t i = 3 * NeighbourTable::kCapacity - 64; i < 3 * NeighbourTable::kCapacity; ++i)
    newestKnown += t.resolve(0, rte_cpu_to_be_32(0x0a000000 + i), 1u << 20).mac != nullptr;
  EXPECT_EQ(newestKnown, 64u);
}

// ---------------------------------------------------------------------------------------
// RTP statistics

RtpHeader header(uint16_t sequence, uint32_t timestamp, uint32_t ssrc = 1) {
  return RtpHeader{sequence, timestamp, ssrc};
}

TEST(RtpReceiver, ReadsTheFixedHeader) {
  Bytes p = test::rtp(0xabcd, 0x01020304, 0xdeadbeef);
  RtpHeader h = readRtpHeader(p.data());
  EXPECT_EQ(h.sequence, 0xabcd);
  EXPECT_EQ(h.timestamp, 0x01020304u);
  EXPECT_EQ(h.ssrc, 0xdeadbeefu);
}

TEST(RtpReceiver, GapsAreLossLateArrivalsAreNot) {
  RtpReceiver r;
  for (uint16_t s : {1, 2, 3, 6, 7})
    r.onPacket(header(s, s * 160u), s * 160u);
  EXPECT_EQ(r.lost, 2u);
  r.onPacket(header(4, 640), 1200);  // late
  EXPECT_EQ(r.lost, 1u);
  r.onPacket(header(7, 1120), 1210);  // duplicate
  EXPECT_EQ(r.lost, 1u);
}

TEST(RtpReceiver, SequenceWrapsAndRestarts) {
  RtpReceiver r;
  for (uint16_t s : {65533, 65534, 65535, 0, 2})
    r.onPacket(header(s, 0), 0);
  EXPECT_EQ(r.lost, 1u) << "1 missing across the wrap";
  r.onPacket(header(30000, 0), 0);  // a jump: the sender restarted, not 27998 lost
  EXPECT_EQ(r.lost, 1u);
  r.onPacket(header(30002, 0), 0);
  EXPECT_EQ(r.lost, 2u);
  r.onPacket(header(9, 0, /*ssrc*/ 2), 0);  // a new source starts afresh
  r.onPacket(header(10, 0, 2), 0);
  EXPECT_EQ(r.lost, 2u);
}

TEST(RtpReceiver, JitterByRfc3550) {
  // Packets 20 ms apart (160 at 8 kHz) arriving at 0, 160, 400, 480: transit differences 0,
  // 80, 80. J = 0 + (80 - 0) / 16 = 5, then 5 + (80 - 5) / 16 = 9.6875 timestamp units.
  RtpReceiver r;
  r.onPacket(header(1, 1000), 0);
  r.onPacket(header(2, 1160), 160);
  r.onPacket(header(3, 1320), 400);
  r.onPacket(header(4, 1480), 480);
  EXPECT_EQ(r.jitter16, 155u);  // the integer form: 9.6875 * 16
  EXPECT_DOUBLE_EQ(r.jitterMs(), 155.0 / 16 / 8);
  EXPECT_DOUBLE_EQ(r.jitterMs(48000), 155.0 / 16 / 48);
}

TEST(RtpReceiver, RegularArrivalHasNoJitter) {
  RtpReceiver r;
  for (uint32_t i = 0; i < 100; ++i)
    r.onPacket(header(static_cast<uint16_t>(i), 0xfffff000u + i * 160), 77 + i * 160);
  EXPECT_EQ(r.jitter16, 0u) << "timestamps wrapped at 2^32 on the way";
  EXPECT_EQ(r.lost, 0u);
}

// ---------------------------------------------------------------------------------------
// Targets and configuration

TEST(Latch, SourceWordRoundTrips) {
  uint64_t w = encodeSource(be("192.0.2.7"), rte_cpu_to_be_16(4002));
  EXPECT_NE(w, 0u) << "a latched word is never the empty one, even for 0.0.0.0:0";
  EXPECT_NE(encodeSource(0, 0), 0u);
  EXPECT_EQ(sourceIp(w), be("192.0.2.7"));
  EXPECT_EQ(sourcePort(w), rte_cpu_to_be_16(4002));
}

// The learning modes' count and stamp share the word without touching the source.
TEST(Latch, UseCountAndStampLeaveTheSourceAlone) {
  uint64_t s = encodeSource(be("192.0.2.7"), rte_cpu_to_be_16(4002));
  uint64_t w = encodeUse(s, kConfirmPackets, 5000);  // the tick wraps at 2048
  EXPECT_EQ(w & kSourceBits, s);
  EXPECT_EQ(sourceIp(w), be("192.0.2.7"));
  EXPECT_EQ(sourcePort(w), rte_cpu_to_be_16(4002));
  EXPECT_EQ(sourceSeen(w), kConfirmPackets);
  EXPECT_EQ(ticksSilent(w, 5000), 0u);
  EXPECT_EQ(ticksSilent(w, 5007), 7u);
  EXPECT_EQ(ticksSilent(w, 4999), 0u) << "a stamp from an lcore slightly ahead is not silence";
  EXPECT_EQ(ticksSilent(encodeUse(s, 1, 2047), 2049), 2u) << "across the wrap";
  // A hold of minutes (more than half the wrap) is still silence, not "just heard".
  EXPECT_EQ(ticksSilent(w, 5000 + 1500), 1500u);
  EXPECT_EQ(ticksSilent(w, 5000 + 2044), 2044u);
  EXPECT_EQ(ticksSilent(w, 4997), 0u) << "three ticks ahead";
}

RelayConfig validConfig() {
  RelayConfig c;
  c.lcores = {1};
  RelayConfig::Interface i;
  i.realm = "access";
  i.device = "net_null0";
  i.address = *mediaplane::IpAddress::parse("10.1.0.1");
  i.prefixLength = 24;
  i.gateway = mediaplane::IpAddress::parse("10.1.0.254");
  c.interfaces.push_back(i);
  return c;
}

TEST(RelayConfigCheck, Problems) {
  EXPECT_EQ(validateConfig(validConfig()), "");
  auto problem = [](auto edit) {
    RelayConfig c = validConfig();
    edit(c);
    return validateConfig(c);
  };
  EXPECT_EQ(problem([](RelayConfig& c) { c.interfaces.clear(); }),
            "media_plane: interfaces is empty: give each anchoring realm one interface");
  EXPECT_EQ(problem([](RelayConfig& c) { c.lcores.clear(); }),
            "media_plane: lcores is empty: the relay needs at least one worker lcore");
  EXPECT_EQ(problem([](RelayConfig& c) {
              c.lcores = {1, 1};
            }),
            "media_plane: lcores 1 is listed twice");
  EXPECT_EQ(
      problem([](RelayConfig& c) { c.interfaces.push_back(c.interfaces[0]); }),
      "media_plane interface 'access': realm 'access' has an interface already: one per realm");
  EXPECT_EQ(problem([](RelayConfig& c) {
              c.interfaces.push_back(c.interfaces[0]);
              c.interfaces[1].realm = "core";
            }),
            "media_plane interface 'core': device 'net_null0' is used by the interface of realm "
            "'access'");
  EXPECT_EQ(problem([](RelayConfig& c) { c.interfaces[0].gateway = c.interfaces[0].address; }),
            "media_plane interface 'access': gateway 10.1.0.1 is the realm's media address itself");
  EXPECT_EQ(
      problem([](RelayConfig& c) {
        c.interfaces[0].gateway = mediaplane::IpAddress::parse("10.1.1.254");
      }),
      "media_plane interface 'access': gateway 10.1.1.254 is outside 10.1.0.1/24 (the realm's "
      "media address and prefix_length): the relay reaches its gateway on the link");
  EXPECT_EQ(problem([](RelayConfig& c) {
              c.interfaces[0].address = *mediaplane::IpAddress::parse("2001:db8::1");
            }),
            "media_plane interface 'access': realm 'access' has an IPv6 media address: the media "
            "plane relays IPv4 only for now");
  EXPECT_EQ(problem([](RelayConfig& c) { c.interfaces[0].prefixLength = 33; }),
            "media_plane interface 'access': prefix_length 33 is out of range 1-32");
  EXPECT_EQ(problem([](RelayConfig& c) {
              c.interfaces[0].mac = std::array<uint8_t, 6>{0x01, 0, 0x5e, 0, 0, 1};
            }),
            "media_plane interface 'access': mac '01:00:5e:00:00:01' is not a unicast address");
  EXPECT_EQ(problem([](RelayConfig& c) { c.maxSessions = 0; }),
            "media_plane: max_sessions 0 is out of range 1-4194304");
  EXPECT_EQ(problem([](RelayConfig& c) {
              c.interfaces[0].extraAddresses = {*mediaplane::IpAddress::parse("10.1.0.2"),
                                                *mediaplane::IpAddress::parse("10.1.0.2")};
            }),
            "media_plane interface 'access': address 10.1.0.2 is given twice");
  EXPECT_EQ(
      problem([](RelayConfig& c) {
        c.interfaces[0].staticNeighbours.push_back(
            {*mediaplane::IpAddress::parse("10.1.0.254"), {}});
      }),
      "media_plane interface 'access': static neighbour 10.1.0.254 needs a unicast MAC address");
}

// The relay's checks are mediaplane::validate(), the one the config loader reports at
// `sbcd --check-config` (tests/unit/topology_test.cc, MediaPlaneValidator): same text.
TEST(RelayConfigCheck, SameValidatorAsTheConfigLoader) {
  RelayConfig c = validConfig();
  for (int i = 2; i <= 17; ++i) {
    RelayConfig::Interface extra = c.interfaces[0];
    extra.realm = "r" + std::to_string(i);
    extra.device = "d" + std::to_string(i);
    c.interfaces.push_back(extra);
  }
  std::vector<mediaplane::Problem> problems = mediaplane::validate(c);
  ASSERT_FALSE(problems.empty());
  EXPECT_EQ(validateConfig(c), mediaplane::describe(problems.front(), c));
  EXPECT_EQ(validateConfig(c), "media_plane: at most 16 media interfaces");
}

}  // namespace
}  // namespace sbc::dpdk

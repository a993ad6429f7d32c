#pragma once

// Two realms on ring-backed ports, and the peers around them:
//   access 10.1.0.1/24 (gateway 10.1.0.254), the phone at 10.1.0.10
//   core   10.2.0.1/24 (no gateway),         the trunk at 10.2.0.20
// The test plays every peer: it writes their frames into the relay's RX rings and reads
// what the relay sent them from the TX rings.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "dpdk/dpdk_media_plane.h"
#include "tests/dpdk/frames.h"
#include "tests/dpdk/relay_env.h"

namespace sbc::dpdk::test {

// Defined by each test binary: its one EAL.
EalEnvironment& environment();

inline constexpr Mac kAccessMac = {0x02, 0x00, 0x00, 0x00, 0x01, 0x01};
inline constexpr Mac kCoreMac = {0x02, 0x00, 0x00, 0x00, 0x02, 0x01};
inline constexpr Mac kPhoneMac = {0x02, 0xaa, 0x00, 0x00, 0x00, 0x10};
inline constexpr Mac kTrunkMac = {0x02, 0xbb, 0x00, 0x00, 0x00, 0x20};
inline constexpr Mac kGatewayMac = {0x02, 0xcc, 0x00, 0x00, 0x00, 0xfe};
inline constexpr Mac kStrangerMac = {0x02, 0xdd, 0x00, 0x00, 0x00, 0x66};

using mediaplane::DropReason;
using mediaplane::MediaEvent;
using mediaplane::SessionSpec;

inline size_t at(DropReason r) {
  return static_cast<size_t>(r);
}

inline mediaplane::SocketAddress socket(const std::string& ip, uint16_t port) {
  return mediaplane::SocketAddress{*mediaplane::IpAddress::parse(ip), port};
}

class RelayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(environment().ok()) << "EAL: " << environment().error();
    static int tests = 0;
    std::string tag = "t" + std::to_string(++tests);
    unsigned queues = static_cast<unsigned>(environment().workerLcores().size());
    access_ = std::make_unique<RingLink>(tag + "a", queues, environment().pool());
    core_ = std::make_unique<RingLink>(tag + "c", queues, environment().pool());
    ASSERT_TRUE(access_->ok() && core_->ok()) << "rte_eth_from_rings";
  }

  void TearDown() override {
    if (plane_) {
      // Let the lcores flush, then take back what they sent before their pools go.
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      access_->drain();
      core_->drain();
      plane_.reset();
    }
    access_.reset();
    core_.reset();
  }

  RelayConfig config() const {
    RelayConfig c;
    c.lcores = environment().workerLcores();
    c.maxSessions = 64;
    c.linkWait = std::chrono::milliseconds(200);
    RelayConfig::Interface a;
    a.realm = "access";
    a.device = access_->device();
    a.address = *mediaplane::IpAddress::parse("10.1.0.1");
    a.prefixLength = 24;
    a.gateway = mediaplane::IpAddress::parse("10.1.0.254");
    a.mac = kAccessMac;
    RelayConfig::Interface b;
    b.realm = "core";
    b.device = core_->device();
    b.address = *mediaplane::IpAddress::parse("10.2.0.1");
    b.prefixLength = 24;
    b.mac = kCoreMac;
    c.interfaces = {a, b};
    return c;
  }

  void start(const RelayConfig& c) {
    std::string error;
    plane_ = DpdkMediaPlane::start(c, error);
    ASSERT_TRUE(plane_) << error;
  }

  // The phone in access calls the trunk in core; one audio stream.
  static SessionSpec call(uint64_t id = 1) {
    SessionSpec s;
    s.id = id;
    mediaplane::StreamPair p;
    p.a.realm = "access";
    p.a.local = socket("10.1.0.1", 20000);
    p.a.remote = socket("10.1.0.10", 4000);
    p.b.realm = "core";
    p.b.local = socket("10.2.0.1", 30000);
    p.b.remote = socket("10.2.0.20", 5000);
    s.streams.push_back(p);
    return s;
  }

  // A peer asks for the relay's MAC (and so tells it its own); the answer is checked whole.
  void introduce(RingLink& link, const Mac& peerMac, const std::string& peerIp, const Mac& ourMac,
                 const std::string& ourIp, unsigned queue = 0) {
    link.send(arpFrame(1, kBroadcast, peerMac, peerIp, kZeroMac, ourIp), queue);
    std::optional<Bytes> reply = link.receive();
    ASSERT_TRUE(reply) << "no ARP reply for " << ourIp;
    EXPECT_EQ(*reply, arpFrame(2, peerMac, ourMac, ourIp, peerMac, peerIp));
  }

  void introducePeers() {
    introduce(*access_, kPhoneMac, "10.1.0.10", kAccessMac, "10.1.0.1");
    introduce(*core_, kTrunkMac, "10.2.0.20", kCoreMac, "10.2.0.1");
  }

  static UdpSpec udp(const Mac& dstMac, const Mac& srcMac, const std::string& srcIp,
                     uint16_t srcPort, const std::string& dstIp, uint16_t dstPort, Bytes payload) {
    UdpSpec s;
    s.dstMac = dstMac;
    s.srcMac = srcMac;
    s.srcIp = srcIp;
    s.srcPort = srcPort;
    s.dstIp = dstIp;
    s.dstPort = dstPort;
    s.payload = std::move(payload);
    return s;
  }

  // What the phone sends to the relay, and what the trunk should then receive.
  static Bytes fromPhone(Bytes payload, uint16_t srcPort = 4000, uint16_t dstPort = 20000,
                         const std::string& srcIp = "10.1.0.10") {
    return udpFrame(udp(kAccessMac, kPhoneMac, srcIp, srcPort, "10.1.0.1", dstPort, payload));
  }
  static Bytes atTrunk(Bytes payload, uint16_t srcPort = 30000, uint16_t dstPort = 5000,
                       const std::string& dstIp = "10.2.0.20", const Mac& dstMac = kTrunkMac) {
    UdpSpec s = udp(dstMac, kCoreMac, "10.2.0.1", srcPort, dstIp, dstPort, payload);
    s.ttl = 64;
    return udpFrame(s);
  }
  static Bytes fromTrunk(Bytes payload, uint16_t srcPort = 5000, uint16_t dstPort = 30000,
                         const std::string& srcIp = "10.2.0.20") {
    return udpFrame(udp(kCoreMac, kTrunkMac, srcIp, srcPort, "10.2.0.1", dstPort, payload));
  }
  static Bytes atPhone(Bytes payload, uint16_t srcPort = 20000, uint16_t dstPort = 4000,
                       const std::string& dstIp = "10.1.0.10", const Mac& dstMac = kPhoneMac) {
    UdpSpec s = udp(dstMac, kAccessMac, "10.1.0.1", srcPort, dstIp, dstPort, payload);
    s.ttl = 64;
    return udpFrame(s);
  }

  uint64_t drops(DropReason r) const { return plane_->counters().drops[at(r)]; }

  mediaplane::DirectionStats direction(uint64_t session, bool fromA, size_t stream = 0) const {
    std::optional<mediaplane::SessionStats> s = plane_->stats(session);
    if (!s || s->streams.size() <= stream) return {};
    return fromA ? s->streams[stream].fromA : s->streams[stream].fromB;
  }

  // Nothing reaches `link` for a while (drops are counted before this is asked).
  static bool silent(RingLink& link) {
    return !link.receive(std::chrono::milliseconds(30)).has_value();
  }

  std::unique_ptr<RingLink> access_;
  std::unique_ptr<RingLink> core_;
  std::unique_ptr<DpdkMediaPlane> plane_;
};

}  // namespace sbc::dpdk::test

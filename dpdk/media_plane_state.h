#pragma once

// Internal to dpdk/: what DpdkMediaPlane keeps between start() and stop(), shared by its
// three units: dpdk_media_plane.cc (bring-up, tear-down, the public calls),
// media_plane_sessions.cc (a SessionSpec turned into stream-table entries) and
// media_plane_stats.cc (statistics, events, counters). Not part of the public header, which
// includes no DPDK header.

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cstring>
#include <unordered_map>

#include "dpdk/eal.h"
#include "dpdk/hot_array.h"
#include "dpdk/lcore.h"
#include "dpdk/port.h"
#include "dpdk/srtp_relay.h"
#include "dpdk/stream_table.h"

#include "dpdk/dpdk_media_plane.h"

namespace sbc::dpdk {

using mediaplane::DirectionStats;
using mediaplane::Error;
using mediaplane::MediaEndpoint;
using mediaplane::MediaEvent;
using mediaplane::SessionSpec;
using mediaplane::SessionStats;
using mediaplane::SocketAddress;
using mediaplane::SourcePolicy;
using mediaplane::StreamPair;

// IPv4 addresses between the plain-data API and the wire (network order).
inline rte_be32_t v4(const mediaplane::IpAddress& ip) {
  if (ip.family != 4) return 0;
  rte_be32_t out;
  std::memcpy(&out, ip.bytes.data(), 4);
  return out;
}

inline mediaplane::IpAddress fromV4(rte_be32_t ip) {
  mediaplane::IpAddress a;
  std::memcpy(a.bytes.data(), &ip, 4);
  return a;
}

// --------------------------------------------------------------------------------------
// State: everything start() brings up, in the order stop() takes it down.

struct DpdkMediaPlane::State {
  struct StreamRecord {
    StreamPair spec;
    uint32_t slot = 0;  // directions 2 * slot (from a) and 2 * slot + 1
    uint32_t latch[2][2] = {{kNoSlot, kNoSlot}, {kNoSlot, kNoSlot}};  // [side][rtp, rtcp]
    std::vector<StreamKey> keys;
    uint64_t reported[2] = {0, 0};  // RTP latch word last reported per side
    uint64_t sinceTsc = 0;          // creation or last update: the timeout's floor
    bool timedOut = false;
    // Per direction (side the packets come from) and op: published in srtpSlots, freed
    // through the stream table's RCU when replaced or removed.
    SrtpCrypto* crypto[2][2] = {{nullptr, nullptr}, {nullptr, nullptr}};
  };
  struct SessionRecord {
    bool strict = false;
    std::vector<StreamRecord> streams;
  };

  RelayConfig config;
  bool ownsEal = false;
  bool running = false;
  std::vector<std::string> warnings;

  uint64_t tscHz = 0;
  uint64_t tsc0 = 0;
  uint64_t ns0 = 0;
  uint32_t streamCapacity = 0;

  std::unique_ptr<StreamTable> table;
  std::vector<rte_mempool*> pools;  // by worker
  std::vector<Port> ports;          // by interface
  std::unique_ptr<InterfaceContext[]> interfaces;
  SharedContext shared;
  std::atomic<bool> stopFlag{false};
  std::vector<std::unique_ptr<LcoreContext>> lcores;
  std::vector<HotArray<DirectionCounters>> directions;  // by worker
  size_t launched = 0;                                  // lcores[0, launched) run lcoreMain
  HotArray<SrtpSlot> srtpSlots;                         // by direction
  std::vector<rte_ring*> handoffs;                      // by worker
  std::unique_ptr<SrtpService> srtpService;
  uint64_t srtpGeneration = 0;

  std::unordered_map<uint64_t, SessionRecord> sessions;

  bool bringUp(std::string& error);
  void tearDown();

  std::optional<uint8_t> interfaceOf(const std::string& realm) const;
  Error apply(const SessionSpec& spec, SessionRecord* old);
  void removeStream(StreamRecord& s);
  void resetDirections(uint32_t slot);
  void retireCrypto(SrtpCrypto* c);
  Error checkSrtp(const MediaEndpoint& e, const std::string& who);
  DirectionStats directionStats(const StreamRecord& s, int side) const;
  uint64_t lastSeenTsc(const StreamRecord& s) const;
  uint64_t toNs(uint64_t tsc) const;
};

}  // namespace sbc::dpdk

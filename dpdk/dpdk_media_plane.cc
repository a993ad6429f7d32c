#include "dpdk/dpdk_media_plane.h"

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
#include "dpdk/stream_table.h"

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

namespace {

// Neighbour cache timing (seconds): like a host's ARP cache, with requests rate-limited.
constexpr uint64_t kNeighbourLifetimeS = 300;
constexpr uint64_t kNeighbourRefreshS = 240;
constexpr uint64_t kNeighbourRetryS = 1;
constexpr unsigned kInboxSize = 1024;
constexpr unsigned kPoolCache = 256;

rte_be32_t v4(const mediaplane::IpAddress& ip) {
  if (ip.family != 4) return 0;
  rte_be32_t out;
  std::memcpy(&out, ip.bytes.data(), 4);
  return out;
}

mediaplane::IpAddress fromV4(rte_be32_t ip) {
  mediaplane::IpAddress a;
  std::memcpy(a.bytes.data(), &ip, 4);
  return a;
}

// One side of a stream as the targets need it.
struct Side {
  uint8_t interface = 0;
  uint8_t localAddress = 0;  // index among the interface's media addresses
  rte_be32_t localIp = 0;
  uint16_t localPort = 0;  // host order
  rte_be32_t remoteIp = 0;
  uint16_t remotePort = 0;
  uint16_t remoteRtcpPort = 0;
  bool mux = false;
  uint32_t latchRtp = kNoSlot;
  uint32_t latchRtcp = kNoSlot;
};

StreamKey keyOf(const Side& s, uint16_t port) {
  StreamKey k;
  k.interface = s.interface;
  k.port = rte_cpu_to_be_16(port);
  k.address = s.localAddress;
  return k;
}

Egress rtpEgress(const Side& to, bool strict) {
  Egress e;
  e.interface = to.interface;
  e.srcIp = to.localIp;
  e.srcPort = rte_cpu_to_be_16(to.localPort);
  e.dstIp = to.remoteIp;
  e.dstPort = rte_cpu_to_be_16(to.remotePort);
  e.dstLatch = strict ? kNoSlot : to.latchRtp;
  return e;
}

// RTCP for a muxing side goes to its RTP port from ours; otherwise port + 1 on both ends.
Egress rtcpEgress(const Side& to, bool strict) {
  if (to.mux) return rtpEgress(to, strict);
  Egress e = rtpEgress(to, strict);
  e.srcPort = rte_cpu_to_be_16(static_cast<uint16_t>(to.localPort + 1));
  e.dstPort = rte_cpu_to_be_16(to.remoteRtcpPort);
  e.dstLatch = strict ? kNoSlot : to.latchRtcp;
  return e;
}

// Addresses a peer behind NAT signals (RFC 1918, shared address space RFC 6598, loopback,
// link-local, "this network"): its packets come from somewhere else. Host order.
bool isPublic(uint32_t ip) {
  auto in = [ip](uint32_t net, int bits) { return (ip ^ net) >> (32 - bits) == 0; };
  return !(in(0x0a000000, 8) || in(0xac100000, 12) || in(0xc0a80000, 16) || in(0x64400000, 10) ||
           in(0x7f000000, 8) || in(0xa9fe0000, 16) || in(0x00000000, 8));
}

std::string sideName(size_t stream, bool a) {
  return "stream " + std::to_string(stream) + (a ? " side a" : " side b");
}

}  // namespace

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

  std::unordered_map<uint64_t, SessionRecord> sessions;

  bool bringUp(std::string& error);
  void tearDown();

  std::optional<uint8_t> interfaceOf(const std::string& realm) const;
  Error apply(const SessionSpec& spec, SessionRecord* old);
  void removeStream(StreamRecord& s);
  void resetDirections(uint32_t slot);
  DirectionStats directionStats(const StreamRecord& s, int side) const;
  uint64_t lastSeenTsc(const StreamRecord& s) const;
  uint64_t toNs(uint64_t tsc) const;
};

bool DpdkMediaPlane::State::bringUp(std::string& error) {
  static std::atomic<unsigned> instances{0};
  const std::string tag = std::to_string(instances++);
  const size_t workers = config.lcores.size();

  for (unsigned lcore : config.lcores) {
    if (lcore >= RTE_MAX_LCORE || !rte_lcore_is_enabled(lcore)) {
      error = "lcore " + std::to_string(lcore) + " is not enabled in the EAL (-l/--lcores)";
      return false;
    }
    if (lcore == rte_get_main_lcore()) {
      error = "lcore " + std::to_string(lcore) +
              " is the main lcore: it stays the control thread, give workers other lcores";
      return false;
    }
    if (rte_eal_get_lcore_state(lcore) != WAIT) {
      error = "lcore " + std::to_string(lcore) + " is busy with other work";
      return false;
    }
  }

  tscHz = rte_get_tsc_hz();
  tsc0 = rte_rdtsc();
  ns0 = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  std::chrono::steady_clock::now().time_since_epoch())
                                  .count());

  // Two streams per session on average (audio and video); latch words twice over, so that
  // an update can take fresh ones before the old are reclaimed. Keys need no room of their
  // own: every local port of every media address has its entry.
  streamCapacity = config.maxSessions * 2;
  StreamTable::Capacity capacity;
  capacity.streams = streamCapacity;
  capacity.latches = streamCapacity * 8;
  capacity.readers = static_cast<unsigned>(workers);
  for (const RelayConfig::Interface& c : config.interfaces)
    capacity.addresses.push_back(static_cast<uint8_t>(1 + c.extraAddresses.size()));
  table = StreamTable::create(capacity, error);
  if (!table) return false;

  // One mempool per worker lcore on its socket, sized for every queue it fills.
  const size_t nInterfaces = config.interfaces.size();
  uint32_t needed =
      static_cast<uint32_t>(nInterfaces * (config.rxDescriptors + config.txDescriptors) +
                            kBurst * (nInterfaces + 2) + 2 * kPoolCache + 1024);
  uint32_t poolSize = std::max(config.mbufsPerLcore, needed);
  std::vector<unsigned> sockets;
  for (size_t w = 0; w < workers; ++w) {
    unsigned socket = rte_lcore_to_socket_id(config.lcores[w]);
    std::string name = "sbc_mb" + tag + "_" + std::to_string(w);
    rte_mempool* pool = rte_pktmbuf_pool_create(name.c_str(), poolSize, kPoolCache, 0,
                                                RTE_MBUF_DEFAULT_BUF_SIZE, socket);
    if (pool == nullptr) {
      pool = rte_pktmbuf_pool_create(name.c_str(), poolSize, kPoolCache, 0,
                                     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    }
    if (pool == nullptr) {
      error = "cannot create a pool of " + std::to_string(poolSize) + " mbufs for lcore " +
              std::to_string(config.lcores[w]) + ": " + rte_strerror(rte_errno) +
              " (give the EAL more memory with -m, or lower mbufs_per_lcore)";
      return false;
    }
    pools.push_back(pool);
    sockets.push_back(socket);
  }

  // The interfaces, each in three stages.
  interfaces = std::make_unique<InterfaceContext[]>(nInterfaces);
  for (size_t i = 0; i < nInterfaces; ++i) {
    const RelayConfig::Interface& c = config.interfaces[i];
    std::optional<Port> port = Port::attach(c.device, error);
    if (!port) return false;
    for (const Port& other : ports) {
      if (other.id() == port->id()) {
        error = "interfaces '" + config.interfaces[&other - ports.data()].realm + "' and '" +
                c.realm + "' are the same port " + port->name();
        return false;
      }
    }
    ports.push_back(*port);
    Port& p = ports.back();
    if (!p.configure(static_cast<uint16_t>(workers), c.mac, warnings, error) ||
        !p.setupQueues(pools, sockets, config.rxDescriptors, config.txDescriptors, error) ||
        !p.start(config.linkWait, warnings, error)) {
      return false;
    }
    InterfaceContext& in = interfaces[i];
    in.port = p.id();
    in.index = static_cast<uint8_t>(i);
    in.ip = v4(c.address);
    in.addresses[0] = in.ip;
    for (const mediaplane::IpAddress& extra : c.extraAddresses)
      in.addresses[in.addressCount++] = v4(extra);
    in.mask = rte_cpu_to_be_32(prefixMask(c.prefixLength));
    in.gateway = c.gateway ? v4(*c.gateway) : 0;
    in.mac = p.mac();
    in.ipChecksumOffload = p.ipChecksumOffload();
  }

  shared.interfaces = interfaces.get();
  shared.interfaceCount = static_cast<uint8_t>(nInterfaces);
  shared.ports = table->ports();
  shared.rcu = table->rcu();
  shared.latches = table->latches();
  shared.stop = &stopFlag;
  shared.drainTsc = (tscHz + 999999) / 1000000 * kDrainMicroseconds;
  shared.tscPer8kHzTick = std::max<uint64_t>(1, tscHz / 8000);
  // Latch ticks of 2^shift TSC cycles, a quarter to half a second: a stamp in the latch word
  // is then rewritten a few times a second per stream, and 11 bits of it span 512 s.
  shared.latchTickShift =
      static_cast<uint8_t>(std::max(1, static_cast<int>(std::bit_width(tscHz)) - 2));
  if (config.latchHandover.count() > 0) {
    uint64_t tick = uint64_t{1} << shared.latchTickShift;
    uint64_t handover = static_cast<uint64_t>(config.latchHandover.count()) * tscHz / 1000;
    // +1: a stamp is a whole tick, so one more guarantees at least the configured silence.
    shared.handoverTicks = static_cast<uint32_t>((handover + tick - 1) / tick + 1);
  }
  // 15 s: three RTCP intervals of the peer, or two at their randomized longest.
  uint32_t rtcpTicks = static_cast<uint32_t>((15 * tscHz >> shared.latchTickShift) + 1);
  shared.rtcpHandoverTicks = std::max(shared.handoverTicks, rtcpTicks);
  shared.neighbourTiming = NeighbourTable::Timing{
      kNeighbourLifetimeS * tscHz, kNeighbourRefreshS * tscHz, kNeighbourRetryS * tscHz};

  for (size_t w = 0; w < workers; ++w) {
    auto lc = std::make_unique<LcoreContext>(shared.neighbourTiming);
    lc->lcore = config.lcores[w];
    lc->queue = static_cast<uint16_t>(w);
    lc->rcuThread = static_cast<unsigned>(w);
    lc->shared = &shared;
    lc->pool = pools[w];
    directions.push_back(HotArray<DirectionCounters>::create(size_t{streamCapacity} * 2,
                                                             static_cast<int>(sockets[w])));
    if (directions.back().data() == nullptr) {
      error = "cannot allocate the stream counters of lcore " + std::to_string(lc->lcore) + " (" +
              std::to_string(size_t{streamCapacity} * 2 * sizeof(DirectionCounters) >> 20) +
              " MiB for max_sessions " + std::to_string(config.maxSessions) + ")";
      return false;
    }
    lc->directions = directions.back().data();
    std::string name = "sbc_nb" + tag + "_" + std::to_string(w);
    lc->inbox = rte_ring_create_elem(name.c_str(), sizeof(NeighbourUpdate), kInboxSize,
                                     static_cast<int>(sockets[w]), RING_F_SC_DEQ);
    if (lc->inbox == nullptr) {
      error = "cannot create the neighbour inbox of lcore " + std::to_string(lc->lcore) + ": " +
              rte_strerror(rte_errno);
      return false;
    }
    for (size_t i = 0; i < nInterfaces; ++i) {
      for (const RelayConfig::Interface::StaticNeighbour& n :
           config.interfaces[i].staticNeighbours) {
        rte_ether_addr mac;
        std::memcpy(mac.addr_bytes, n.mac.data(), RTE_ETHER_ADDR_LEN);
        if (!lc->neighbours.pin(static_cast<uint8_t>(i), v4(n.ip), mac)) {
          error = "interface '" + config.interfaces[i].realm + "': too many static neighbours " +
                  "near " + n.ip.toString();
          return false;
        }
      }
    }
    lcores.push_back(std::move(lc));
  }
  for (auto& lc : lcores) {
    for (auto& other : lcores) {
      if (other != lc) lc->peers[lc->peerCount++] = other->inbox;
    }
  }

  for (auto& lc : lcores) {
    if (int rc = rte_eal_remote_launch(lcoreMain, lc.get(), lc->lcore); rc != 0) {
      error = "cannot launch lcore " + std::to_string(lc->lcore) + ": " + rte_strerror(-rc);
      return false;
    }
    ++launched;
  }
  running = true;
  return true;
}

void DpdkMediaPlane::State::tearDown() {
  stopFlag.store(true);
  for (size_t w = 0; w < launched; ++w)
    rte_eal_wait_lcore(lcores[w]->lcore);
  launched = 0;
  running = false;
  for (auto it = ports.rbegin(); it != ports.rend(); ++it)
    it->close();
  ports.clear();
  table.reset();
  for (auto& lc : lcores)
    rte_ring_free(lc->inbox);
  lcores.clear();
  directions.clear();
  for (rte_mempool* pool : pools)
    rte_mempool_free(pool);
  pools.clear();
  sessions.clear();
  if (ownsEal) cleanupEal();
  ownsEal = false;
}

std::optional<uint8_t> DpdkMediaPlane::State::interfaceOf(const std::string& realm) const {
  for (size_t i = 0; i < config.interfaces.size(); ++i) {
    if (config.interfaces[i].realm == realm) return static_cast<uint8_t>(i);
  }
  return std::nullopt;
}

void DpdkMediaPlane::State::resetDirections(uint32_t slot) {
  // Only slots no lcore can reach (fresh, or reclaimed after a grace period) come here.
  for (auto& array : directions) {
    for (uint32_t d = 2 * slot; d < 2 * slot + 2; ++d) {
      DirectionCounters& c = array[d];
      c.packets = 0;
      c.bytes = 0;
      for (auto& drop : c.drops)
        drop = 0;
      c.lost = 0;
      c.jitter16 = 0;
      c.lastSeenTsc = 0;
      c.rtp = RtpReceiver{};
    }
  }
}

Error DpdkMediaPlane::State::apply(const SessionSpec& spec, SessionRecord* old) {
  table->reclaim();
  const bool strict = config.strictSource || spec.sources == SourcePolicy::kStrict;
  // A public signaled address is the peer's own (nothing NATs it): only that IP may latch.
  auto checkFor = [&](rte_be32_t signaled) {
    if (strict) return SourceCheck::kStrict;
    switch (config.latching) {
      case mediaplane::Latching::kFirst:
        return SourceCheck::kLatchFirst;
      case mediaplane::Latching::kLearningAnyAddress:
        return SourceCheck::kLearn;
      case mediaplane::Latching::kLearning:
        break;
    }
    return isPublic(rte_be_to_cpu_32(signaled)) ? SourceCheck::kLearnSameIp : SourceCheck::kLearn;
  };

  // 1. Check every side against the interfaces.
  std::vector<std::array<Side, 2>> sides(spec.streams.size());
  for (size_t i = 0; i < spec.streams.size(); ++i) {
    const MediaEndpoint* ends[2] = {&spec.streams[i].a, &spec.streams[i].b};
    for (int s = 0; s < 2; ++s) {
      const MediaEndpoint& e = *ends[s];
      std::string who = sideName(i, s == 0);
      std::optional<uint8_t> interface = interfaceOf(e.realm);
      if (!interface) return who + ": realm '" + e.realm + "' has no media interface";
      const RelayConfig::Interface& c = config.interfaces[*interface];
      if (e.local.ip != c.address && std::find(c.extraAddresses.begin(), c.extraAddresses.end(),
                                               e.local.ip) == c.extraAddresses.end()) {
        return who + ": local address " + e.local.ip.toString() + " is not the media address " +
               c.address.toString() + " of realm '" + e.realm + "'";
      }
      if (e.local.port == 0) return who + ": local port 0";
      if (!e.rtcpMux && e.local.port == 65535)
        return who + ": local port 65535 leaves no RTCP port";
      if (e.remote.ip.family != 4 && !e.remote.ip.isUnspecified())
        return who + ": IPv6 peers are not supported yet";
      Side& side = sides[i][s];
      side.interface = *interface;
      side.localIp = v4(e.local.ip);
      side.localAddress =
          e.local.ip == c.address
              ? 0
              : static_cast<uint8_t>(
                    1 + (std::find(c.extraAddresses.begin(), c.extraAddresses.end(), e.local.ip) -
                         c.extraAddresses.begin()));
      side.localPort = e.local.port;
      side.remoteIp = v4(e.remote.ip);
      side.remotePort = e.remote.port;
      side.remoteRtcpPort = e.remoteRtcpPort != 0 ? e.remoteRtcpPort
                            : e.remote.port != 0  ? static_cast<uint16_t>(e.remote.port + 1)
                                                  : 0;
      side.mux = e.rtcpMux;
    }
  }

  // 2. The keys: unique within the session, not owned by another one.
  std::vector<StreamKey> newKeys;
  for (size_t i = 0; i < sides.size(); ++i) {
    for (int s = 0; s < 2; ++s) {
      const Side& side = sides[i][s];
      uint16_t ports[2] = {side.localPort, static_cast<uint16_t>(side.localPort + 1)};
      for (int k = 0; k < (side.mux ? 1 : 2); ++k) {
        StreamKey key = keyOf(side, ports[k]);
        std::string where = "port " + std::to_string(ports[k]) + " in realm '" +
                            config.interfaces[side.interface].realm + "'";
        if (std::find(newKeys.begin(), newKeys.end(), key) != newKeys.end())
          return sideName(i, s == 0) + ": " + where + " is used twice in session " +
                 std::to_string(spec.id);
        const RelayTarget* owner = table->find(key);
        if (owner != nullptr && owner->session != spec.id)
          return sideName(i, s == 0) + ": " + where + " belongs to session " +
                 std::to_string(owner->session);
        newKeys.push_back(key);
      }
    }
  }
  std::vector<StreamKey> oldKeys;
  if (old) {
    for (const StreamRecord& s : old->streams)
      oldKeys.insert(oldKeys.end(), s.keys.begin(), s.keys.end());
  }
  auto isOld = [&oldKeys](const StreamKey& k) {
    return std::find(oldKeys.begin(), oldKeys.end(), k) != oldKeys.end();
  };
  auto isNew = [&newKeys](const StreamKey& k) {
    return std::find(newKeys.begin(), newKeys.end(), k) != newKeys.end();
  };

  // 3. Which latches survive: same peer, same local end, same muxing.
  size_t oldCount = old ? old->streams.size() : 0;
  auto keepsLatch = [&](size_t i, int s) {
    if (i >= oldCount) return false;
    const MediaEndpoint& before = s == 0 ? old->streams[i].spec.a : old->streams[i].spec.b;
    const MediaEndpoint& after = s == 0 ? spec.streams[i].a : spec.streams[i].b;
    return before.realm == after.realm && before.local == after.local &&
           before.remote == after.remote && before.remoteRtcpPort == after.remoteRtcpPort &&
           before.rtcpMux == after.rtcpMux;
  };
  size_t streamsNeeded = spec.streams.size() > oldCount ? spec.streams.size() - oldCount : 0;
  size_t latchesNeeded = 0;
  for (size_t i = 0; i < spec.streams.size(); ++i) {
    for (int s = 0; s < 2; ++s)
      latchesNeeded += keepsLatch(i, s) ? 0 : 2;
  }
  auto fits = [&] {
    return table->freeStreams() >= streamsNeeded && table->freeLatches() >= latchesNeeded;
  };
  if (!fits()) table->synchronize();  // retired slots come back after one grace period
  if (!fits()) {
    return "the stream table is full (" + std::to_string(streamCapacity) +
           " streams for max_sessions " + std::to_string(config.maxSessions) + ")";
  }

  // 4. Slots: streams keep theirs (and their counters); latches as decided above.
  SessionRecord record;
  record.strict = strict;
  uint64_t now = rte_rdtsc();
  for (size_t i = 0; i < spec.streams.size(); ++i) {
    StreamRecord s;
    s.spec = spec.streams[i];
    s.sinceTsc = now;
    if (i < oldCount) {
      s.slot = old->streams[i].slot;
    } else {
      s.slot = *table->allocateStream();
      resetDirections(s.slot);
    }
    for (int side = 0; side < 2; ++side) {
      if (keepsLatch(i, side)) {
        s.latch[side][0] = old->streams[i].latch[side][0];
        s.latch[side][1] = old->streams[i].latch[side][1];
        s.reported[side] = old->streams[i].reported[side];
      } else {
        s.latch[side][0] = *table->allocateLatch();
        s.latch[side][1] = *table->allocateLatch();
      }
      sides[i][side].latchRtp = s.latch[side][0];
      sides[i][side].latchRtcp = s.latch[side][1];
    }
    record.streams.push_back(std::move(s));
  }

  // 5. The targets, one per key.
  struct Pending {
    StreamKey key;
    std::unique_ptr<RelayTarget> target;
  };
  std::vector<Pending> pending;
  for (size_t i = 0; i < sides.size(); ++i) {
    for (int s = 0; s < 2; ++s) {
      const Side& from = sides[i][s];
      const Side& to = sides[i][1 - s];
      auto base = [&] {
        auto t = std::make_unique<RelayTarget>();
        t->check = checkFor(from.remoteIp);
        t->direction = 2 * record.streams[i].slot + static_cast<uint32_t>(s);
        t->session = spec.id;
        t->expectIp = from.remoteIp;
        return t;
      };
      auto rtp = base();
      rtp->kind = from.mux ? PortKind::kMux : PortKind::kRtp;
      rtp->expectPort = rte_cpu_to_be_16(from.remotePort);
      rtp->srcLatch = strict ? kNoSlot : from.latchRtp;
      rtp->rtp = rtpEgress(to, strict);
      rtp->rtcp = rtcpEgress(to, strict);
      record.streams[i].keys.push_back(keyOf(from, from.localPort));
      pending.push_back({keyOf(from, from.localPort), std::move(rtp)});
      if (!from.mux) {
        auto rtcp = base();
        rtcp->kind = PortKind::kRtcp;
        rtcp->expectPort = rte_cpu_to_be_16(from.remoteRtcpPort);
        rtcp->srcLatch = strict ? kNoSlot : from.latchRtcp;
        rtcp->rtp = rtcpEgress(to, strict);
        rtcp->rtcp = rtcp->rtp;
        StreamKey key = keyOf(from, static_cast<uint16_t>(from.localPort + 1));
        record.streams[i].keys.push_back(key);
        pending.push_back({key, std::move(rtcp)});
      }
    }
  }

  // 6. Publish: keys that are new first, then replacements (atomic per key), then the keys
  // that went away. Every port of every media address has its entry and step 1 checked the
  // addresses, so adding cannot fail; if it ever did, nothing would have changed.
  std::vector<StreamKey> added;
  for (Pending& p : pending) {
    if (isOld(p.key)) continue;
    if (!table->publish(p.key, std::move(p.target))) {
      for (const StreamKey& k : added)
        table->remove(k);
      for (size_t i = 0; i < record.streams.size(); ++i) {
        if (i >= oldCount) table->retireStream(record.streams[i].slot);
        for (int side = 0; side < 2; ++side) {
          if (keepsLatch(i, side)) continue;
          table->retireLatch(record.streams[i].latch[side][0]);
          table->retireLatch(record.streams[i].latch[side][1]);
        }
      }
      return "internal error: the stream table has no entry for local port " +
             std::to_string(rte_be_to_cpu_16(p.key.port));
    }
    added.push_back(p.key);
  }
  for (Pending& p : pending) {
    if (p.target) table->publish(p.key, std::move(p.target));
  }
  for (const StreamKey& k : oldKeys) {
    if (!isNew(k)) table->remove(k);
  }
  if (old) {
    for (size_t i = 0; i < oldCount; ++i) {
      const StreamRecord& s = old->streams[i];
      if (i >= spec.streams.size()) table->retireStream(s.slot);
      for (int side = 0; side < 2; ++side) {
        if (i < spec.streams.size() && keepsLatch(i, side)) continue;
        table->retireLatch(s.latch[side][0]);
        table->retireLatch(s.latch[side][1]);
      }
    }
  }
  sessions[spec.id] = std::move(record);
  return {};
}

void DpdkMediaPlane::State::removeStream(StreamRecord& s) {
  for (const StreamKey& k : s.keys)
    table->remove(k);
  table->retireStream(s.slot);
  for (auto& side : s.latch) {
    table->retireLatch(side[0]);
    table->retireLatch(side[1]);
  }
}

uint64_t DpdkMediaPlane::State::toNs(uint64_t tsc) const {
  if (tsc == 0) return 0;
  uint64_t delta = tsc > tsc0 ? tsc - tsc0 : 0;
  return ns0 + delta / tscHz * 1000000000ull + delta % tscHz * 1000000000ull / tscHz;
}

DirectionStats DpdkMediaPlane::State::directionStats(const StreamRecord& s, int side) const {
  DirectionStats out;
  uint32_t d = 2 * s.slot + static_cast<uint32_t>(side);
  uint64_t jitterFromBusiest = 0;
  uint64_t busiest = 0;
  uint64_t lastSeen = 0;
  for (const auto& array : directions) {
    const DirectionCounters& c = array[d];
    uint64_t packets = c.packets.load(std::memory_order_relaxed);
    out.packets += packets;
    out.bytes += c.bytes.load(std::memory_order_relaxed);
    for (size_t r = 0; r < kDropReasons; ++r)
      out.drops[r] += c.drops[r].load(std::memory_order_relaxed);
    out.lost += c.lost.load(std::memory_order_relaxed);
    // Jitter is one receiver's estimate: RSS keeps a flow on one lcore, so take that one's.
    if (packets >= busiest) {
      busiest = packets;
      jitterFromBusiest = c.jitter16.load(std::memory_order_relaxed);
    }
    lastSeen = std::max(lastSeen, c.lastSeenTsc.load(std::memory_order_relaxed));
  }
  out.jitterMs = static_cast<double>(jitterFromBusiest) / 16.0 / 8.0;
  out.lastSeenNs = toNs(lastSeen);
  uint64_t word = table->latches()[s.latch[side][0]].load(std::memory_order_acquire);
  if (word != 0)
    out.latched = SocketAddress{fromV4(sourceIp(word)), rte_be_to_cpu_16(sourcePort(word))};
  return out;
}

uint64_t DpdkMediaPlane::State::lastSeenTsc(const StreamRecord& s) const {
  uint64_t last = s.sinceTsc;
  for (const auto& array : directions) {
    last = std::max({last, array[2 * s.slot].lastSeenTsc.load(std::memory_order_relaxed),
                     array[2 * s.slot + 1].lastSeenTsc.load(std::memory_order_relaxed)});
  }
  return last;
}

// --------------------------------------------------------------------------------------
// DpdkMediaPlane

DpdkMediaPlane::DpdkMediaPlane(std::unique_ptr<State> state) : state_(std::move(state)) {}

DpdkMediaPlane::~DpdkMediaPlane() {
  stop();
}

std::unique_ptr<DpdkMediaPlane> DpdkMediaPlane::start(const RelayConfig& config,
                                                      std::string& error) {
  error = validateConfig(config);
  if (!error.empty()) return nullptr;
  auto state = std::make_unique<State>();
  state->config = config;
  // Arguments, or no EAL yet: this relay brings the EAL up and takes it down. No arguments
  // and an EAL already up: the application's, shared.
  if (!config.eal.empty() || !ealInitialized()) {
    if (!initEal(config.eal, error)) return nullptr;
    state->ownsEal = true;
  }
  if (!state->bringUp(error)) {
    state->tearDown();
    return nullptr;
  }
  return std::unique_ptr<DpdkMediaPlane>(new DpdkMediaPlane(std::move(state)));
}

void DpdkMediaPlane::stop() {
  if (state_->running) state_->tearDown();
}

Error DpdkMediaPlane::createSession(const SessionSpec& spec) {
  State& s = *state_;
  if (!s.running) return "the media plane is stopped";
  if (s.sessions.count(spec.id) != 0) return "session " + std::to_string(spec.id) + " exists";
  if (s.sessions.size() >= s.config.maxSessions)
    return "max_sessions (" + std::to_string(s.config.maxSessions) + ") reached";
  return s.apply(spec, nullptr);
}

Error DpdkMediaPlane::updateSession(const SessionSpec& spec) {
  State& s = *state_;
  if (!s.running) return "the media plane is stopped";
  auto it = s.sessions.find(spec.id);
  if (it == s.sessions.end()) return "no session " + std::to_string(spec.id);
  State::SessionRecord old = it->second;
  return s.apply(spec, &old);
}

void DpdkMediaPlane::deleteSession(uint64_t id) {
  State& s = *state_;
  if (!s.running) return;
  s.table->reclaim();
  auto it = s.sessions.find(id);
  if (it == s.sessions.end()) return;
  for (State::StreamRecord& stream : it->second.streams)
    s.removeStream(stream);
  s.sessions.erase(it);
}

std::optional<SessionStats> DpdkMediaPlane::stats(uint64_t id) const {
  const State& s = *state_;
  auto it = s.sessions.find(id);
  if (it == s.sessions.end()) return std::nullopt;
  SessionStats out;
  out.id = id;
  for (const State::StreamRecord& stream : it->second.streams) {
    mediaplane::StreamStats st;
    st.fromA = s.directionStats(stream, 0);
    st.fromB = s.directionStats(stream, 1);
    out.streams.push_back(std::move(st));
  }
  return out;
}

std::vector<MediaEvent> DpdkMediaPlane::pollEvents() {
  State& s = *state_;
  std::vector<MediaEvent> events;
  if (!s.running) return events;
  s.table->reclaim();
  uint64_t now = rte_rdtsc();
  uint64_t timeout = static_cast<uint64_t>(s.config.mediaTimeout.count()) * s.tscHz;
  for (auto& [id, session] : s.sessions) {
    for (size_t i = 0; i < session.streams.size(); ++i) {
      State::StreamRecord& stream = session.streams[i];
      for (int side = 0; side < 2; ++side) {
        uint64_t word = s.table->latches()[stream.latch[side][0]].load(std::memory_order_acquire);
        word &= kSourceBits;  // the learning modes' count and stamp are no news
        if (word == 0 || word == stream.reported[side]) continue;
        stream.reported[side] = word;
        MediaEvent e;
        e.kind = MediaEvent::Kind::kLatched;
        e.session = id;
        e.stream = static_cast<uint32_t>(i);
        e.fromA = side == 0;
        e.source = SocketAddress{fromV4(sourceIp(word)), rte_be_to_cpu_16(sourcePort(word))};
        events.push_back(e);
      }
      if (timeout == 0) continue;
      uint64_t last = s.lastSeenTsc(stream);  // another core's TSC may run a little ahead
      bool idle = now > last && now - last >= timeout;
      if (idle && !stream.timedOut) {
        MediaEvent e;
        e.kind = MediaEvent::Kind::kTimeout;
        e.session = id;
        e.stream = static_cast<uint32_t>(i);
        events.push_back(e);
      }
      stream.timedOut = idle;
    }
  }
  return events;
}

namespace {

// Adds one lcore's counters to `into`: the one place that reads them.
void accumulate(const LcoreCounters& c, RelayCounters& into) {
  into.rxPackets += c.rxPackets.load(std::memory_order_relaxed);
  into.relayed += c.relayed.load(std::memory_order_relaxed);
  into.rxBytes += c.rxBytes.load(std::memory_order_relaxed);
  into.relayedBytes += c.relayedBytes.load(std::memory_order_relaxed);
  for (size_t r = 0; r < kDropReasons; ++r)
    into.drops[r] += c.drops[r].load(std::memory_order_relaxed);
  into.arpReplies += c.arpReplies.load(std::memory_order_relaxed);
  into.arpRequests += c.arpRequests.load(std::memory_order_relaxed);
  into.arpLearned += c.arpLearned.load(std::memory_order_relaxed);
  into.arpConflicts += c.arpConflicts.load(std::memory_order_relaxed);
  into.icmpEchoReplies += c.icmpEchoReplies.load(std::memory_order_relaxed);
  into.ignored += c.ignored.load(std::memory_order_relaxed);
}

}  // namespace

RelayCounters DpdkMediaPlane::counters() const {
  RelayCounters out;
  for (const auto& lc : state_->lcores)
    accumulate(lc->counters, out);
  return out;
}

std::vector<LcoreRelayCounters> DpdkMediaPlane::lcoreCounters() const {
  std::vector<LcoreRelayCounters> out;
  for (const auto& lc : state_->lcores) {
    LcoreRelayCounters l;
    l.lcore = lc->lcore;
    accumulate(lc->counters, l.counters);
    out.push_back(l);
  }
  return out;
}

std::vector<PortStats> DpdkMediaPlane::portStats() const {
  std::vector<PortStats> out;
  for (size_t i = 0; i < state_->ports.size(); ++i) {
    const Port& p = state_->ports[i];
    PortStats s;
    s.realm = state_->config.interfaces[i].realm;
    s.device = state_->config.interfaces[i].device;
    s.port = p.id();
    rte_eth_stats st{};
    if (rte_eth_stats_get(p.id(), &st) == 0) {
      s.rxPackets = st.ipackets;
      s.txPackets = st.opackets;
      s.rxBytes = st.ibytes;
      s.txBytes = st.obytes;
      s.rxMissed = st.imissed;
      s.rxErrors = st.ierrors;
      s.txErrors = st.oerrors;
      s.rxNoMbuf = st.rx_nombuf;
    }
    int n = rte_eth_xstats_get_names(p.id(), nullptr, 0);
    if (n > 0) {
      std::vector<rte_eth_xstat_name> names(static_cast<size_t>(n));
      std::vector<rte_eth_xstat> values(static_cast<size_t>(n));
      int got = rte_eth_xstats_get_names(p.id(), names.data(), unsigned(n));
      int vals = rte_eth_xstats_get(p.id(), values.data(), unsigned(n));
      if (got == n && vals == n) {
        for (const rte_eth_xstat& x : values) {
          if (x.id < names.size()) s.xstats.emplace_back(names[x.id].name, x.value);
        }
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

size_t DpdkMediaPlane::sessionCount() const {
  return state_->sessions.size();
}

std::vector<InterfaceInfo> DpdkMediaPlane::interfaces() const {
  std::vector<InterfaceInfo> out;
  for (size_t i = 0; i < state_->ports.size(); ++i) {
    const Port& p = state_->ports[i];
    InterfaceInfo info;
    info.realm = state_->config.interfaces[i].realm;
    info.device = state_->config.interfaces[i].device;
    info.port = p.id();
    std::memcpy(info.mac.data(), p.mac().addr_bytes, 6);
    rte_eth_link link{};
    if (rte_eth_link_get_nowait(p.id(), &link) == 0) {
      info.linkUp = link.link_status == RTE_ETH_LINK_UP;
      info.linkSpeedMbps = link.link_speed;
    }
    info.rss = p.rss();
    info.ipChecksumOffload = p.ipChecksumOffload();
    out.push_back(std::move(info));
  }
  return out;
}

const std::vector<std::string>& DpdkMediaPlane::warnings() const {
  return state_->warnings;
}

}  // namespace sbc::dpdk

// Statistics, latching and timeout events, counters and port figures of the relay.

#include "dpdk/media_plane_state.h"

namespace sbc::dpdk {

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

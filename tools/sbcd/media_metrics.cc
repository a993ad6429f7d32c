#include "tools/sbcd/media_metrics.h"

#include <string>

namespace sbc::sbcd {

namespace {

using metrics::Kind;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

}  // namespace

void sampleMedia(const dpdk::DpdkMediaPlane& media, metrics::Snapshot& out) {
  out.family("sbc_media_sessions_active", "Media sessions anchored in the relay.", Kind::kGauge)
      .add({}, double(media.sessionCount()));
  auto& packets = out.family("sbc_media_packets_total",
                             "Frames received (rx) and RTP/RTCP packets relayed (tx) by each "
                             "worker lcore.",
                             Kind::kCounter);
  auto& bytes = out.family("sbc_media_bytes_total",
                           "Bytes of the frames received (rx) and relayed (tx) by each worker "
                           "lcore, Ethernet headers included.",
                           Kind::kCounter);
  dpdk::RelayCounters c;  // the sum, for the drops
  for (const dpdk::LcoreRelayCounters& l : media.lcoreCounters()) {
    std::string lcore = std::to_string(l.lcore);
    const dpdk::RelayCounters& t = l.counters;
    packets.add({{"lcore", lcore}, {"direction", "rx"}}, double(t.rxPackets));
    packets.add({{"lcore", lcore}, {"direction", "tx"}}, double(t.relayed));
    bytes.add({{"lcore", lcore}, {"direction", "rx"}}, double(t.rxBytes));
    bytes.add({{"lcore", lcore}, {"direction", "tx"}}, double(t.relayedBytes));
    for (size_t r = 0; r < dpdk::kDropReasons; ++r)
      c.drops[r] += t.drops[r];
    c.arpConflicts += t.arpConflicts;
  }
  out.family("sbc_media_arp_conflicts_total",
             "ARP packets that claimed a known or static neighbour's address for another MAC "
             "(spoofing, or a MAC change before the old one stopped answering): ignored.",
             Kind::kCounter)
      .add({}, double(c.arpConflicts));
  auto& drops = out.family("sbc_media_drops_total", "Media frames the relay dropped, by reason.",
                           Kind::kCounter);
  for (size_t r = 0; r < dpdk::kDropReasons; ++r) {
    drops.add({{"reason",
                std::string(mediaplane::dropReasonName(static_cast<mediaplane::DropReason>(r)))}},
              double(c.drops[r]));
  }
  struct PortFamily {
    const char* name;
    const char* help;
    uint64_t dpdk::PortStats::*field;
  };
  static constexpr PortFamily kPortFamilies[] = {
      {"sbc_dpdk_port_rx_packets_total", "Packets the port received.", &dpdk::PortStats::rxPackets},
      {"sbc_dpdk_port_tx_packets_total", "Packets the port sent.", &dpdk::PortStats::txPackets},
      {"sbc_dpdk_port_rx_bytes_total", "Bytes the port received.", &dpdk::PortStats::rxBytes},
      {"sbc_dpdk_port_tx_bytes_total", "Bytes the port sent.", &dpdk::PortStats::txBytes},
      {"sbc_dpdk_port_rx_missed_total",
       "Packets the NIC dropped because the RX ring was full (the relay fell behind).",
       &dpdk::PortStats::rxMissed},
      {"sbc_dpdk_port_rx_errors_total", "Erroneous packets received.", &dpdk::PortStats::rxErrors},
      {"sbc_dpdk_port_tx_errors_total", "Packets that failed to be sent.",
       &dpdk::PortStats::txErrors},
      {"sbc_dpdk_port_rx_nombuf_total", "RX mbuf allocation failures (the mempool ran dry).",
       &dpdk::PortStats::rxNoMbuf},
  };
  std::vector<dpdk::PortStats> ports = media.portStats();
  for (const PortFamily& pf : kPortFamilies) {
    auto& f = out.family(pf.name, pf.help, Kind::kCounter);
    for (const dpdk::PortStats& p : ports)
      f.add({{"port", std::to_string(p.port)}, {"realm", p.realm}}, double(p.*pf.field));
  }
  auto& xstats =
      out.family("sbc_dpdk_port_xstats_total",
                 "The driver's extended statistics (rte_eth_xstats), by name.", Kind::kCounter);
  for (const dpdk::PortStats& p : ports) {
    for (const auto& [name, value] : p.xstats)
      xstats.add({{"port", std::to_string(p.port)}, {"realm", p.realm}, {"name", lower(name)}},
                 double(value));
  }
}

}  // namespace sbc::sbcd

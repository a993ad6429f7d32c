#pragma once

// The media relay on DPDK: implements mediaplane::MediaPlane. start() brings up the EAL
// (or uses the application's), the interfaces and the worker lcores; the MediaPlane calls
// and everything below happen on the caller's thread, the control thread. This header
// includes no DPDK header, so the daemon that composes it stays free of DPDK's flags.

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dpdk/relay_config.h"
#include "mediaplane/api/media_plane.h"

namespace sbc::dpdk {

inline constexpr size_t kDropReasons = static_cast<size_t>(mediaplane::DropReason::kCount);

// What the lcores did, summed over them when read (logs, metrics).
struct RelayCounters {
  uint64_t rxPackets = 0;
  uint64_t relayed = 0;               // RTP/RTCP packets handed to a TX queue
  uint64_t rxBytes = 0;               // frames as received, Ethernet header included
  uint64_t relayedBytes = 0;          // frames as sent
  uint64_t drops[kDropReasons] = {};  // every drop, by mediaplane::DropReason
  uint64_t arpReplies = 0;            // answers for a media address
  uint64_t arpRequests = 0;           // resolutions of peers and gateways
  uint64_t arpLearned = 0;            // neighbour entries learned from ARP
  uint64_t arpConflicts = 0;  // ARP that would have moved a known or static neighbour: ignored
  uint64_t icmpEchoReplies = 0;
  uint64_t ignored = 0;  // frames not for the relay: other addresses, protocols, IPv6 (for now)
};

struct InterfaceInfo {
  std::string realm;
  std::string device;
  uint16_t port = 0;  // the DPDK port id
  std::array<uint8_t, 6> mac{};
  bool linkUp = false;
  uint32_t linkSpeedMbps = 0;
  bool rss = false;                // several queues spread by the NIC's hash
  bool ipChecksumOffload = false;  // TX IPv4 header checksum in hardware
};

// One worker lcore's counters, for the metrics endpoint.
struct LcoreRelayCounters {
  unsigned lcore = 0;
  RelayCounters counters;
};

// A port's basic stats (rte_eth_stats) and its driver's extended ones (rte_eth_xstats).
struct PortStats {
  std::string realm;
  std::string device;
  uint16_t port = 0;
  uint64_t rxPackets = 0;
  uint64_t txPackets = 0;
  uint64_t rxBytes = 0;
  uint64_t txBytes = 0;
  uint64_t rxMissed = 0;  // dropped by the NIC: no room in the RX ring
  uint64_t rxErrors = 0;
  uint64_t txErrors = 0;
  uint64_t rxNoMbuf = 0;  // RX mbuf allocation failures
  std::vector<std::pair<std::string, uint64_t>> xstats;
};

class DpdkMediaPlane final : public mediaplane::MediaPlane {
 public:
  // Null with `error` set when anything fails; what was brought up is taken down again.
  static std::unique_ptr<DpdkMediaPlane> start(const RelayConfig& config, std::string& error);
  ~DpdkMediaPlane() override;  // stop()

  DpdkMediaPlane(const DpdkMediaPlane&) = delete;
  DpdkMediaPlane& operator=(const DpdkMediaPlane&) = delete;

  // Stops the lcores, then closes the ports and detaches their devices (a later start()
  // probes them again from their device strings), frees the tables and pools and, when
  // start() initialised the EAL, cleans it up. Idempotent; later calls return errors.
  void stop();

  mediaplane::Error createSession(const mediaplane::SessionSpec& spec) override;
  mediaplane::Error updateSession(const mediaplane::SessionSpec& spec) override;
  void deleteSession(uint64_t id) override;
  std::optional<mediaplane::SessionStats> stats(uint64_t id) const override;
  // kLatched when a side's RTP source is learned (or moves to the signaled one); kTimeout
  // once per stream when neither direction carried a packet for mediaTimeout (re-armed when
  // media flows again). Found here by scanning, never on the packet path.
  std::vector<mediaplane::MediaEvent> pollEvents() override;

  RelayCounters counters() const;  // summed over the lcores
  std::vector<LcoreRelayCounters> lcoreCounters() const;
  // Control thread: reads the ports (the drivers' stats calls are not for the lcores).
  std::vector<PortStats> portStats() const;
  size_t sessionCount() const;
  std::vector<InterfaceInfo> interfaces() const;
  // Start-up notes worth a log line: link down, no RSS, no checksum offload, MAC not set.
  const std::vector<std::string>& warnings() const;

 private:
  struct State;
  explicit DpdkMediaPlane(std::unique_ptr<State> state);

  std::unique_ptr<State> state_;
};

}  // namespace sbc::dpdk

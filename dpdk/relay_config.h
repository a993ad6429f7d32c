#pragma once

// The relay's configuration as plain data. The daemon converts topology's
// MediaPlaneSettings into it; nothing here knows YAML, SIP or DPDK.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mediaplane/api/media_plane.h"

namespace sbc::dpdk {

inline constexpr size_t kMaxInterfaces = 16;
inline constexpr size_t kMaxAddresses = 16;  // media addresses per interface, the first included

struct RelayConfig {
  // EAL arguments without argv[0] (e.g. --no-huge -m 1024 --no-pci --file-prefix sbc -l 0,1).
  // start() initialises the EAL with them and stop() cleans it up, unless they are empty and
  // the application has initialised it already (initEal(), dpdk/eal.h): then it is shared,
  // and outlives the relay. Empty and no EAL yet: DPDK's defaults.
  std::vector<std::string> eal;
  // Worker lcores (never the main one: that is the caller's control thread). Each owns one
  // RX and one TX queue on every interface.
  std::vector<unsigned> lcores;

  struct Interface {
    std::string realm;
    // A PCI address ("0000:03:00.0"), a vdev spec ("net_af_packet0,iface=veth1"), or the
    // name of a port that already exists (from --vdev, or made by the application).
    std::string device;
    mediaplane::IpAddress address;  // the realm's media address: the relay answers ARP/ping
    uint8_t prefixLength = 24;      // on-link peers are resolved directly, others via gateway
    std::optional<mediaplane::IpAddress> gateway;
    std::optional<std::array<uint8_t, 6>> mac;  // overrides the device's address
    // More media addresses on the same link (more ports, for more sessions): each is
    // answered for like `address`; `address` stays the source of the relay's ARP requests.
    std::vector<mediaplane::IpAddress> extraAddresses;
    // Next hops with a fixed MAC: never resolved, never expired (a gateway that must not be
    // ARPed for, a lab peer that cannot answer).
    struct StaticNeighbour {
      mediaplane::IpAddress ip;
      std::array<uint8_t, 6> mac{};
    };
    std::vector<StaticNeighbour> staticNeighbours;
  };
  std::vector<Interface> interfaces;

  bool strictSource = false;              // every session kStrict, whatever its SessionSpec says
  std::chrono::seconds mediaTimeout{60};  // 0: no timeout events
  uint32_t maxSessions = 131072;          // also sizes the stream table (see dpdk/README.md)

  // Tuning; the defaults fit a --no-huge lab (-m 1024) as well as a NIC.
  uint32_t mbufsPerLcore = 8191;  // one pool per worker lcore, raised to what the queues need
  uint16_t rxDescriptors = 1024;
  uint16_t txDescriptors = 1024;
  std::chrono::milliseconds linkWait{3000};  // per port at start; a link still down is a warning
};

// The netmask of an IPv4 prefix length, in host order.
inline uint32_t prefixMask(uint8_t prefixLength) {
  return prefixLength == 0 ? 0 : ~uint32_t{0} << (32 - prefixLength);
}

// What can be checked without DPDK (addresses, prefixes, duplicates); empty when fine.
std::string validateConfig(const RelayConfig& config);

}  // namespace sbc::dpdk

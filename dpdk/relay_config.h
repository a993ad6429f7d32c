#pragma once

// The relay's configuration as plain data. The daemon converts the configuration's
// media_plane section into it; nothing here knows YAML, SIP or DPDK.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mediaplane/api/media_plane.h"
#include "mediaplane/relay_settings.h"

namespace sbc::dpdk {

using mediaplane::kMaxAddresses;
using mediaplane::kMaxInterfaces;

// The relay's settings (mediaplane/relay_settings.h, validated there for the loader and the
// relay alike) and the DPDK tuning only the relay knows.
struct RelayConfig : mediaplane::RelaySettings {
  using Interface = mediaplane::RelayInterface;
  // About `eal`: start() initialises the EAL with them and stop() cleans it up, unless they
  // are empty and the application has initialised it already (initEal(), dpdk/eal.h): then
  // it is shared, and outlives the relay. Empty and no EAL yet: DPDK's defaults. Each worker
  // lcore owns one RX and one TX queue on every interface.

  // Tuning; the defaults fit a --no-huge lab (-m 1024) as well as a NIC.
  uint32_t mbufsPerLcore = 8191;  // one pool per worker lcore, raised to what the queues need
  uint16_t rxDescriptors = 1024;
  uint16_t txDescriptors = 1024;
  std::chrono::milliseconds linkWait{3000};  // per port at start; a link still down is a warning
  // SRTP's RTP in batches on libipsec-mb (mediaplane/srtp/rtp_batch.h); false: on libsrtp, one
  // packet at a time, as where libipsec-mb cannot run (tests, troubleshooting).
  bool srtpBatch = true;
};

// The netmask of an IPv4 prefix length, in host order.
inline uint32_t prefixMask(uint8_t prefixLength) {
  return prefixLength == 0 ? 0 : ~uint32_t{0} << (32 - prefixLength);
}

// What can be checked without DPDK: mediaplane::validate() (the first problem) and the
// tuning; empty when fine.
std::string validateConfig(const RelayConfig& config);

}  // namespace sbc::dpdk

#include "dpdk/relay_config.h"

#include <algorithm>

namespace sbc::dpdk {
namespace {

std::string checkInterface(const RelayConfig::Interface& i) {
  std::string who = "interface '" + i.realm + "'";
  if (i.realm.empty()) return "an interface needs a realm";
  if (i.device.empty()) return who + " needs a device";
  if (i.address.family != 4) return who + ": IPv6 media addresses are not supported yet";
  if (i.address.isUnspecified()) return who + " needs a media address";
  if (i.prefixLength < 1 || i.prefixLength > 32)
    return who + ": prefix length " + std::to_string(i.prefixLength) + " is not 1-32";
  if (i.gateway) {
    uint32_t mask = prefixMask(i.prefixLength);
    if (i.gateway->family != 4) return who + ": the gateway must be IPv4 like the address";
    if (*i.gateway == i.address) return who + ": the gateway is the media address itself";
    if ((i.gateway->v4HostOrder() & mask) != (i.address.v4HostOrder() & mask)) {
      return who + ": gateway " + i.gateway->toString() + " is outside " + i.address.toString() +
             "/" + std::to_string(i.prefixLength);
    }
  }
  auto unicast = [](const std::array<uint8_t, 6>& m) {
    return (m[0] & 1) == 0 && std::any_of(m.begin(), m.end(), [](uint8_t b) { return b != 0; });
  };
  if (i.mac && !unicast(*i.mac)) return who + ": the MAC address must be a unicast address";
  if (i.extraAddresses.size() + 1 > kMaxAddresses)
    return who + ": at most " + std::to_string(kMaxAddresses) + " media addresses";
  for (size_t a = 0; a < i.extraAddresses.size(); ++a) {
    const mediaplane::IpAddress& extra = i.extraAddresses[a];
    if (extra.family != 4 || extra.isUnspecified())
      return who + ": extra address " + extra.toString() + " must be a usable IPv4 address";
    if (extra == i.address || std::find(i.extraAddresses.begin(), i.extraAddresses.begin() + a,
                                        extra) != i.extraAddresses.begin() + a) {
      return who + ": address " + extra.toString() + " is given twice";
    }
  }
  for (const RelayConfig::Interface::StaticNeighbour& n : i.staticNeighbours) {
    if (n.ip.family != 4 || n.ip.isUnspecified())
      return who + ": static neighbour " + n.ip.toString() + " must be a usable IPv4 address";
    if (!unicast(n.mac))
      return who + ": static neighbour " + n.ip.toString() + " needs a unicast MAC address";
  }
  return {};
}

}  // namespace

std::string validateConfig(const RelayConfig& config) {
  if (config.interfaces.empty()) return "the media plane needs at least one interface";
  if (config.interfaces.size() > kMaxInterfaces)
    return "at most " + std::to_string(kMaxInterfaces) + " media interfaces";
  for (size_t i = 0; i < config.interfaces.size(); ++i) {
    const RelayConfig::Interface& a = config.interfaces[i];
    if (std::string problem = checkInterface(a); !problem.empty()) return problem;
    for (size_t j = 0; j < i; ++j) {
      const RelayConfig::Interface& b = config.interfaces[j];
      if (a.realm == b.realm) return "realm '" + a.realm + "' has two media interfaces";
      if (a.device == b.device) return "device '" + a.device + "' is used by two interfaces";
    }
  }
  if (config.lcores.empty()) return "the media plane needs at least one worker lcore";
  for (size_t i = 0; i < config.lcores.size(); ++i) {
    if (std::count(config.lcores.begin(), config.lcores.end(), config.lcores[i]) > 1)
      return "lcore " + std::to_string(config.lcores[i]) + " is listed twice";
  }
  // Memory: 2 streams per session, 2 directions per stream, 128 bytes per direction and lcore.
  if (config.maxSessions < 1 || config.maxSessions > (1u << 22))
    return "max_sessions must be 1-" + std::to_string(1u << 22);
  if (config.mbufsPerLcore < 1023) return "at least 1023 mbufs per lcore";
  if (config.rxDescriptors < 32 || config.txDescriptors < 32)
    return "at least 32 RX and TX descriptors";
  return {};
}

}  // namespace sbc::dpdk

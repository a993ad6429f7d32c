#include "tools/sbcd/relay_config.h"

namespace sbc::sbcd {

std::string relayConfigFrom(const config::Config& config, dpdk::RelayConfig& out) {
  const config::MediaPlaneSettings& m = config.mediaPlane;
  out = dpdk::RelayConfig{};
  out.eal = m.eal;
  out.lcores = m.lcores;
  out.strictSource = m.strictSource;
  out.mediaTimeout = m.mediaTimeout;
  out.maxSessions = m.maxSessions;
  for (const config::MediaInterface& i : m.interfaces) {
    const topology::Realm* realm = config.realm(i.realm);
    if (!realm || !realm->media)
      return "media interface for realm '" + i.realm + "': the realm has no media range";
    dpdk::RelayConfig::Interface itf;
    itf.realm = i.realm;
    itf.device = i.device;
    itf.prefixLength = i.prefixLength;
    std::optional<mediaplane::IpAddress> address =
        mediaplane::IpAddress::parse(realm->media->address);
    if (!address)
      return "realm '" + i.realm + "': media address '" + realm->media->address + "' is not an IP";
    itf.address = *address;
    if (!i.gateway.empty()) {
      itf.gateway = mediaplane::IpAddress::parse(i.gateway);
      if (!itf.gateway)
        return "media interface '" + i.realm + "': gateway '" + i.gateway + "' is not an IP";
    }
    if (!i.mac.empty()) {
      itf.mac = net::parseMac(i.mac);
      if (!itf.mac) return "media interface '" + i.realm + "': bad MAC '" + i.mac + "'";
    }
    out.interfaces.push_back(std::move(itf));
  }
  return dpdk::validateConfig(out);
}

}  // namespace sbc::sbcd

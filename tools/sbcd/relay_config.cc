#include "tools/sbcd/relay_config.h"

#include <cstdio>

namespace sbc::sbcd {
namespace {

bool parseMac(const std::string& text, std::array<uint8_t, 6>& mac) {
  unsigned b[6];
  char tail;
  if (std::sscanf(text.c_str(), "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
                  &tail) != 6) {
    return false;
  }
  for (size_t i = 0; i < 6; ++i) {
    if (b[i] > 255) return false;
    mac[i] = static_cast<uint8_t>(b[i]);
  }
  return true;
}

}  // namespace

std::string relayConfigFrom(const topology::Config& config, dpdk::RelayConfig& out) {
  const topology::MediaPlaneSettings& m = config.mediaPlane;
  out = dpdk::RelayConfig{};
  out.eal = m.eal;
  out.lcores = m.lcores;
  out.strictSource = m.strictSource;
  out.mediaTimeout = m.mediaTimeout;
  out.maxSessions = m.maxSessions;
  for (const topology::MediaInterface& i : m.interfaces) {
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
      std::array<uint8_t, 6> mac{};
      if (!parseMac(i.mac, mac))
        return "media interface '" + i.realm + "': bad MAC '" + i.mac + "'";
      itf.mac = mac;
    }
    out.interfaces.push_back(std::move(itf));
  }
  return dpdk::validateConfig(out);
}

}  // namespace sbc::sbcd

#include "mediaplane/api/address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>

namespace sbc::net {

IpAddress IpAddress::v4(uint32_t hostOrder) {
  IpAddress a;
  a.family = 4;
  uint32_t n = htonl(hostOrder);
  std::memcpy(a.bytes.data(), &n, 4);
  return a;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  std::string s(text);
  IpAddress a;
  if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) {
    a.family = 4;
    return a;
  }
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) {
    a.family = 6;
    return a;
  }
  return std::nullopt;
}

std::optional<IpAddress> IpAddress::parseHost(std::string_view text) {
  std::string_view inner = stripBrackets(text);
  std::optional<IpAddress> a = parse(inner);
  // Brackets belong to IPv6 only: "[192.0.2.1]" is not an address.
  if (a && inner.size() != text.size() && a->family != 6) return std::nullopt;
  return a;
}

uint32_t IpAddress::v4HostOrder() const {
  uint32_t n;
  std::memcpy(&n, bytes.data(), 4);
  return ntohl(n);
}

std::string IpAddress::toString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(family == 6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof(buf));
  return scope == 0 ? std::string(buf) : std::string(buf) + "%" + std::to_string(scope);
}

std::string IpAddress::uriHost() const {
  return family == 6 ? "[" + toString() + "]" : toString();
}

bool IpAddress::isUnspecified() const {
  size_t n = family == 6 ? 16 : 4;
  return std::all_of(bytes.begin(), bytes.begin() + n, [](uint8_t b) { return b == 0; });
}

bool IpAddress::inSubnet(const IpAddress& network, uint8_t prefixLength) const {
  if (family != network.family) return false;
  size_t bits = std::min<size_t>(prefixLength, family == 6 ? 128 : 32);
  for (size_t bit = 0; bit < bits; ++bit) {
    uint8_t mask = static_cast<uint8_t>(0x80 >> (bit % 8));
    if ((bytes[bit / 8] & mask) != (network.bytes[bit / 8] & mask)) return false;
  }
  return true;
}

std::string SocketAddress::toString() const {
  return ip.uriHost() + ":" + std::to_string(port);
}

std::string toString(const MacAddress& m) {
  char buf[18];
  std::snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
                m[5]);
  return buf;
}

std::optional<MacAddress> parseMac(std::string_view text) {
  MacAddress mac{};
  if (text.size() != 17) return std::nullopt;
  for (size_t i = 0; i < 6; ++i) {
    if (i > 0 && text[3 * i - 1] != ':') return std::nullopt;
    auto [end, ec] = std::from_chars(text.data() + 3 * i, text.data() + 3 * i + 2, mac[i], 16);
    if (ec != std::errc() || end != text.data() + 3 * i + 2) return std::nullopt;
  }
  return mac;
}

bool isUnicast(const MacAddress& mac) {
  return (mac[0] & 1) == 0 && std::any_of(mac.begin(), mac.end(), [](uint8_t b) { return b != 0; });
}

std::string_view stripBrackets(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    return host.substr(1, host.size() - 2);
  return host;
}

std::string bracketHost(std::string_view host) {
  if (host.find(':') != std::string_view::npos && (host.empty() || host.front() != '['))
    return "[" + std::string(host) + "]";
  return std::string(host);
}

std::string hostPort(std::string_view host, uint16_t port) {
  return bracketHost(host) + ":" + std::to_string(port);
}

}  // namespace sbc::net

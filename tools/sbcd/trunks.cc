#include "tools/sbcd/trunks.h"

#include <spdlog/spdlog.h>

#include <netdb.h>

#include <cstring>
#include <optional>

namespace sbc::sbcd {

namespace {

std::optional<net::IpAddress> resolve(const std::string& host) {
  if (auto literal = net::IpAddress::parseHost(host)) return literal;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0 || !res) return std::nullopt;
  std::optional<net::IpAddress> out;
  if (res->ai_family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(res->ai_addr);
    out = net::IpAddress::v4(ntohl(in->sin_addr.s_addr));
  } else if (res->ai_family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(res->ai_addr);
    net::IpAddress a;
    a.family = 6;
    std::memcpy(a.bytes.data(), in6->sin6_addr.s6_addr, 16);
    out = a;
  }
  freeaddrinfo(res);
  return out;
}

}  // namespace

TrunkAddresses resolveTrunks(const std::vector<topology::Route>& routes) {
  TrunkAddresses out;
  for (const topology::Route& r : routes) {
    if (r.action != topology::Route::Action::kForward || out.count(r.trunk.host)) continue;
    if (auto addr = resolve(r.trunk.host)) {
      out.emplace(r.trunk.host, *addr);
    } else {
      spdlog::error("event=trunk_unresolved route={} host={} note=\"calls on this route get 503\"",
                    r.name, r.trunk.host);
    }
  }
  return out;
}

}  // namespace sbc::sbcd

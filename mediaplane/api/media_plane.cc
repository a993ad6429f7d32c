#include "mediaplane/api/media_plane.h"

#include <arpa/inet.h>

#include <cstring>

namespace sbc::mediaplane {

IpAddress IpAddress::v4(uint32_t hostOrder) {
  IpAddress a;
  a.family = 4;
  uint32_t n = htonl(hostOrder);
  std::memcpy(a.bytes.data(), &n, 4);
  return a;
}

std::optional<IpAddress> IpAddress::parse(const std::string& text) {
  IpAddress a;
  if (inet_pton(AF_INET, text.c_str(), a.bytes.data()) == 1) {
    a.family = 4;
    return a;
  }
  if (inet_pton(AF_INET6, text.c_str(), a.bytes.data()) == 1) {
    a.family = 6;
    return a;
  }
  return std::nullopt;
}

uint32_t IpAddress::v4HostOrder() const {
  uint32_t n;
  std::memcpy(&n, bytes.data(), 4);
  return ntohl(n);
}

std::string IpAddress::toString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(family == 6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof(buf));
  return buf;
}

bool IpAddress::isUnspecified() const {
  size_t n = family == 6 ? 16 : 4;
  for (size_t i = 0; i < n; ++i) {
    if (bytes[i]) return false;
  }
  return true;
}

std::string SocketAddress::toString() const {
  return (ip.family == 6 ? "[" + ip.toString() + "]" : ip.toString()) + ":" + std::to_string(port);
}

std::string_view dropReasonName(DropReason r) {
  switch (r) {
    case DropReason::kMalformed:
      return "malformed";
    case DropReason::kNoSession:
      return "no_session";
    case DropReason::kUnexpectedSource:
      return "unexpected_source";
    case DropReason::kNoRoute:
      return "no_route";
    case DropReason::kTxFull:
      return "tx_full";
    case DropReason::kCount:
      break;
  }
  return "?";
}

}  // namespace sbc::mediaplane

#pragma once

// The project's one IP address type, as plain data (no sockets, no Boost), and the one place
// that knows about IPv6 brackets and MAC address text. Every area may include it; Boost.Asio
// addresses appear only inside signaling/transport, where sockets are.

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sbc::net {

struct IpAddress {
  uint8_t family = 4;               // 4 or 6
  std::array<uint8_t, 16> bytes{};  // network order; IPv4 in the first four
  // The IPv6 zone of a link-local peer (the interface index a socket reported); 0 = none.
  // Kept so that an answer to such a peer leaves on the interface the request came in on.
  uint32_t scope = 0;

  static IpAddress v4(uint32_t hostOrder);
  // A bare IPv4 or IPv6 literal, as in SDP c= or a YAML address ("2001:db8::1"): brackets
  // are refused, because neither grammar allows them.
  static std::optional<IpAddress> parse(std::string_view text);
  // A URI or Via host: an IPv4 literal, or an IPv6 reference in brackets ("[2001:db8::1]");
  // a bare IPv6 literal is accepted too, since operators write it that way in config.
  static std::optional<IpAddress> parseHost(std::string_view text);
  uint32_t v4HostOrder() const;  // for family 4
  std::string toString() const;  // without brackets; "%<zone>" when scoped
  std::string uriHost() const;   // as a URI host: IPv6 in brackets
  bool isUnspecified() const;    // 0.0.0.0 or ::
  // Same family and the same first `prefixLength` bits as `network`.
  bool inSubnet(const IpAddress& network, uint8_t prefixLength) const;
  auto operator<=>(const IpAddress&) const = default;
};

struct SocketAddress {
  IpAddress ip;
  uint16_t port = 0;             // 0: unknown
  std::string toString() const;  // "192.0.2.1:5060", "[2001:db8::1]:5060"
  auto operator<=>(const SocketAddress&) const = default;
};

using MacAddress = std::array<uint8_t, 6>;

// "02:00:5e:00:53:01" (six hex bytes, colons); nullopt for anything else.
std::optional<MacAddress> parseMac(std::string_view text);
// "02:00:5e:00:53:0a": lower-case hex, the form parseMac() reads.
std::string toString(const MacAddress& mac);
// Neither a group (multicast/broadcast) address nor all zeroes.
bool isUnicast(const MacAddress& mac);

// "[2001:db8::1]" -> "2001:db8::1"; anything else unchanged.
std::string_view stripBrackets(std::string_view host);
// A host as it goes into a URI or "host:port": an IPv6 literal (a ':' and no '[') in
// brackets, anything else unchanged.
std::string bracketHost(std::string_view host);
// "host:port" with bracketHost(host).
std::string hostPort(std::string_view host, uint16_t port);

}  // namespace sbc::net

#pragma once

// A realm (one side of the SBC) as plain data: where it listens, its media range, what of
// the other side may reach it (identity headers, header whitelist/blacklist and rules) and
// its limits. The config loader (config/) fills it; docs/CONFIG.md documents every key.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sbc::topology {

enum class Transport : uint8_t { kUdp, kTcp };

std::string_view transportName(Transport t);  // "udp", "tcp"

struct Listen {
  Transport transport = Transport::kUdp;
  std::string address;  // an IPv4 or IPv6 literal
  uint16_t port = 5060;
};

// What happens to an identifying header (User-Agent, Server, Organization, ...) on a
// message sent into a realm. kReplace rewrites the value only where the header is present.
enum class HeaderPolicy : uint8_t { kStrip, kReplace, kKeep };

struct IdentityHeader {
  std::string name;
  HeaderPolicy policy = HeaderPolicy::kStrip;
  std::string value;  // for kReplace (the loader fills in sip.user_agent when omitted)
};

struct HeaderRule {
  enum class Action : uint8_t { kAdd, kRemove, kReplace };
  Action action = Action::kAdd;
  std::string header;
  std::string value;  // kAdd / kReplace: literal text (kReplace edits only a present header)
};

// The headers that cross into a realm when it says nothing (docs/CONFIG.md lists them).
std::vector<std::string> defaultHeaderWhitelist();

// Which headers of the other leg's message may cross into this realm, and the edits
// applied to every message the SBC sends into it.
struct HeaderRules {
  enum class Mode : uint8_t { kWhitelist, kBlacklist };
  Mode mode = Mode::kWhitelist;
  // whitelist: only these cross; blacklist: all but these. Defaults to the safe whitelist,
  // so a default HeaderRules is the policy of a realm that says nothing; set names too
  // when switching to kBlacklist.
  std::vector<std::string> names = defaultHeaderWhitelist();
  std::vector<HeaderRule> rules;  // in order
};

struct MediaRange {
  std::string address;
  uint16_t portMin = 0;
  uint16_t portMax = 0;
};

struct RealmLimits {
  // Concurrent calls from this realm; 0 = no realm limit (sip.max_calls still applies).
  // Half the global default: one realm alone cannot fill the SBC.
  uint32_t maxCalls = 10000;
  uint32_t tcpMaxConnections = 1024;  // inbound TCP connections
  std::chrono::seconds tcpIdleTimeout{300};
  std::chrono::seconds tcpHeaderTimeout{10};  // a started message must complete by then
};

struct Realm {
  std::string name;
  std::vector<Listen> listen;
  // Address put in our Via/Contact/SDP o= for this realm; defaults to the first listen
  // address (set when the SBC sits behind a static NAT).
  std::string advertisedAddress;
  std::optional<MediaRange> media;  // for the media plane (later)
  // After loading: User-Agent, Server and Organization plus whatever the realm names. Code
  // that builds a Realm by hand may leave it empty: those three are stripped unless listed.
  std::vector<IdentityHeader> identityHeaders;
  HeaderRules headers;
  RealmLimits limits;
};

}  // namespace sbc::topology

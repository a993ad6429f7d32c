#pragma once

// The SBC's configuration as plain data: realms (the sides of the SBC), routes, and SIP
// settings. Loaded from YAML by parseConfig() / loadConfigFile(); docs/CONFIG.md documents
// every key. After a successful load every default below has been filled in (advertised
// address, identity policies, reject reasons), so users read values, never guess them.

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <regex>
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
  uint32_t maxCalls = 0;              // concurrent calls from this realm, 0 = unlimited
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

// Every non-empty criterion must hold (AND); an empty RouteMatch matches every request.
struct RouteMatch {
  std::string sourceRealm;           // empty: any
  std::vector<std::string> methods;  // request method is one of these (case-sensitive); empty: any
  // The Request-URI user below is %-decoded before it is compared.
  std::string userPrefix;               // Request-URI user starts with this; empty: any
  std::optional<std::regex> userRegex;  // regex_search on the Request-URI user ($1..$9)
  std::string userRegexText;
  std::string toDomain;    // To URI host equals (case-insensitive); empty: any
  std::string fromDomain;  // From URI host equals; empty: any
};

struct Trunk {
  std::string realm;  // the realm the trunk is in (sends from its listener)
  std::string host;   // IP literal or hostname
  uint16_t port = 5060;
  Transport transport = Transport::kUdp;
};

// Rewrites applied to the outbound request; each is a template over $1..$9 (captures of
// userRegex), $user (the inbound Request-URI user, %-decoded), $$ (a literal $) and the
// literal text around them. route_table.h builds the outbound URIs from them.
struct Rewrites {
  std::optional<std::string> requestUriUser;
  std::optional<std::string> requestUriHost;  // default: the trunk host
  std::optional<std::string> fromUser;
  std::optional<std::string> fromHost;  // default: the outbound realm's advertised address
  std::optional<std::string> toUser;
  std::optional<std::string> toHost;  // default: the trunk host
};

struct Route {
  std::string name;
  RouteMatch match;
  enum class Action : uint8_t { kForward, kReject };
  Action action = Action::kForward;
  Trunk trunk;               // kForward
  Rewrites rewrites;         // kForward
  int rejectCode = 403;      // kReject
  std::string rejectReason;  // the loader fills in the standard phrase when omitted
  enum class Media : uint8_t { kAnchor, kBypass };
  Media media = Media::kAnchor;  // the default: the SBC anchors the media of every call
};

struct SipSettings {
  std::chrono::milliseconds t1{500};
  std::chrono::milliseconds t2{4000};
  std::chrono::milliseconds t4{5000};
  uint32_t maxForwards = 70;  // for requests the SBC originates
  std::chrono::seconds noAnswerTimeout{180};
  // Final failure responses from the outbound leg mapped before they are sent inbound
  // (e.g. 503 -> 480); codes not listed pass unchanged.
  std::map<int, int> responseMap;
  std::string userAgent = "sbc";  // our User-Agent/Server when a realm's policy replaces
};

struct LogSettings {
  std::string level = "info";  // trace, debug, info, warn, error
};

// A DPDK port that carries one realm's media address.
struct MediaInterface {
  std::string realm;
  // A PCI address ("0000:03:00.0") or a virtual device ("net_af_packet0,iface=veth-media").
  std::string device;
  uint8_t prefixLength = 24;  // the subnet of the realm's media address
  std::string gateway;        // next hop for peers outside that subnet; empty: on-link only
  std::string mac;            // overrides the device's MAC; empty: the device's
};

// The DPDK media relay. Absent (enabled == false): media can only be bypassed.
struct MediaPlaneSettings {
  bool enabled = false;
  std::vector<std::string> eal;  // EAL arguments, e.g. [--no-huge, -m, "512", --file-prefix, sbc]
  std::vector<unsigned> lcores;  // worker lcores that relay packets (signaling keeps the main one)
  std::vector<MediaInterface> interfaces;
  bool strictSource = false;  // accept only signaled sources instead of latching (symmetric RTP)
  std::chrono::seconds mediaTimeout{60};  // no packets for this long: a media timeout event
  std::chrono::milliseconds portQuarantine{10000};
  uint32_t maxSessions = 131072;  // sizes the stream table (two directions per stream)
};

// The Prometheus endpoint. Absent (enabled == false): no metrics listener.
struct MetricsSettings {
  bool enabled = false;
  std::string address = "127.0.0.1";  // loopback unless the operator opens it
  uint16_t port = 9464;               // the port registered for OpenMetrics exporters
  std::string username;               // basic auth when both are set
  std::string password;
};

struct Config {
  std::vector<Realm> realms;
  std::vector<Route> routes;
  SipSettings sip;
  LogSettings log;
  MediaPlaneSettings mediaPlane;
  MetricsSettings metrics;

  const Realm* realm(std::string_view name) const;
};

struct ConfigError {
  int line = 0;  // 1-based; 0 when not tied to a line
  int column = 0;
  std::string message;
  std::string toString() const;  // "line 12, column 5: ..."
};

struct LoadResult {
  std::optional<Config> config;
  std::vector<ConfigError> errors;  // every problem found, in file order
  bool ok() const { return config.has_value() && errors.empty(); }
};

LoadResult loadConfigFile(const std::string& path);
LoadResult parseConfig(std::string_view yamlText);

}  // namespace sbc::topology

#pragma once

// A realm (one side of the SBC) as plain data: where it listens, its media range, what of
// the other side may reach it (identity headers, header whitelist/blacklist and rules) and
// its limits. The config loader (config/) fills it; docs/CONFIG.md documents every key.

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mediaplane/api/media_plane.h"

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

// What of an SDP's description of its sender a realm sees (topology_hiding.sdp_identity).
// kHide: s= becomes "-", i= u= e= p= and a=tool go, and the RTCP CNAME of a=ssrc becomes
// one the SBC chose for the leg (b2bua/sdp_privacy.h); kKeep: they cross unchanged.
enum class SdpIdentity : uint8_t { kHide, kKeep };

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

// SRTP (SDES, RFC 4568) on the legs of a realm whose media the SBC anchors.
enum class SrtpMode : uint8_t {
  kOff,       // plain RTP/AVP only: SRTP offers from the realm are refused (488)
  kOptional,  // either; offers into the realm mirror the other leg
  kRequired,  // RTP/SAVP with a usable a=crypto only: plain offers are refused (488)
};

std::string_view srtpModeName(SrtpMode m);  // "off", "optional", "required"

struct RealmSrtp {
  SrtpMode mode = SrtpMode::kOptional;
  // The suites accepted from and offered into the realm, in preference order.
  std::vector<mediaplane::SrtpSuite> suites = {
      mediaplane::SrtpSuite::kAesCm128HmacSha1_80, mediaplane::SrtpSuite::kAesCm128HmacSha1_32,
      mediaplane::SrtpSuite::kAeadAes128Gcm, mediaplane::SrtpSuite::kAeadAes256Gcm};
};

// Codec policy (docs/CONFIG.md, "Codecs"): what may be used on the legs of a realm. Offers
// crossing the SBC keep only the formats both legs' realms allow and neither strips, in the
// order the receiving realm prefers. Names are SDP encoding names (canonical spelling,
// compared without case); empty lists: no rule.
struct RealmCodecs {
  std::vector<std::string> allow;  // in preference order; empty: every codec is allowed
  std::vector<std::string> strip;  // removed from every offer into or out of the realm
};

// The encoding names a codec policy may list: the codecs the SBC transcodes, the helpers
// that ride with them (telephone-event, CN, red) and common pass-through codecs. The
// canonical spelling of `name` (any case), or nullopt.
std::span<const std::string_view> knownCodecNames();
std::optional<std::string_view> canonicalCodecName(std::string_view name);
// telephone-event, CN and red (any case): formats that carry no audio of their own, so a
// stream or a codec list of only these has no codec.
bool carriesNoAudio(std::string_view codecName);

struct MediaRange {
  std::string address;
  uint16_t portMin = 0;
  uint16_t portMax = 0;
  RealmSrtp srtp;
  RealmCodecs codecs;
};

struct RealmLimits {
  // Concurrent calls from this realm; 0 = no realm limit (sip.max_calls still applies).
  // Half the global default: one realm alone cannot fill the SBC.
  uint32_t maxCalls = 10000;
  uint32_t tcpMaxConnections = 1024;          // inbound TCP connections
  uint32_t tcpMaxConnectionsPerSource = 64;   // inbound TCP connections from one IP address
  uint32_t tcpMaxOutboundConnections = 1024;  // TCP connections the SBC opens into the realm
  uint32_t tcpMaxQueuedBytes = 262144;        // unsent bytes per TCP connection: over, close
  std::chrono::seconds tcpIdleTimeout{300};
  std::chrono::seconds tcpHeaderTimeout{10};  // a started message must complete by then
};

// How far the SBC believes a realm's peers (issue 14, defect 10). Untrusted (the access
// side, the default): in-dialog requests go back over the flow the dialog came in on, the
// peer's Record-Route/Contact hosts steer nothing, and in-dialog requests from any other
// source are refused. Trusted (a carrier trunk, a core proxy): RFC 3261 route sets and
// remote targets.
enum class Trust : uint8_t { kUntrusted, kTrusted };

// The body types that cross into a realm besides SDP (which always crosses, anchored),
// when the realm says nothing: what in-dialog DTMF needs (docs/CONFIG.md).
std::vector<std::string> defaultBodyTypes();

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
  SdpIdentity sdpIdentity = SdpIdentity::kHide;
  HeaderRules headers;
  RealmLimits limits;
  Trust trust = Trust::kUntrusted;
  // Content types ("type/subtype", compared without case) of body parts that may cross
  // into this realm; other parts are removed, SDP always crosses.
  std::vector<std::string> bodies = defaultBodyTypes();
};

}  // namespace sbc::topology

#pragma once

// The daemon's configuration as plain data: realms and routes (topology/), SIP, log, media
// plane and metrics settings. Loaded from YAML by parseConfig() / loadConfigFile()
// (config/loader.h); docs/CONFIG.md documents every key. After a successful load every
// default has been filled in (advertised address, identity policies, reject reasons), so
// users read values, never guess them.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "config/overload.h"
#include "mediaplane/relay_settings.h"
#include "topology/realm.h"
#include "topology/route.h"

namespace sbc::config {

struct SipSettings {
  std::chrono::milliseconds t1{500};
  std::chrono::milliseconds t2{4000};
  std::chrono::milliseconds t4{5000};
  uint32_t maxForwards = 70;  // for requests the SBC originates
  std::chrono::seconds noAnswerTimeout{180};
  // Timer C (RFC 3261 §16.6 step 11): leg B silent this long after the INVITE or its last
  // provisional is cancelled (408 to the caller). The RFC asks for more than 3 minutes.
  std::chrono::seconds timerC{185};
  // The B2BUA's tables (503 with Retry-After when full) and m= lines per SDP (488).
  uint32_t maxCalls = 20000;
  uint32_t maxDialogs = 40000;
  uint32_t maxMediaLines = 8;
  // Final failure responses from the outbound leg mapped before they are sent inbound
  // (e.g. 503 -> 480); codes not listed pass unchanged.
  std::map<int, int> responseMap;
  std::string userAgent = "sbc";  // our User-Agent/Server when a realm's policy replaces
  // Caps on the transaction tables (transaction::Limits has the sizing).
  uint32_t maxServerTransactions = 100000;
  uint32_t maxClientTransactions = 100000;
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
  mediaplane::Latching latching = mediaplane::Latching::kLearning;  // when not strict
  std::chrono::milliseconds latchHandover{2000};  // a latched source silent this long is replaced
  std::chrono::seconds mediaTimeout{60};          // no packets for this long: a media timeout event
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
  std::vector<topology::Realm> realms;
  std::vector<topology::Route> routes;
  SipSettings sip;
  LogSettings log;
  MediaPlaneSettings mediaPlane;
  MetricsSettings metrics;
  OverloadSettings overload;

  const topology::Realm* realm(std::string_view name) const;
};

// The relay's settings from the media_plane section and each interface's realm media
// address (mediaplane::validate() checks them; the loader already has for a loaded Config).
mediaplane::RelaySettings relaySettingsOf(const Config& config);

}  // namespace sbc::config

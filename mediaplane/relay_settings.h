#pragma once

// The media relay's settings as plain data (no DPDK, no YAML) and the one validator of
// them. The config loader fills them and reports validate()'s problems at the line of the
// offending key (so `sbcd --check-config` sees them); the DPDK relay (dpdk::validateConfig)
// runs the same validate() before it starts.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mediaplane/api/address.h"

namespace sbc::mediaplane {

inline constexpr size_t kMaxInterfaces = 16;
inline constexpr size_t kMaxAddresses = 16;  // media addresses per interface, the first included
inline constexpr uint32_t kMaxSessions = 1u << 22;

// A DPDK port that carries one realm's media address.
struct RelayInterface {
  std::string realm;
  // A PCI address ("0000:03:00.0"), a vdev spec ("net_af_packet0,iface=veth1"), or the
  // name of a port that already exists (from --vdev, or made by the application).
  std::string device;
  net::IpAddress address;     // the realm's media address: the relay answers ARP/ping
  uint8_t prefixLength = 24;  // on-link peers are resolved directly, others via gateway
  std::optional<net::IpAddress> gateway;
  std::optional<net::MacAddress> mac;  // overrides the device's address
  // More media addresses on the same link (more ports, for more sessions): each is
  // answered for like `address`; `address` stays the source of the relay's ARP requests.
  std::vector<net::IpAddress> extraAddresses;
  // Next hops with a fixed MAC: never resolved, never expired (a gateway that must not be
  // ARPed for, a lab peer that cannot answer).
  struct StaticNeighbour {
    net::IpAddress ip;
    net::MacAddress mac{};
  };
  std::vector<StaticNeighbour> staticNeighbours;
};

// How a peer's real source is learned when sessions latch (not strict): see dpdk/README.md,
// "Latching".
enum class Latching : uint8_t {
  kLearning,            // hand over from a silent source; a public signaled IP must match
  kLearningAnyAddress,  // kLearning, from any address (peers that send from another IP)
  kFirst,               // the first source holds until the signaled one takes over
};

struct RelaySettings {
  // EAL arguments without argv[0] (e.g. --no-huge -m 1024 --no-pci --file-prefix sbc -l 0,1).
  std::vector<std::string> eal;
  // Worker lcores (never the main one: that is the caller's control thread).
  std::vector<unsigned> lcores;
  std::vector<RelayInterface> interfaces;
  bool strictSource = false;  // every session kStrict, whatever its SessionSpec says
  Latching latching = Latching::kLearning;
  // Silence after which a confirmed latched source is handed over to a new one; 0: never.
  std::chrono::milliseconds latchHandover{2000};
  std::chrono::seconds mediaTimeout{60};  // 0: no timeout events
  std::chrono::milliseconds portQuarantine{10000};
  uint32_t maxSessions = 131072;  // also sizes the stream table (see dpdk/README.md)
};

// One thing wrong with RelaySettings, and where: the interface (by index), the key, and the
// list item it is about, so that the config loader can point at that key's line. The
// message names the key as the YAML does ("gateway 10.0.1.1 is outside ..."), and
// describe() puts the owner before it, so the operator reads the same words from
// `sbcd --check-config` and from a relay that refuses to start.
struct Problem {
  enum class Key : uint8_t {
    kInterfaces,  // the list itself (empty, too long)
    kLcores,
    kMaxSessions,
    kRealm,
    kDevice,
    kAddress,  // the realm's media address
    kPrefixLength,
    kGateway,
    kMac,
    kExtraAddresses,
    kStaticNeighbours,
  };
  std::optional<size_t> interface;  // index into RelaySettings::interfaces
  Key key = Key::kInterfaces;
  std::optional<size_t> item;  // index into the key's list (lcores), if it is about one entry
  std::string message;
};

// Every problem found, in the order of the settings; empty when the relay can start.
std::vector<Problem> validate(const RelaySettings& settings);

// "media_plane: <message>" or "media_plane interface 'access': <message>".
std::string describe(const Problem& problem, const RelaySettings& settings);
// The owner describe() names: "media_plane", "media_plane interface 'access'", or by
// position ("media_plane interface #2") when the interface has no realm.
std::string ownerOf(const Problem& problem, const RelaySettings& settings);

}  // namespace sbc::mediaplane

#pragma once

// Frame checks and rewrites on plain bytes: no mbuf and no EAL, so that unit tests drive
// them with arrays. Addresses and ports stay in network order (rte_be*_t) from the wire to
// the forwarding target and back, so the fast path never swaps bytes to compare them.

#include <rte_byteorder.h>
#include <rte_ether.h>

#include <cstddef>
#include <cstdint>
#include <span>

namespace sbc::dpdk {

inline constexpr uint16_t kEthernetHeader = 14;
inline constexpr uint16_t kIpv4Header = 20;
inline constexpr uint16_t kUdpHeader = 8;
inline constexpr uint16_t kRtpHeader = 12;
inline constexpr uint16_t kRtcpHeader = 8;  // header and sender SSRC
// The relay re-originates each datagram as a host does, so the TTL starts afresh.
inline constexpr uint8_t kTtl = 64;

// What the NIC's RX offload said about a checksum, when it said anything.
enum class ChecksumHint : uint8_t { kUnknown, kGood, kBad };

struct RxHints {
  ChecksumHint ip = ChecksumHint::kUnknown;
  ChecksumHint l4 = ChecksumHint::kUnknown;
};

enum class FrameKind : uint8_t {
  kUdp,        // IPv4/UDP to the interface's address: looked up in the stream table
  kArp,        // checked further by parseArp()
  kIcmpEcho,   // an echo request to the interface's address
  kIgnored,    // well-formed but not for the relay (other address, protocol or family)
  kMalformed,  // broken headers or lengths, fragments, TTL 0, bad checksums
};

struct FrameView {
  FrameKind kind = FrameKind::kMalformed;
  uint16_t ipHeaderLength = 0;  // IHL * 4 (options are stripped before relaying)
  uint16_t frameLength = 0;     // Ethernet header + IPv4 total length; more is padding
  uint16_t payloadOffset = 0;   // of the UDP payload (or of the ICMP message)
  uint16_t payloadLength = 0;
  rte_be32_t srcIp = 0;
  rte_be32_t dstIp = 0;
  rte_be16_t srcPort = 0;
  rte_be16_t dstPort = 0;
};

// Checks one contiguous frame received on an interface whose media addresses are `local`
// (usually one). The address-family switch is here: IPv6 (and ND) would be one more branch.
FrameView classifyFrame(const uint8_t* frame, uint32_t length, std::span<const rte_be32_t> local,
                        RxHints hints = {});

// What kind of local port a datagram arrived on, and so how its payload is read.
enum class PortKind : uint8_t {
  kRtp,   // RTP only
  kRtcp,  // RTCP only (RTP port + 1)
  kMux,   // RTP and RTCP (RFC 5761)
};

enum class PayloadKind : uint8_t { kRtp, kRtcp, kInvalid };

// RTP needs version 2 and a whole fixed header; RTCP version 2, a packet type in 192-223
// (RFC 5761 section 4, which also tells them apart on a muxed port) and its first 8 bytes.
// Each is invalid on the other's port.
PayloadKind classifyPayload(const uint8_t* payload, uint16_t length, PortKind port);

struct Rewrite {
  rte_ether_addr srcMac;
  rte_ether_addr dstMac;
  rte_be32_t srcIp = 0;
  rte_be32_t dstIp = 0;
  rte_be16_t srcPort = 0;
  rte_be16_t dstPort = 0;
};

// Rewrites an IPv4/UDP frame whose IPv4 header has no options: MACs, addresses, ports and
// TTL. The IPv4 checksum is computed here, or left 0 for the NIC when `ipChecksumOffload`.
// The UDP checksum is updated incrementally (RFC 1624) rather than recomputed, in hardware
// or software: it costs a few additions, and a datagram corrupted on the way in stays
// detectably corrupted on the way out. A checksum of 0 (none, RFC 768) stays 0.
void rewriteUdp(uint8_t* frame, const Rewrite& r, bool ipChecksumOffload);

// IPv4 options are the other realm's per-hop data (record route, timestamps): they are
// dropped by moving the Ethernet and fixed IPv4 headers over them. Returns how many bytes
// later the frame now starts; the total length and the checksum are for the caller to fix.
uint16_t stripIpOptions(uint8_t* frame, uint16_t ipHeaderLength);

// Turns an echo request (classified kIcmpEcho, options stripped) into its reply in place.
void makeEchoReply(uint8_t* frame, const rte_ether_addr& ourMac);

// One's-complement arithmetic (RFC 1071). Words are read in memory order, so sums and
// checksums are in network order as stored in headers.
uint32_t checksumAdd(uint32_t sum, const uint8_t* data, size_t length);
uint16_t checksumFold(uint32_t sum);  // folded and complemented: the value to store
// RFC 1624 eqn. 3: `checksum` after the 16-bit words `before` became `after`.
uint16_t checksumAdjust(uint16_t checksum, const uint16_t* before, const uint16_t* after,
                        size_t words);

}  // namespace sbc::dpdk

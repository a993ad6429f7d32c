#pragma once

// Frame checks and rewrites on plain bytes: no mbuf and no EAL, so that unit tests drive
// them with arrays. Addresses and ports stay in network order (rte_be*_t) from the wire to
// the forwarding target and back, so the fast path never swaps bytes to compare them.

#include <netinet/in.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

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
  uint8_t localAddress = 0;  // index of dstIp in the interface's media addresses
};

// Checks one contiguous frame received on an interface whose media addresses are `local`
// (usually one). The address-family switch is here: IPv6 (and ND) would be one more branch.
inline FrameView classifyFrame(const uint8_t* frame, uint32_t length,
                               std::span<const rte_be32_t> local, RxHints hints = {});

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
inline PayloadKind classifyPayload(const uint8_t* payload, uint16_t length, PortKind port);

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
inline void rewriteUdp(uint8_t* frame, const Rewrite& r, bool ipChecksumOffload);

// IPv4 options are the other realm's per-hop data (record route, timestamps): they are
// dropped by moving the Ethernet and fixed IPv4 headers over them. Returns how many bytes
// later the frame now starts; the total length and the checksum are for the caller to fix.
uint16_t stripIpOptions(uint8_t* frame, uint16_t ipHeaderLength);

// Turns an echo request (classified kIcmpEcho, options stripped) into its reply in place.
void makeEchoReply(uint8_t* frame, const rte_ether_addr& ourMac);

// One's-complement arithmetic (RFC 1071). Words are read in memory order, so sums and
// checksums are in network order as stored in headers.
inline uint32_t checksumAdd(uint32_t sum, const uint8_t* data, size_t length);
inline uint16_t checksumFold(uint32_t sum);  // folded and complemented: the value to store
// RFC 1624 eqn. 3: `checksum` after the 16-bit words `before` became `after`.
inline uint16_t checksumAdjust(uint16_t checksum, const uint16_t* before, const uint16_t* after,
                               size_t words);

// ---------------------------------------------------------------------------------------
// The per-packet functions are defined here, inline, so that the worker loop (lcore.cc)
// compiles them into itself: a call per packet across translation units costs more than
// the work in most of them.

namespace detail {
// Headers sit at any even offset in a buffer: loads and stores go through memcpy.
inline uint16_t load16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

inline uint32_t load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

inline void store16(uint8_t* p, uint16_t v) {
  std::memcpy(p, &v, sizeof(v));
}

inline void store32(uint8_t* p, uint32_t v) {
  std::memcpy(p, &v, sizeof(v));
}

inline uint16_t loadHost16(const uint8_t* p) {
  return rte_be_to_cpu_16(load16(p));
}

// Sources a reply could never go back to, or that never arrive from a wire.
inline bool isUnicastSource(rte_be32_t ip) {
  uint32_t h = rte_be_to_cpu_32(ip);
  return h != 0 && h != 0xffffffff && (h >> 28) != 0xe && (h >> 24) != 127;
}

}  // namespace detail

inline uint32_t checksumAdd(uint32_t sum, const uint8_t* data, size_t length) {
  // RFC 1071: a one's-complement sum does not care how wide its words are, nor where the
  // carries are added back, as long as they all are once folded. SRTP sums every payload it
  // changes, twice a packet, so the sum is wide.
  uint64_t s = sum;
  size_t i = 0;
#ifdef __SSE2__
  // 16-bit words into four 32-bit lanes, two vectors at a time: no carry to track within a
  // block (a lane takes 2 x 65,535 a round: 2^15 rounds fit), 40% faster than 64-bit words.
  const __m128i low = _mm_set1_epi32(0xffff);
  while (i + 32 <= length) {
    const size_t end = i + std::min<size_t>((length - i) & ~size_t{31}, size_t{1} << 19);
    __m128i a = _mm_setzero_si128();
    __m128i b = _mm_setzero_si128();
    for (; i < end; i += 32) {
      const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i));
      const __m128i y = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i + 16));
      a = _mm_add_epi32(a, _mm_add_epi32(_mm_and_si128(x, low), _mm_srli_epi32(x, 16)));
      b = _mm_add_epi32(b, _mm_add_epi32(_mm_and_si128(y, low), _mm_srli_epi32(y, 16)));
    }
    uint32_t lanes[8];
    _mm_storeu_si128(reinterpret_cast<__m128i*>(lanes), a);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(lanes + 4), b);
    for (uint32_t lane : lanes)
      s += lane;
  }
#endif
  for (; i + 8 <= length; i += 8) {
    uint64_t w;
    std::memcpy(&w, data + i, sizeof(w));
    s += (w & 0xffffffff) + (w >> 32);  // < 2^33 a word: 2^30 words fit in 64 bits
  }
  for (; i + 1 < length; i += 2)
    s += detail::load16(data + i);
  if (i < length) {
    const uint8_t last[2] = {data[i], 0};
    s += detail::load16(last);
  }
  while (s >> 32)
    s = (s & 0xffffffff) + (s >> 32);
  return static_cast<uint32_t>(s);
}

inline uint16_t checksumFold(uint32_t sum) {
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

inline uint16_t checksumAdjust(uint16_t checksum, const uint16_t* before, const uint16_t* after,
                               size_t words) {
  uint32_t sum = static_cast<uint16_t>(~checksum);
  for (size_t i = 0; i < words; ++i) {
    sum += static_cast<uint16_t>(~before[i]);
    sum += after[i];
  }
  return checksumFold(sum);
}

// The IPv4 header without options, summed as five 32-bit words: one's-complement sums do
// not care how wide the words are once folded, and this is the per-packet case.
inline uint16_t ipv4HeaderChecksum(const uint8_t* ip) {
  uint64_t s = uint64_t{detail::load32(ip)} + detail::load32(ip + 4) + detail::load32(ip + 8) +
               detail::load32(ip + 12) + detail::load32(ip + 16);
  s = (s & 0xffffffff) + (s >> 32);
  s = (s & 0xffffffff) + (s >> 32);
  return checksumFold(static_cast<uint32_t>(s));
}

inline FrameView classifyFrame(const uint8_t* frame, uint32_t length,
                               std::span<const rte_be32_t> local, RxHints hints) {
  FrameView v;
  if (length < kEthernetHeader) return v;
  uint16_t type = detail::loadHost16(frame + 12);
  if (type == RTE_ETHER_TYPE_ARP) {
    v.kind = FrameKind::kArp;
    return v;
  }
  if (type != RTE_ETHER_TYPE_IPV4) {
    v.kind = FrameKind::kIgnored;  // IPv6 and ND would branch here
    return v;
  }
  const uint8_t* ip = frame + kEthernetHeader;
  if (length < kEthernetHeader + kIpv4Header || (ip[0] >> 4) != 4) return v;
  uint16_t ihl = static_cast<uint16_t>((ip[0] & 0x0f) * 4);
  uint16_t total = detail::loadHost16(ip + 2);
  if (ihl < kIpv4Header || total < ihl || kEthernetHeader + uint32_t{total} > length) return v;
  v.ipHeaderLength = ihl;
  v.frameLength = static_cast<uint16_t>(kEthernetHeader + total);
  v.srcIp = detail::load32(ip + 12);
  v.dstIp = detail::load32(ip + 16);
  bool ours = false;
  for (size_t i = 0; i < local.size() && !ours; ++i) {
    ours = local[i] == v.dstIp;
    v.localAddress = static_cast<uint8_t>(i);
  }
  if (!ours) {
    v.kind = FrameKind::kIgnored;
    return v;
  }
  if (hints.ip == ChecksumHint::kBad) return v;
  if (hints.ip == ChecksumHint::kUnknown &&
      (ihl == kIpv4Header ? ipv4HeaderChecksum(ip) : checksumFold(checksumAdd(0, ip, ihl))) != 0)
    return v;
  if (detail::loadHost16(ip + 6) & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) return v;
  if (ip[8] == 0 || !detail::isUnicastSource(v.srcIp)) return v;

  const uint8_t* l4 = ip + ihl;
  uint16_t l4Length = static_cast<uint16_t>(total - ihl);
  if (ip[9] == IPPROTO_UDP) {
    if (l4Length < kUdpHeader || detail::loadHost16(l4 + 4) != l4Length) return v;
    if (hints.l4 == ChecksumHint::kBad) return v;
    v.srcPort = detail::load16(l4);
    v.dstPort = detail::load16(l4 + 2);
    if (v.srcPort == 0 || v.dstPort == 0) return v;  // port 0 could never be answered
    v.payloadOffset = static_cast<uint16_t>(kEthernetHeader + ihl + kUdpHeader);
    v.payloadLength = static_cast<uint16_t>(l4Length - kUdpHeader);
    v.kind = FrameKind::kUdp;
    return v;
  }
  if (ip[9] == IPPROTO_ICMP) {
    if (l4Length < sizeof(rte_icmp_hdr)) return v;
    if (l4[0] != RTE_IP_ICMP_ECHO_REQUEST || l4[1] != 0) {
      v.kind = FrameKind::kIgnored;
      return v;
    }
    if (checksumFold(checksumAdd(0, l4, l4Length)) != 0) return v;
    v.payloadOffset = static_cast<uint16_t>(kEthernetHeader + ihl);
    v.payloadLength = l4Length;
    v.kind = FrameKind::kIcmpEcho;
    return v;
  }
  v.kind = FrameKind::kIgnored;
  return v;
}

inline PayloadKind classifyPayload(const uint8_t* payload, uint16_t length, PortKind port) {
  if (length < kRtcpHeader || (payload[0] >> 6) != 2) return PayloadKind::kInvalid;
  bool rtcpType = payload[1] >= 192 && payload[1] <= 223;
  switch (port) {
    case PortKind::kRtp:
      // An RTCP type here would be RTP payload type 64-95 with the marker bit: reserved to
      // avoid exactly this confusion (RFC 3551, 5761). Read as RTP, it would fake losses.
      return length >= kRtpHeader && !rtcpType ? PayloadKind::kRtp : PayloadKind::kInvalid;
    case PortKind::kRtcp:
      return rtcpType ? PayloadKind::kRtcp : PayloadKind::kInvalid;
    case PortKind::kMux:
      if (rtcpType) return PayloadKind::kRtcp;
      return length >= kRtpHeader ? PayloadKind::kRtp : PayloadKind::kInvalid;
  }
  return PayloadKind::kInvalid;
}

inline void rewriteUdp(uint8_t* frame, const Rewrite& r, bool ipChecksumOffload) {
  std::memcpy(frame, r.dstMac.addr_bytes, RTE_ETHER_ADDR_LEN);
  std::memcpy(frame + RTE_ETHER_ADDR_LEN, r.srcMac.addr_bytes, RTE_ETHER_ADDR_LEN);
  uint8_t* ip = frame + kEthernetHeader;
  uint8_t* udp = ip + kIpv4Header;
  // Everything is read before anything is written, and the checksums are computed from
  // registers: a load that spans several fresh narrow stores (TTL, checksum) cannot be
  // forwarded from the store buffer and would stall until they reach the cache.
  uint32_t w0 = detail::load32(ip);      // version, IHL, TOS, total length
  uint32_t w1 = detail::load32(ip + 4);  // identification, flags, fragment offset
  uint8_t ttlProtoSum[4];                // TTL, protocol, header checksum
  std::memcpy(ttlProtoSum, ip + 8, 4);
  uint32_t oldPorts = detail::load32(udp);
  uint16_t oldUdpChecksum = detail::load16(udp + 6);
  const rte_be16_t ports[2] = {r.srcPort, r.dstPort};
  uint32_t newPorts;
  std::memcpy(&newPorts, ports, 4);

  ttlProtoSum[0] = kTtl;
  ttlProtoSum[2] = ttlProtoSum[3] = 0;
  if (!ipChecksumOffload) {
    uint64_t sum = uint64_t{w0} + w1 + detail::load32(ttlProtoSum) + r.srcIp + r.dstIp;
    sum = (sum & 0xffffffff) + (sum >> 32);
    sum = (sum & 0xffffffff) + (sum >> 32);
    detail::store16(ttlProtoSum + 2, checksumFold(static_cast<uint32_t>(sum)));
  }
  if (oldUdpChecksum != 0) {
    // RFC 1624 eqn. 3 over the words that change (pseudo-header addresses, ports), taken as
    // 32-bit words: one's-complement sums do not care how wide the words are once folded.
    uint64_t sum = static_cast<uint16_t>(~oldUdpChecksum);
    sum += uint64_t{~detail::load32(ip + 12)} + uint32_t{~detail::load32(ip + 16)} +
           uint32_t{~oldPorts};
    sum += uint64_t{r.srcIp} + r.dstIp + newPorts;
    sum = (sum & 0xffffffff) + (sum >> 32);
    sum = (sum & 0xffffffff) + (sum >> 32);
    uint16_t udpChecksum = checksumFold(static_cast<uint32_t>(sum));
    detail::store16(udp + 6, udpChecksum == 0 ? 0xffff : udpChecksum);  // 0 would mean "none"
  }
  std::memcpy(ip + 8, ttlProtoSum, 4);
  detail::store32(ip + 12, r.srcIp);
  detail::store32(ip + 16, r.dstIp);
  detail::store32(udp, newPorts);
}

// SRTP changes a datagram's length and payload (dpdk/README.md, "SRTP"): the lengths are
// rewritten, and the UDP checksum is computed afresh over the new payload.
// The UDP checksum of an IPv4/UDP frame whose IPv4 header is `ipHeaderLength` long: its
// sum verifies, or it is 0 (none).
inline bool udpChecksumValid(const uint8_t* frame, uint16_t ipHeaderLength) {
  const uint8_t* ip = frame + kEthernetHeader;
  const uint8_t* udp = ip + ipHeaderLength;
  if (detail::load16(udp + 6) == 0) return true;
  uint16_t length = detail::loadHost16(udp + 4);
  uint32_t sum = checksumAdd(0, ip + 12, 8);
  sum = checksumAdd(sum, udp, length);
  uint64_t s = uint64_t{sum} + rte_cpu_to_be_16(IPPROTO_UDP) + rte_cpu_to_be_16(length);
  s = (s & 0xffffffff) + (s >> 32);
  return checksumFold(static_cast<uint32_t>(s)) == 0;
}

// The IPv4 total length and UDP length of a frame without IPv4 options, for a new payload
// length. The IPv4 checksum is rewriteUdp's to compute.
inline void setUdpPayloadLength(uint8_t* frame, uint16_t payloadLength) {
  uint8_t* ip = frame + kEthernetHeader;
  detail::store16(ip + 2, rte_cpu_to_be_16(kIpv4Header + kUdpHeader + payloadLength));
  detail::store16(ip + kIpv4Header + 4, rte_cpu_to_be_16(kUdpHeader + payloadLength));
}

// Computes the UDP checksum of a frame without IPv4 options afresh (addresses, ports and
// lengths already final).
inline void setUdpChecksum(uint8_t* frame) {
  uint8_t* ip = frame + kEthernetHeader;
  uint8_t* udp = ip + kIpv4Header;
  uint16_t length = detail::loadHost16(udp + 4);
  detail::store16(udp + 6, 0);
  uint32_t sum = checksumAdd(0, ip + 12, 8);
  sum = checksumAdd(sum, udp, length);
  uint64_t s = uint64_t{sum} + rte_cpu_to_be_16(IPPROTO_UDP) + rte_cpu_to_be_16(length);
  s = (s & 0xffffffff) + (s >> 32);
  uint16_t c = checksumFold(static_cast<uint32_t>(s));
  detail::store16(udp + 6, c == 0 ? 0xffff : c);  // 0 would mean "none"
}

}  // namespace sbc::dpdk

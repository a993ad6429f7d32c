#include "dpdk/packet.h"

#include <netinet/in.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#include <cstring>

namespace sbc::dpdk {
namespace {

// Headers sit at any even offset in a buffer: loads and stores go through memcpy.
uint16_t load16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

uint32_t load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

void store16(uint8_t* p, uint16_t v) {
  std::memcpy(p, &v, sizeof(v));
}

void store32(uint8_t* p, uint32_t v) {
  std::memcpy(p, &v, sizeof(v));
}

uint16_t loadHost16(const uint8_t* p) {
  return rte_be_to_cpu_16(load16(p));
}

// Sources a reply could never go back to, or that never arrive from a wire.
bool isUnicastSource(rte_be32_t ip) {
  uint32_t h = rte_be_to_cpu_32(ip);
  return h != 0 && h != 0xffffffff && (h >> 28) != 0xe && (h >> 24) != 127;
}

}  // namespace

uint32_t checksumAdd(uint32_t sum, const uint8_t* data, size_t length) {
  // Folding as it goes keeps any length (and a running sum) from overflowing.
  uint64_t s = sum;
  size_t i = 0;
  for (; i + 1 < length; i += 2)
    s += load16(data + i);
  if (i < length) {
    const uint8_t last[2] = {data[i], 0};
    s += load16(last);
  }
  while (s >> 32)
    s = (s & 0xffffffff) + (s >> 32);
  return static_cast<uint32_t>(s);
}

uint16_t checksumFold(uint32_t sum) {
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

uint16_t checksumAdjust(uint16_t checksum, const uint16_t* before, const uint16_t* after,
                        size_t words) {
  uint32_t sum = static_cast<uint16_t>(~checksum);
  for (size_t i = 0; i < words; ++i) {
    sum += static_cast<uint16_t>(~before[i]);
    sum += after[i];
  }
  return checksumFold(sum);
}

FrameView classifyFrame(const uint8_t* frame, uint32_t length, std::span<const rte_be32_t> local,
                        RxHints hints) {
  FrameView v;
  if (length < kEthernetHeader) return v;
  uint16_t type = loadHost16(frame + 12);
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
  uint16_t total = loadHost16(ip + 2);
  if (ihl < kIpv4Header || total < ihl || kEthernetHeader + uint32_t{total} > length) return v;
  v.ipHeaderLength = ihl;
  v.frameLength = static_cast<uint16_t>(kEthernetHeader + total);
  v.srcIp = load32(ip + 12);
  v.dstIp = load32(ip + 16);
  bool ours = false;
  for (rte_be32_t ip : local)
    ours = ours || ip == v.dstIp;
  if (!ours) {
    v.kind = FrameKind::kIgnored;
    return v;
  }
  if (hints.ip == ChecksumHint::kBad) return v;
  if (hints.ip == ChecksumHint::kUnknown && checksumFold(checksumAdd(0, ip, ihl)) != 0) return v;
  if (loadHost16(ip + 6) & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) return v;
  if (ip[8] == 0 || !isUnicastSource(v.srcIp)) return v;

  const uint8_t* l4 = ip + ihl;
  uint16_t l4Length = static_cast<uint16_t>(total - ihl);
  if (ip[9] == IPPROTO_UDP) {
    if (l4Length < kUdpHeader || loadHost16(l4 + 4) != l4Length) return v;
    if (hints.l4 == ChecksumHint::kBad) return v;
    v.srcPort = load16(l4);
    v.dstPort = load16(l4 + 2);
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

PayloadKind classifyPayload(const uint8_t* payload, uint16_t length, PortKind port) {
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

void rewriteUdp(uint8_t* frame, const Rewrite& r, bool ipChecksumOffload) {
  std::memcpy(frame, r.dstMac.addr_bytes, RTE_ETHER_ADDR_LEN);
  std::memcpy(frame + RTE_ETHER_ADDR_LEN, r.srcMac.addr_bytes, RTE_ETHER_ADDR_LEN);
  uint8_t* ip = frame + kEthernetHeader;
  uint8_t* udp = ip + kIpv4Header;
  // The pseudo-header addresses and the ports: the words the UDP checksum covers that change.
  uint16_t before[6] = {load16(ip + 12), load16(ip + 14), load16(ip + 16),
                        load16(ip + 18), load16(udp),     load16(udp + 2)};
  store32(ip + 12, r.srcIp);
  store32(ip + 16, r.dstIp);
  store16(udp, r.srcPort);
  store16(udp + 2, r.dstPort);
  uint16_t after[6] = {load16(ip + 12), load16(ip + 14), load16(ip + 16),
                       load16(ip + 18), load16(udp),     load16(udp + 2)};
  ip[8] = kTtl;
  store16(ip + 10, 0);
  if (!ipChecksumOffload) store16(ip + 10, checksumFold(checksumAdd(0, ip, kIpv4Header)));
  uint16_t udpChecksum = load16(udp + 6);
  if (udpChecksum != 0) {
    udpChecksum = checksumAdjust(udpChecksum, before, after, 6);
    store16(udp + 6, udpChecksum == 0 ? 0xffff : udpChecksum);  // 0 would mean "none"
  }
}

uint16_t stripIpOptions(uint8_t* frame, uint16_t ipHeaderLength) {
  if (ipHeaderLength <= kIpv4Header) return 0;
  uint16_t options = static_cast<uint16_t>(ipHeaderLength - kIpv4Header);
  std::memmove(frame + options, frame, kEthernetHeader + kIpv4Header);
  uint8_t* ip = frame + options + kEthernetHeader;
  ip[0] = 0x45;
  store16(ip + 2, rte_cpu_to_be_16(static_cast<uint16_t>(loadHost16(ip + 2) - options)));
  return options;
}

void makeEchoReply(uint8_t* frame, const rte_ether_addr& ourMac) {
  std::memcpy(frame, frame + RTE_ETHER_ADDR_LEN, RTE_ETHER_ADDR_LEN);
  std::memcpy(frame + RTE_ETHER_ADDR_LEN, ourMac.addr_bytes, RTE_ETHER_ADDR_LEN);
  uint8_t* ip = frame + kEthernetHeader;
  uint32_t requester = load32(ip + 12);
  store32(ip + 12, load32(ip + 16));
  store32(ip + 16, requester);
  ip[8] = kTtl;
  store16(ip + 10, 0);
  store16(ip + 10, checksumFold(checksumAdd(0, ip, kIpv4Header)));
  uint8_t* icmp = ip + kIpv4Header;
  uint16_t before = load16(icmp);
  icmp[0] = RTE_IP_ICMP_ECHO_REPLY;
  uint16_t after = load16(icmp);
  store16(icmp + 2, checksumAdjust(load16(icmp + 2), &before, &after, 1));
}

}  // namespace sbc::dpdk

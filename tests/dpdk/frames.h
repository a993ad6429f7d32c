#pragma once

// Frames for the relay tests, built independently of dpdk/: checksums here are summed
// big-endian byte pair by byte pair (RFC 1071 as written), not with the relay's code.

#include <arpa/inet.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace sbc::dpdk::test {

using Bytes = std::vector<uint8_t>;
using Mac = std::array<uint8_t, 6>;

inline uint32_t ipv4(const std::string& text) {  // host order
  in_addr a{};
  inet_pton(AF_INET, text.c_str(), &a);
  return ntohl(a.s_addr);
}

inline void put16(Bytes& b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v >> 8);
  b[at + 1] = static_cast<uint8_t>(v);
}

inline void put32(Bytes& b, size_t at, uint32_t v) {
  put16(b, at, static_cast<uint16_t>(v >> 16));
  put16(b, at + 2, static_cast<uint16_t>(v));
}

inline uint16_t get16(const Bytes& b, size_t at) {
  return static_cast<uint16_t>(b[at] << 8 | b[at + 1]);
}

inline uint32_t get32(const Bytes& b, size_t at) {
  return uint32_t{get16(b, at)} << 16 | get16(b, at + 2);
}

// RFC 1071: the complement of the one's-complement sum of big-endian 16-bit words.
inline uint16_t referenceChecksum(const Bytes& b, size_t from, size_t length,
                                  uint32_t initial = 0) {
  uint32_t sum = initial;
  for (size_t i = 0; i < length; i += 2) {
    uint32_t hi = b[from + i];
    uint32_t lo = i + 1 < length ? b[from + i + 1] : 0;
    sum += hi << 8 | lo;
  }
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

inline void putMac(Bytes& b, size_t at, const Mac& m) {
  for (size_t i = 0; i < 6; ++i)
    b[at + i] = m[i];
}

struct UdpSpec {
  Mac dstMac{};
  Mac srcMac{};
  std::string srcIp;
  std::string dstIp;
  uint16_t srcPort = 0;
  uint16_t dstPort = 0;
  Bytes payload;
  uint8_t ttl = 61;
  uint8_t tos = 0xb8;  // EF, as phones mark voice
  uint16_t id = 0x4242;
  uint16_t fragment = 0x4000;  // DF
  bool udpChecksum = true;
  Bytes ipOptions;     // a multiple of 4 bytes
  size_t padding = 0;  // Ethernet padding after the IP packet
};

inline Bytes udpFrame(const UdpSpec& s) {
  size_t ihl = 20 + s.ipOptions.size();
  size_t udpLength = 8 + s.payload.size();
  Bytes f(14 + ihl + udpLength + s.padding, 0);
  putMac(f, 0, s.dstMac);
  putMac(f, 6, s.srcMac);
  put16(f, 12, 0x0800);
  size_t ip = 14;
  f[ip] = static_cast<uint8_t>(0x40 | ihl / 4);
  f[ip + 1] = s.tos;
  put16(f, ip + 2, static_cast<uint16_t>(ihl + udpLength));
  put16(f, ip + 4, s.id);
  put16(f, ip + 6, s.fragment);
  f[ip + 8] = s.ttl;
  f[ip + 9] = 17;
  put32(f, ip + 12, ipv4(s.srcIp));
  put32(f, ip + 16, ipv4(s.dstIp));
  for (size_t i = 0; i < s.ipOptions.size(); ++i)
    f[ip + 20 + i] = s.ipOptions[i];
  put16(f, ip + 10, referenceChecksum(f, ip, ihl));
  size_t udp = ip + ihl;
  put16(f, udp, s.srcPort);
  put16(f, udp + 2, s.dstPort);
  put16(f, udp + 4, static_cast<uint16_t>(udpLength));
  for (size_t i = 0; i < s.payload.size(); ++i)
    f[udp + 8 + i] = s.payload[i];
  if (s.udpChecksum) {
    uint32_t pseudo = (ipv4(s.srcIp) >> 16) + (ipv4(s.srcIp) & 0xffff) + (ipv4(s.dstIp) >> 16) +
                      (ipv4(s.dstIp) & 0xffff) + 17 + static_cast<uint32_t>(udpLength);
    uint16_t c = referenceChecksum(f, udp, udpLength, pseudo);
    put16(f, udp + 6, c == 0 ? 0xffff : c);
  }
  return f;
}

// The IPv4 header checksum of a frame verifies (sums to zero).
inline bool ipChecksumOk(const Bytes& f) {
  size_t ihl = (f[14] & 0x0f) * 4u;
  return referenceChecksum(f, 14, ihl) == 0;
}

// The UDP checksum of a frame verifies, or is absent (0).
inline bool udpChecksumOk(const Bytes& f) {
  size_t ihl = (f[14] & 0x0f) * 4u;
  size_t udp = 14 + ihl;
  if (get16(f, udp + 6) == 0) return true;
  uint32_t src = get32(f, 26), dst = get32(f, 30);
  uint16_t length = get16(f, udp + 4);
  uint32_t pseudo = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + 17 + length;
  return referenceChecksum(f, udp, length, pseudo) == 0;
}

inline Bytes rtp(uint16_t sequence, uint32_t timestamp, uint32_t ssrc, uint8_t payloadType = 0,
                 size_t payloadBytes = 160) {
  Bytes p(12 + payloadBytes, 0);
  p[0] = 0x80;
  p[1] = payloadType;
  put16(p, 2, sequence);
  put32(p, 4, timestamp);
  put32(p, 8, ssrc);
  for (size_t i = 0; i < payloadBytes; ++i)
    p[12 + i] = static_cast<uint8_t>(0xd5 ^ i);  // A-law silence, varied
  return p;
}

// An RTCP receiver report without report blocks (PT 201).
inline Bytes rtcpReceiverReport(uint32_t ssrc) {
  Bytes p(8, 0);
  p[0] = 0x80;
  p[1] = 201;
  put16(p, 2, 1);
  put32(p, 4, ssrc);
  return p;
}

inline Bytes arpFrame(uint16_t op, const Mac& ethDst, const Mac& senderMac,
                      const std::string& senderIp, const Mac& targetMac,
                      const std::string& targetIp, size_t padding = 0) {
  Bytes f(42 + padding, 0);
  putMac(f, 0, ethDst);
  putMac(f, 6, senderMac);
  put16(f, 12, 0x0806);
  put16(f, 14, 1);
  put16(f, 16, 0x0800);
  f[18] = 6;
  f[19] = 4;
  put16(f, 20, op);
  putMac(f, 22, senderMac);
  put32(f, 28, ipv4(senderIp));
  putMac(f, 32, targetMac);
  put32(f, 38, ipv4(targetIp));
  return f;
}

inline constexpr Mac kBroadcast = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
inline constexpr Mac kZeroMac = {0, 0, 0, 0, 0, 0};

inline Bytes icmpEcho(uint8_t type, const Mac& dstMac, const Mac& srcMac, const std::string& srcIp,
                      const std::string& dstIp, uint16_t identifier, uint16_t sequence,
                      size_t dataBytes = 56, uint8_t ttl = 64) {
  size_t icmpLength = 8 + dataBytes;
  Bytes f(14 + 20 + icmpLength, 0);
  putMac(f, 0, dstMac);
  putMac(f, 6, srcMac);
  put16(f, 12, 0x0800);
  f[14] = 0x45;
  put16(f, 16, static_cast<uint16_t>(20 + icmpLength));
  put16(f, 18, 0x0101);
  f[22] = ttl;
  f[23] = 1;
  put32(f, 26, ipv4(srcIp));
  put32(f, 30, ipv4(dstIp));
  put16(f, 24, referenceChecksum(f, 14, 20));
  f[34] = type;
  put16(f, 38, identifier);
  put16(f, 40, sequence);
  for (size_t i = 0; i < dataBytes; ++i)
    f[42 + i] = static_cast<uint8_t>(i);
  put16(f, 36, referenceChecksum(f, 34, icmpLength));
  return f;
}

}  // namespace sbc::dpdk::test

#include "tools/rtp-probe/rtp.h"

namespace sbc::rtpprobe {

namespace {

uint32_t be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
uint16_t be16(const uint8_t* p) {
  return uint16_t(p[0] << 8 | p[1]);
}

}  // namespace

void writeSendTimeExtension(uint8_t* at, uint64_t realtimeNs) {
  at[0] = 0xBE;
  at[1] = 0xDE;
  at[2] = 0;
  at[3] = 3;
  at[4] = uint8_t(kSendTimeExtensionId << 4 | (8 - 1));
  for (int i = 0; i < 8; ++i)
    at[5 + i] = uint8_t(realtimeNs >> (56 - 8 * i));
  at[13] = at[14] = at[15] = 0;
}

std::optional<RtpView> parseRtp(std::span<const uint8_t> packet) {
  const uint8_t* p = packet.data();
  size_t size = packet.size();
  if (size < 12 || (p[0] >> 6) != 2) return std::nullopt;
  RtpView v;
  v.marker = p[1] & 0x80;
  v.payloadType = p[1] & 0x7F;
  v.seq = be16(p + 2);
  v.timestamp = be32(p + 4);
  v.ssrc = be32(p + 8);
  size_t at = 12 + 4 * size_t(p[0] & 0x0F);
  if (at > size) return std::nullopt;
  if (p[0] & 0x10) {
    if (at + 4 > size) return std::nullopt;
    uint16_t profile = be16(p + at);
    size_t end = at + 4 + 4 * size_t(be16(p + at + 2));
    if (end > size) return std::nullopt;
    if (profile == 0xBEDE) {
      for (size_t e = at + 4; e < end;) {
        if (p[e] == 0) {  // padding
          ++e;
          continue;
        }
        int id = p[e] >> 4;
        size_t len = size_t(p[e] & 0x0F) + 1;
        if (id == 15 || e + 1 + len > end) break;
        if (id == kSendTimeExtensionId && len == 8) {
          uint64_t ns = 0;
          for (size_t i = 0; i < 8; ++i)
            ns = ns << 8 | p[e + 1 + i];
          v.sendTimeNs = ns;
        }
        e += 1 + len;
      }
    }
    at = end;
  }
  size_t padding = (p[0] & 0x20) ? p[size - 1] : 0;
  if (at + padding > size) return std::nullopt;
  v.payload = packet.subspan(at, size - at - padding);
  return v;
}

}  // namespace sbc::rtpprobe

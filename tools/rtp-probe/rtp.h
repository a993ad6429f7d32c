#pragma once

// RTP (RFC 3550) as rtp-probe reads it off the wire, and the send-time header extension its
// sender adds (RFC 8285 one-byte form) so that the receiver can measure one-way delay when
// both run on the same machine.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace sbc::rtpprobe {

// Extension id 14 (one-byte form), 8 bytes: the send time, CLOCK_REALTIME nanoseconds,
// big-endian. An SBC relays header extensions untouched (SRTP authenticates them).
inline constexpr int kSendTimeExtensionId = 14;
// 0xBEDE, length 3 words, then id/len byte, 8 bytes, 3 bytes padding.
inline constexpr size_t kSendTimeExtensionBytes = 16;
void writeSendTimeExtension(uint8_t* at, uint64_t realtimeNs);

struct RtpView {
  uint8_t payloadType = 0;
  bool marker = false;
  uint16_t seq = 0;
  uint32_t timestamp = 0;
  uint32_t ssrc = 0;
  std::span<const uint8_t> payload;
  std::optional<uint64_t> sendTimeNs;
};

// Version 2, CSRCs, extension and padding within the packet; nullopt otherwise.
std::optional<RtpView> parseRtp(std::span<const uint8_t> packet);

}  // namespace sbc::rtpprobe

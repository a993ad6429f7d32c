#pragma once

// G.711 (ITU-T) mu-law and A-law, sample by sample, after the classic Sun reference code:
// 16-bit linear PCM in and out, one byte per sample on the wire.

#include <cstdint>

namespace sbc::rtpprobe {

enum class Codec : uint8_t { kPcmu, kPcma };

uint8_t linearToUlaw(int16_t sample);
int16_t ulawToLinear(uint8_t code);
uint8_t linearToAlaw(int16_t sample);
int16_t alawToLinear(uint8_t code);

inline uint8_t encode(Codec codec, int16_t sample) {
  return codec == Codec::kPcmu ? linearToUlaw(sample) : linearToAlaw(sample);
}
inline int16_t decode(Codec codec, uint8_t code) {
  return codec == Codec::kPcmu ? ulawToLinear(code) : alawToLinear(code);
}
// The static RTP payload types (RFC 3551): 0 and 8.
inline int staticPayloadType(Codec codec) {
  return codec == Codec::kPcmu ? 0 : 8;
}

}  // namespace sbc::rtpprobe

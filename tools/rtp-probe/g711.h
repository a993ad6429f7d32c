#pragma once

// G.711 (ITU-T) mu-law and A-law, sample by sample, after the classic Sun reference code:
// 16-bit linear PCM in and out, one byte per sample on the wire.

#include <cstdint>

#include "mediaplane/codec/codec.h"

namespace sbc::rtpprobe {

// The probe's codecs are the media plane's (mediaplane/codec); G.711 keeps its own tested
// companders here, the others go through sbc::codec's encoders and decoders.
using Codec = sbc::codec::Codec;
inline bool isG711(Codec c) {
  return c == Codec::kPcmu || c == Codec::kPcma;
}

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
// The static RTP payload types (RFC 3551): 0, 8, 9, 18; Opus is dynamic: 111 by default.
inline int staticPayloadType(Codec codec) {
  const int pt = sbc::codec::info(codec).staticPayloadType;
  return pt >= 0 ? pt : 111;
}

}  // namespace sbc::rtpprobe

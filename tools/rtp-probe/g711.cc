#include "tools/rtp-probe/g711.h"

namespace sbc::rtpprobe {

namespace {

constexpr int kUlawBias = 0x84;  // added before the segment search, removed on decode
constexpr int kUlawClip = 32635;

// The segment (exponent) of a biased mu-law magnitude, or of a 13-bit A-law magnitude:
// the position of its highest set bit above the 4-bit mantissa.
int segment(int magnitude, int firstEnd) {
  int seg = 0;
  for (int end = firstEnd; seg < 8 && magnitude > end; end = end * 2 + 1) {
    ++seg;
  }
  return seg;
}

}  // namespace

uint8_t linearToUlaw(int16_t sample) {
  int pcm = sample;
  int sign = 0;
  if (pcm < 0) {
    pcm = -pcm;  // int: -(-32768) fits
    sign = 0x80;
  }
  if (pcm > kUlawClip) pcm = kUlawClip;
  pcm += kUlawBias;
  int exponent = segment(pcm >> 7, 1);  // biased value 0x84..0x7FFF: exponent 0..7
  int mantissa = (pcm >> (exponent + 3)) & 0x0F;
  return static_cast<uint8_t>(~(sign | (exponent << 4) | mantissa));
}

int16_t ulawToLinear(uint8_t code) {
  int u = static_cast<uint8_t>(~code);
  int t = ((u & 0x0F) << 3) + kUlawBias;
  t <<= (u & 0x70) >> 4;
  return static_cast<int16_t>((u & 0x80) ? (kUlawBias - t) : (t - kUlawBias));
}

uint8_t linearToAlaw(int16_t sample) {
  int pcm = sample >> 3;  // A-law works on 13 bits
  int mask = 0xD5;        // sign bit set, even bits inverted
  if (pcm < 0) {
    mask = 0x55;
    pcm = -pcm - 1;
  }
  int seg = segment(pcm, 0x1F);
  if (seg >= 8) return static_cast<uint8_t>(0x7F ^ mask);
  int aval = seg << 4;
  aval |= seg < 2 ? (pcm >> 1) & 0x0F : (pcm >> seg) & 0x0F;
  return static_cast<uint8_t>(aval ^ mask);
}

int16_t alawToLinear(uint8_t code) {
  int a = code ^ 0x55;
  int t = (a & 0x0F) << 4;
  int seg = (a & 0x70) >> 4;
  if (seg == 0) {
    t += 8;
  } else {
    t += 0x108;
    t <<= seg - 1;
  }
  return static_cast<int16_t>((a & 0x80) ? t : -t);
}

}  // namespace sbc::rtpprobe

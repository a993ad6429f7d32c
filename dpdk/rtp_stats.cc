#include "dpdk/rtp_stats.h"

#include <cstdlib>

namespace sbc::dpdk {

RtpHeader readRtpHeader(const uint8_t* p) {
  RtpHeader h;
  h.sequence = static_cast<uint16_t>(p[2] << 8 | p[3]);
  h.timestamp = uint32_t{p[4]} << 24 | uint32_t{p[5]} << 16 | uint32_t{p[6]} << 8 | p[7];
  h.ssrc = uint32_t{p[8]} << 24 | uint32_t{p[9]} << 16 | uint32_t{p[10]} << 8 | p[11];
  return h;
}

void RtpReceiver::onPacket(const RtpHeader& h, uint32_t arrival) {
  uint32_t newTransit = arrival - h.timestamp;  // both wrap; only differences matter
  if (!started || h.ssrc != ssrc) {
    // A new source (or a new SSRC after a re-INVITE): counting restarts, totals stay.
    started = true;
    ssrc = h.ssrc;
    maxSequence = h.sequence;
    transit = newTransit;
    return;
  }
  uint16_t delta = static_cast<uint16_t>(h.sequence - maxSequence);
  if (delta == 0) return;  // a duplicate says nothing new
  if (delta < kMaxDropout) {
    lost += delta - 1u;
    maxSequence = h.sequence;
  } else if (delta > uint16_t(0x10000 - kMaxMisorder)) {
    if (lost > 0) --lost;  // late, not lost
  } else {
    maxSequence = h.sequence;  // the sender restarted its sequence
  }
  // A.8: J += (|D| - J) / 16, kept times 16 in integers.
  int32_t d = static_cast<int32_t>(newTransit - transit);
  transit = newTransit;
  // Capped (about 4.6 hours at 8 kHz) so that jitter16 cannot overflow on garbage timestamps.
  uint32_t magnitude = static_cast<uint32_t>(d < 0 ? -int64_t{d} : d);
  if (magnitude > kMaxTransitStep) magnitude = kMaxTransitStep;
  jitter16 += magnitude - ((jitter16 + 8) >> 4);
}

double RtpReceiver::jitterMs(uint32_t clockHz) const {
  return static_cast<double>(jitter16) / 16.0 * 1000.0 / clockHz;
}

}  // namespace sbc::dpdk

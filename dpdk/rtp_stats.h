#pragma once

// RFC 3550 receiver statistics of one direction: sequence gaps (loss) and interarrival
// jitter. Plain arithmetic, owned by the lcore that sees the direction's packets.

#include <cstdint>

namespace sbc::dpdk {

struct RtpHeader {
  uint16_t sequence = 0;
  uint32_t timestamp = 0;
  uint32_t ssrc = 0;
};

// The fixed header's fields (host order) from a payload classified as RTP.
inline RtpHeader readRtpHeader(const uint8_t* payload);

struct RtpReceiver {
  // RFC 3550 A.1: a jump beyond this is a restart of the sequence, not loss; a step back
  // within kMaxMisorder is a late packet that was counted lost.
  static constexpr uint16_t kMaxDropout = 3000;
  static constexpr uint16_t kMaxMisorder = 100;
  static constexpr uint32_t kMaxTransitStep = 1u << 27;

  uint64_t lost = 0;
  uint32_t ssrc = 0;
  uint32_t transit = 0;   // arrival - timestamp of the previous packet
  uint32_t jitter16 = 0;  // RFC 3550 A.8 jitter times 16, in timestamp units
  uint16_t maxSequence = 0;
  bool started = false;

  // `arrival` counts in the units the timestamps use (the relay assumes 8 kHz).
  void onPacket(const RtpHeader& h, uint32_t arrival);
  // Jitter in milliseconds for a `clockHz` timestamp clock.
  double jitterMs(uint32_t clockHz = 8000) const;
};

// Per packet: inline, for the worker loop.

inline RtpHeader readRtpHeader(const uint8_t* p) {
  RtpHeader h;
  h.sequence = static_cast<uint16_t>(p[2] << 8 | p[3]);
  h.timestamp = uint32_t{p[4]} << 24 | uint32_t{p[5]} << 16 | uint32_t{p[6]} << 8 | p[7];
  h.ssrc = uint32_t{p[8]} << 24 | uint32_t{p[9]} << 16 | uint32_t{p[10]} << 8 | p[11];
  return h;
}

inline void RtpReceiver::onPacket(const RtpHeader& h, uint32_t arrival) {
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

}  // namespace sbc::dpdk

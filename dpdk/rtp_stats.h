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
RtpHeader readRtpHeader(const uint8_t* payload);

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

}  // namespace sbc::dpdk

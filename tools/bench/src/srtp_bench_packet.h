#pragma once

// What the raw SRTP benchmarks (srtp_raw_bench, srtp_aesni_mb_bench) share, so that their
// figures stand side by side: the same clock, the same SSRC and the same RTP header.

#include <time.h>

#include <cstdint>

namespace sbc::bench {

inline constexpr uint32_t kRawBenchSsrc = 0x53525450;

// The thread's CPU time (`cpu`: the machine is shared) or the monotonic clock, in ns.
inline int64_t benchClockNs(bool cpu) {
  timespec ts{};
  clock_gettime(cpu ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// A 12-byte RTP header (version 2, PCMA) for `seq` and `ts` at `p`.
inline void stampRtpHeader(uint8_t* p, uint16_t seq, uint32_t ts) {
  p[0] = 0x80;
  p[1] = 8;  // PCMA
  p[2] = static_cast<uint8_t>(seq >> 8);
  p[3] = static_cast<uint8_t>(seq);
  p[4] = static_cast<uint8_t>(ts >> 24);
  p[5] = static_cast<uint8_t>(ts >> 16);
  p[6] = static_cast<uint8_t>(ts >> 8);
  p[7] = static_cast<uint8_t>(ts);
  p[8] = static_cast<uint8_t>(kRawBenchSsrc >> 24);
  p[9] = static_cast<uint8_t>(kRawBenchSsrc >> 16);
  p[10] = static_cast<uint8_t>(kRawBenchSsrc >> 8);
  p[11] = static_cast<uint8_t>(kRawBenchSsrc);
}

}  // namespace sbc::bench

#pragma once

// The SRTP master keys of the benchmark's sessions (tools/bench/srtp): a fixed function of
// the session number and a role letter, so that the pcap generator (sbc-bench-srtp pcap)
// protects each stream with the key the relay driver (sbc-bench-relay relay --srtp-a/-b)
// gives that session. Benchmark traffic only: never a key for a real call.

#include <cstddef>
#include <cstdint>

#include "mediaplane/api/media_plane.h"

namespace sbc::bench {

// role: 'A' the caller's key (the relay unprotects what the caller sends with it), 'a' the
// relay's own key towards the caller, 'B' / 'b' the same for the callee's side.
inline mediaplane::SrtpMasterKey benchSrtpKey(mediaplane::SrtpSuite suite, uint64_t session,
                                              char role) {
  mediaplane::SrtpMasterKey k;
  k.length = static_cast<uint8_t>(mediaplane::srtpMasterKeyLength(suite));
  uint64_t x = session * 0x9E3779B97F4A7C15ULL ^ (static_cast<uint64_t>(role) << 48);
  for (size_t i = 0; i < k.length; ++i) {
    if (i % 8 == 0) {  // splitmix64
      x += 0x9E3779B97F4A7C15ULL;
      uint64_t z = x;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
      x = z ^ (z >> 31);
    }
    k.bytes[i] = static_cast<uint8_t>(x >> (8 * (i % 8)));
  }
  return k;
}

// The benchmark's RTP streams, as tools/bench/relay_pcap.py numbers them: session i
// (0-based) sends SSRC kBenchSsrcBase + i starting at sequence number (i * 7919) mod 2^16.
inline constexpr uint32_t kBenchSsrcBase = 0x5BC00000;
inline uint16_t benchFirstSeq(uint64_t session) {
  return static_cast<uint16_t>(session * 7919);
}

}  // namespace sbc::bench

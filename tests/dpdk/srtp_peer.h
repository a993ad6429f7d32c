#pragma once

// SRTP for the relay tests: keys, and peers that protect what they send and unprotect what
// the relay sent them with sbc::srtp::Context (any SSRC: a test tool may allocate).

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mediaplane/srtp/context.h"
#include "tests/dpdk/frames.h"

namespace sbc::dpdk::test {

using mediaplane::SrtpKeys;
using mediaplane::SrtpMasterKey;
using mediaplane::SrtpSuite;

// A key of the suite's length, different for each seed.
inline SrtpMasterKey testKey(SrtpSuite suite, uint8_t seed) {
  SrtpMasterKey k;
  k.length = static_cast<uint8_t>(mediaplane::srtpMasterKeyLength(suite));
  for (size_t i = 0; i < k.length; ++i)
    k.bytes[i] = static_cast<uint8_t>(seed * 31 + i * 7 + 1);
  return k;
}

inline SrtpKeys testKeys(SrtpSuite suite, uint8_t receiveSeed, uint8_t sendSeed) {
  return SrtpKeys{suite, testKey(suite, receiveSeed), testKey(suite, sendSeed)};
}

inline std::vector<SrtpSuite> supportedSuites() {
  EXPECT_EQ(srtp::initialize(), "");  // supported() knows once libsrtp is up
  std::vector<SrtpSuite> out;
  for (uint8_t s = 0; s < static_cast<uint8_t>(SrtpSuite::kCount); ++s) {
    if (srtp::supported(static_cast<SrtpSuite>(s))) out.push_back(static_cast<SrtpSuite>(s));
  }
  return out;
}

// One end of SRTP: `ssrc` none = any SSRC.
class SrtpPeer {
 public:
  SrtpPeer(SrtpSuite suite, const SrtpMasterKey& key, srtp::Direction direction,
           std::optional<uint32_t> ssrc = std::nullopt, uint32_t roc = 0) {
    std::string error = srtp::initialize();
    EXPECT_EQ(error, "");
    context_ = srtp::Context::create(suite, key, direction, ssrc, roc, error);
    EXPECT_TRUE(context_) << error;
  }

  Bytes protect(Bytes packet, bool rtcp = false) {
    int length = static_cast<int>(packet.size());
    packet.resize(packet.size() + 64);
    srtp::Status s = rtcp ? context_->protectRtcp(packet.data(), length)
                          : context_->protectRtp(packet.data(), length);
    EXPECT_EQ(s, srtp::Status::kOk);
    packet.resize(static_cast<size_t>(length));
    return packet;
  }

  // The plain packet, or nothing when libsrtp refused it.
  std::optional<Bytes> unprotect(Bytes packet, bool rtcp = false) {
    int length = static_cast<int>(packet.size());
    srtp::Status s = rtcp ? context_->unprotectRtcp(packet.data(), length)
                          : context_->unprotectRtp(packet.data(), length);
    if (s != srtp::Status::kOk) return std::nullopt;
    packet.resize(static_cast<size_t>(length));
    return packet;
  }

 private:
  std::unique_ptr<srtp::Context> context_;
};

// The UDP payload of a frame the relay sent (its IPv4 header has no options).
inline Bytes udpPayload(const Bytes& frame) {
  return Bytes(frame.begin() + 14 + 20 + 8, frame.end());
}

}  // namespace sbc::dpdk::test

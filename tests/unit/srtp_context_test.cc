#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <vector>

#include "mediaplane/srtp/context.h"

namespace sbc::srtp {
namespace {

constexpr SrtpSuite kSuites[] = {SrtpSuite::kAesCm128HmacSha1_80, SrtpSuite::kAesCm128HmacSha1_32,
                                 SrtpSuite::kAeadAes128Gcm, SrtpSuite::kAeadAes256Gcm};

SrtpMasterKey keyFor(SrtpSuite suite, uint8_t seed) {
  SrtpMasterKey key;
  key.length = static_cast<uint8_t>(mediaplane::srtpMasterKeyLength(suite));
  for (size_t i = 0; i < key.length; ++i) {
    key.bytes[i] = static_cast<uint8_t>(seed + i * 13);
  }
  return key;
}

// A 12-byte RTP header and `payload` bytes, room for any trailer after it.
std::vector<uint8_t> rtpPacket(uint32_t ssrc, uint16_t seq, size_t payload) {
  std::vector<uint8_t> p(12 + payload + 64, 0);
  p[0] = 0x80;
  p[1] = 0;
  p[2] = static_cast<uint8_t>(seq >> 8);
  p[3] = static_cast<uint8_t>(seq);
  p[8] = static_cast<uint8_t>(ssrc >> 24);
  p[9] = static_cast<uint8_t>(ssrc >> 16);
  p[10] = static_cast<uint8_t>(ssrc >> 8);
  p[11] = static_cast<uint8_t>(ssrc);
  for (size_t i = 0; i < payload; ++i) {
    p[12 + i] = static_cast<uint8_t>(i * 31 + seq);
  }
  return p;
}

TEST(SrtpContext, RoundTripBuiltIn) {
  ASSERT_EQ(switchEngine(Engine::kLibsrtpBuiltIn), "");
  for (SrtpSuite suite : kSuites) {
    SCOPED_TRACE(std::string(mediaplane::srtpSuiteName(suite)));
    ASSERT_TRUE(supported(suite));
    std::string error;
    auto tx = Context::create(suite, keyFor(suite, 1), Direction::kProtect, 0x1234u, 0, error);
    ASSERT_NE(tx, nullptr) << error;
    auto rx = Context::create(suite, keyFor(suite, 1), Direction::kUnprotect, 0x1234u, 0, error);
    ASSERT_NE(rx, nullptr) << error;
    auto packet = rtpPacket(0x1234, 7, 160);
    const auto plain = packet;
    int length = 172;
    ASSERT_EQ(tx->protectRtp(packet.data(), length), Status::kOk);
    EXPECT_EQ(static_cast<size_t>(length), 172 + rtpTrailer(suite));
    EXPECT_NE(std::memcmp(packet.data() + 12, plain.data() + 12, 160), 0);
    ASSERT_EQ(rx->unprotectRtp(packet.data(), length), Status::kOk);
    EXPECT_EQ(length, 172);
    EXPECT_EQ(std::memcmp(packet.data(), plain.data(), 172), 0);
  }
}

}  // namespace
}  // namespace sbc::srtp

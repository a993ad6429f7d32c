// sbc::srtp::Context on both engines: libsrtp's built-in crypto (NSS on Debian) and the
// OpenSSL types this library plugs into it. The engine is process-wide but a context keeps
// the implementation it was created with, so one process can protect with one engine and
// unprotect with the other (and a per-thread count of OpenSSL calls shows which one ran).

#include <gtest/gtest.h>
#include <srtp2/cipher.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "mediaplane/srtp/context.h"
#include "mediaplane/srtp/engine.h"

#include "tests/unit/counting_malloc.h"

// Exported by libsrtp, declared in its uninstalled crypto_kernel.h: what the kernel runs.
extern "C" const srtp_cipher_type_t* srtp_crypto_kernel_get_cipher_type(srtp_cipher_type_id_t id);

namespace sbc::srtp {
namespace {

constexpr SrtpSuite kSuites[] = {SrtpSuite::kAesCm128HmacSha1_80, SrtpSuite::kAesCm128HmacSha1_32,
                                 SrtpSuite::kAeadAes128Gcm, SrtpSuite::kAeadAes256Gcm};
constexpr Engine kEngines[] = {Engine::kLibsrtpBuiltIn, Engine::kOpenssl};

std::string engineName(Engine e) {
  return e == Engine::kOpenssl ? "openssl" : "builtin";
}

SrtpMasterKey keyFor(SrtpSuite suite, uint8_t seed) {
  SrtpMasterKey key;
  key.length = static_cast<uint8_t>(mediaplane::srtpMasterKeyLength(suite));
  for (size_t i = 0; i < key.length; ++i) {
    key.bytes[i] = static_cast<uint8_t>(seed + i * 13);
  }
  return key;
}

SrtpMasterKey keyFromBytes(const uint8_t* bytes, size_t length) {
  SrtpMasterKey key;
  std::memcpy(key.bytes.data(), bytes, length);
  key.length = static_cast<uint8_t>(length);
  return key;
}

constexpr size_t kRoom = 64;  // after any packet: more than any trailer

// A 12-byte RTP header and `payload` bytes, room for any trailer after it.
std::vector<uint8_t> rtpPacket(uint32_t ssrc, uint16_t seq, size_t payload) {
  std::vector<uint8_t> p(12 + payload + kRoom, 0);
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

// An RTCP receiver report with one report block (32 bytes) from `ssrc`.
std::vector<uint8_t> rtcpPacket(uint32_t ssrc) {
  std::vector<uint8_t> p(32 + kRoom, 0);
  p[0] = 0x81;
  p[1] = 201;
  p[3] = 7;
  p[4] = static_cast<uint8_t>(ssrc >> 24);
  p[5] = static_cast<uint8_t>(ssrc >> 16);
  p[6] = static_cast<uint8_t>(ssrc >> 8);
  p[7] = static_cast<uint8_t>(ssrc);
  for (size_t i = 8; i < 32; ++i) {
    p[i] = static_cast<uint8_t>(i * 5);
  }
  return p;
}

std::unique_ptr<Context> make(SrtpSuite suite, const SrtpMasterKey& key, Direction direction,
                              uint32_t ssrc, uint32_t roc = 0) {
  std::string error;
  auto context = Context::create(suite, key, direction, ssrc, roc, error);
  EXPECT_NE(context, nullptr) << error;
  return context;
}

class SrtpEngineTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override { ASSERT_EQ(switchEngine(GetParam()), ""); }
};

INSTANTIATE_TEST_SUITE_P(Engines, SrtpEngineTest, ::testing::ValuesIn(kEngines),
                         [](const auto& info) { return engineName(info.param); });

TEST_P(SrtpEngineTest, AllSuitesSupported) {
  EXPECT_EQ(engine(), GetParam());
  for (SrtpSuite suite : kSuites) {
    EXPECT_TRUE(supported(suite)) << mediaplane::srtpSuiteName(suite);
  }
  EXPECT_FALSE(supported(SrtpSuite::kCount));
  // initialize(): the engine in place stays; another one is refused.
  EXPECT_EQ(initialize(GetParam()), "");
  Engine other = GetParam() == Engine::kOpenssl ? Engine::kLibsrtpBuiltIn : Engine::kOpenssl;
  EXPECT_NE(initialize(other), "");
  EXPECT_EQ(engine(), GetParam());
}

// What the engine runs: the OpenSSL engine's cipher and MAC on this thread, or none of them.
TEST_P(SrtpEngineTest, RunsTheChosenImplementation) {
  for (SrtpSuite suite : kSuites) {
    SCOPED_TRACE(std::string(mediaplane::srtpSuiteName(suite)));
    uint64_t before = detail::opensslCallsOnThisThread();
    auto tx = make(suite, keyFor(suite, 3), Direction::kProtect, 9);
    ASSERT_NE(tx, nullptr);
    auto packet = rtpPacket(9, 1, 160);
    int length = 172;
    ASSERT_EQ(tx->protectRtp(packet.data(), length), Status::kOk);
    uint64_t calls = detail::opensslCallsOnThisThread() - before;
    if (GetParam() == Engine::kOpenssl) {
      EXPECT_GT(calls, 0u);
    } else {
      EXPECT_EQ(calls, 0u);
    }
  }
}

TEST_P(SrtpEngineTest, RoundTripRtpAndRtcp) {
  for (SrtpSuite suite : kSuites) {
    SCOPED_TRACE(std::string(mediaplane::srtpSuiteName(suite)));
    auto key = keyFor(suite, 1);
    auto tx = make(suite, key, Direction::kProtect, 0x1234);
    auto rx = make(suite, key, Direction::kUnprotect, 0x1234);
    ASSERT_TRUE(tx && rx);
    EXPECT_EQ(tx->suite(), suite);
    EXPECT_EQ(rx->direction(), Direction::kUnprotect);
    for (uint16_t seq = 100; seq < 110; ++seq) {
      auto packet = rtpPacket(0x1234, seq, 160);
      const auto plain = packet;
      int length = 172;
      ASSERT_EQ(tx->protectRtp(packet.data(), length), Status::kOk);
      ASSERT_EQ(static_cast<size_t>(length), 172 + rtpTrailer(suite));
      EXPECT_EQ(std::memcmp(packet.data(), plain.data(), 12), 0);  // header in clear
      EXPECT_NE(std::memcmp(packet.data() + 12, plain.data() + 12, 160), 0);
      ASSERT_EQ(rx->unprotectRtp(packet.data(), length), Status::kOk);
      ASSERT_EQ(length, 172);
      EXPECT_EQ(std::memcmp(packet.data(), plain.data(), 172), 0);
    }
    for (int i = 0; i < 3; ++i) {
      auto packet = rtcpPacket(0x1234);
      const auto plain = packet;
      int length = 32;
      ASSERT_EQ(tx->protectRtcp(packet.data(), length), Status::kOk);
      ASSERT_EQ(static_cast<size_t>(length), 32 + rtcpTrailer(suite));
      EXPECT_NE(std::memcmp(packet.data() + 8, plain.data() + 8, 24), 0);
      ASSERT_EQ(rx->unprotectRtcp(packet.data(), length), Status::kOk);
      ASSERT_EQ(length, 32);
      EXPECT_EQ(std::memcmp(packet.data(), plain.data(), 32), 0);
    }
  }
}

TEST_P(SrtpEngineTest, AnySsrcContexts) {
  for (SrtpSuite suite : kSuites) {
    SCOPED_TRACE(std::string(mediaplane::srtpSuiteName(suite)));
    std::string error;
    auto tx = Context::create(suite, keyFor(suite, 2), Direction::kProtect, std::nullopt, 0, error);
    auto rx =
        Context::create(suite, keyFor(suite, 2), Direction::kUnprotect, std::nullopt, 0, error);
    ASSERT_TRUE(tx && rx) << error;
    for (uint32_t ssrc : {1u, 2u, 0xdeadbeefu}) {
      auto packet = rtpPacket(ssrc, 5, 20);
      const auto plain = packet;
      int length = 32;
      ASSERT_EQ(tx->protectRtp(packet.data(), length), Status::kOk);
      ASSERT_EQ(rx->unprotectRtp(packet.data(), length), Status::kOk);
      EXPECT_EQ(std::memcmp(packet.data(), plain.data(), 32), 0);
    }
  }
}

TEST_P(SrtpEngineTest, TamperedPacketFailsAuthentication) {
  for (SrtpSuite suite : kSuites) {
    SCOPED_TRACE(std::string(mediaplane::srtpSuiteName(suite)));
    auto key = keyFor(suite, 4);
    auto tx = make(suite, key, Direction::kProtect, 77);
    auto rx = make(suite, key, Direction::kUnprotect, 77);
    ASSERT_TRUE(tx && rx);
    // A flipped bit in the payload, in the header, in the tag: each refused.
    for (size_t flip : {size_t{40}, size_t{1}, size_t{172}}) {
      SCOPED_TRACE(flip);
      auto packet = rtpPacket(77, static_cast<uint16_t>(10 + flip), 160);
      int length = 172;
      ASSERT_EQ(tx->protectRtp(packet.data(), length), Status::kOk);
      packet[flip] ^= 0x10;
      EXPECT_EQ(rx->unprotectRtp(packet.data(), length), Status::kAuthFail);
    }
    auto rtcp = rtcpPacket(77);
    int length = 32;
    ASSERT_EQ(tx->protectRtcp(rtcp.data(), length), Status::kOk);
    rtcp[20] ^= 1;
    EXPECT_EQ(rx->unprotectRtcp(rtcp.data(), length), Status::kAuthFail);

    // A different key: auth failure too.
    auto other = make(suite, keyFor(suite, 5), Direction::kUnprotect, 77);
    auto packet = rtpPacket(77, 500, 160);
    length = 172;
    ASSERT_EQ(tx->protectRtp(packet.data(), length), Status::kOk);
    EXPECT_EQ(other->unprotectRtp(packet.data(), length), Status::kAuthFail);
  }
}

TEST_P(SrtpEngineTest, ReplayedPacketIsRefused) {
  for (SrtpSuite suite : kSuites) {
    SCOPED_TRACE(std::string(mediaplane::srtpSuiteName(suite)));
    auto key = keyFor(suite, 6);
    auto tx = make(suite, key, Direction::kProtect, 5);
    auto rx = make(suite, key, Direction::kUnprotect, 5);
    ASSERT_TRUE(tx && rx);
    std::vector<std::vector<uint8_t>> sent;
    for (uint16_t seq = 1; seq <= 300; ++seq) {
      auto packet = rtpPacket(5, seq, 20);
      int length = 32;
      ASSERT_EQ(tx->protectRtp(packet.data(), length), Status::kOk);
      packet.resize(static_cast<size_t>(length) + kRoom);
      sent.push_back(packet);
    }
    auto copy = sent[0];
    int length = static_cast<int>(copy.size() - kRoom);
    ASSERT_EQ(rx->unprotectRtp(copy.data(), length), Status::kOk);
    copy = sent[0];
    length = static_cast<int>(copy.size() - kRoom);
    EXPECT_EQ(rx->unprotectRtp(copy.data(), length), Status::kReplay);  // the same again
    // Seq 300 then seq 2: 298 behind, out of the 128-packet window.
    copy = sent[299];
    length = static_cast<int>(copy.size() - kRoom);
    ASSERT_EQ(rx->unprotectRtp(copy.data(), length), Status::kOk);
    copy = sent[1];
    length = static_cast<int>(copy.size() - kRoom);
    EXPECT_EQ(rx->unprotectRtp(copy.data(), length), Status::kReplay);
    // Within the window and never seen: accepted (reordering).
    copy = sent[250];
    length = static_cast<int>(copy.size() - kRoom);
    EXPECT_EQ(rx->unprotectRtp(copy.data(), length), Status::kOk);

    auto rtcp = rtcpPacket(5);
    length = 32;
    ASSERT_EQ(tx->protectRtcp(rtcp.data(), length), Status::kOk);
    auto rtcp_copy = rtcp;
    int rtcp_length = length;
    ASSERT_EQ(rx->unprotectRtcp(rtcp.data(), length), Status::kOk);
    EXPECT_EQ(rx->unprotectRtcp(rtcp_copy.data(), rtcp_length), Status::kReplay);
  }
}

// The sender is at ROC 1 (index 65536 + seq): a receiver created with ROC 1 decrypts, one
// with ROC 0 computes another index and fails. A re-keyed context carries the ROC over.
TEST_P(SrtpEngineTest, RolloverCounterCarriedOver) {
  for (SrtpSuite suite : kSuites) {
    SCOPED_TRACE(std::string(mediaplane::srtpSuiteName(suite)));
    auto key = keyFor(suite, 8);
    auto tx = make(suite, key, Direction::kProtect, 42, 1);
    auto rx1 = make(suite, key, Direction::kUnprotect, 42, 1);
    auto rx0 = make(suite, key, Direction::kUnprotect, 42, 0);
    ASSERT_TRUE(tx && rx1 && rx0);
    EXPECT_EQ(rx1->roc(42), 1u);  // before any packet: the ROC it was given
    EXPECT_EQ(rx0->roc(42), 0u);
    auto packet = rtpPacket(42, 7, 160);
    const auto plain = packet;
    int length = 172;
    ASSERT_EQ(tx->protectRtp(packet.data(), length), Status::kOk);
    EXPECT_EQ(tx->roc(42), 1u);
    auto copy = packet;
    int copy_length = length;
    EXPECT_EQ(rx0->unprotectRtp(copy.data(), copy_length), Status::kAuthFail);
    ASSERT_EQ(rx1->unprotectRtp(packet.data(), length), Status::kOk);
    EXPECT_EQ(std::memcmp(packet.data(), plain.data(), 172), 0);
    EXPECT_EQ(rx1->roc(42), 1u);
    EXPECT_EQ(rx1->roc(43), 0u);  // no stream for that SSRC

    // Wrapping seq 65535 -> 0 moves the ROC from 0 to 1 on both sides.
    auto tx0 = make(suite, key, Direction::kProtect, 50);
    auto rxw = make(suite, key, Direction::kUnprotect, 50);
    for (uint16_t seq : {uint16_t{65534}, uint16_t{65535}, uint16_t{0}, uint16_t{1}}) {
      auto p = rtpPacket(50, seq, 20);
      int n = 32;
      ASSERT_EQ(tx0->protectRtp(p.data(), n), Status::kOk);
      ASSERT_EQ(rxw->unprotectRtp(p.data(), n), Status::kOk) << seq;
    }
    EXPECT_EQ(tx0->roc(50), 1u);
    EXPECT_EQ(rxw->roc(50), 1u);
  }
}

TEST_P(SrtpEngineTest, PacketOfAnotherSsrcIsAnError) {
  for (SrtpSuite suite : kSuites) {
    auto key = keyFor(suite, 9);
    auto tx = make(suite, key, Direction::kProtect, 1);
    auto rx = make(suite, key, Direction::kUnprotect, 2);
    ASSERT_TRUE(tx && rx);
    auto packet = rtpPacket(2, 1, 20);
    int length = 32;
    EXPECT_EQ(tx->protectRtp(packet.data(), length), Status::kError);
    packet = rtpPacket(1, 1, 20);
    length = 32;
    ASSERT_EQ(tx->protectRtp(packet.data(), length), Status::kOk);
    EXPECT_EQ(rx->unprotectRtp(packet.data(), length), Status::kError);
  }
}

TEST_P(SrtpEngineTest, TrailerSizes) {
  EXPECT_EQ(rtpTrailer(SrtpSuite::kAesCm128HmacSha1_80), 10u);
  EXPECT_EQ(rtpTrailer(SrtpSuite::kAesCm128HmacSha1_32), 4u);
  EXPECT_EQ(rtpTrailer(SrtpSuite::kAeadAes128Gcm), 16u);
  EXPECT_EQ(rtpTrailer(SrtpSuite::kAeadAes256Gcm), 16u);
  // SRTCP: E flag and index, then the tag (80 bits for both AES-CM suites, RFC 4568 6.2.2).
  EXPECT_EQ(rtcpTrailer(SrtpSuite::kAesCm128HmacSha1_80), 14u);
  EXPECT_EQ(rtcpTrailer(SrtpSuite::kAesCm128HmacSha1_32), 14u);
  EXPECT_EQ(rtcpTrailer(SrtpSuite::kAeadAes128Gcm), 20u);
  EXPECT_EQ(rtcpTrailer(SrtpSuite::kAeadAes256Gcm), 20u);
}

TEST_P(SrtpEngineTest, BadKeyIsRefusedWithoutShowingIt) {
  SrtpMasterKey key = keyFor(SrtpSuite::kAeadAes256Gcm, 0xa5);  // 44 bytes: wrong for AES-CM
  std::string error;
  EXPECT_EQ(
      Context::create(SrtpSuite::kAesCm128HmacSha1_80, key, Direction::kProtect, 1u, 0, error),
      nullptr);
  EXPECT_NE(error.find("30"), std::string::npos) << error;
  EXPECT_LT(error.size(), 120u);
  error.clear();
  EXPECT_EQ(Context::create(SrtpSuite::kCount, key, Direction::kProtect, 1u, 0, error), nullptr);
  EXPECT_FALSE(error.empty());
}

// libsrtp's own reference packets (its test/srtp_driver.c, srtp_validate and
// srtp_validate_gcm): both engines must produce and accept exactly these bytes, so the
// OpenSSL types, the key derivation through them included, compute what libsrtp does.
const uint8_t kRefKeyCm[30] = {0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f,
                               0xa3, 0x2c, 0x06, 0xde, 0x41, 0x39, 0x0e, 0xc6, 0x75, 0xad,
                               0x49, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6};
const uint8_t kRefKeyGcm[28] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
                                0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0xa0, 0xa1, 0xa2, 0xa3,
                                0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab};
const uint8_t kRefRtp[28] = {0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe,
                             0xba, 0xbe, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
                             0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab};
const uint8_t kRefRtcp[24] = {0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe,
                              0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
                              0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab};
const uint8_t kRefSrtpCm[38] = {0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe,
                                0xba, 0xbe, 0x4e, 0x55, 0xdc, 0x4c, 0xe7, 0x99, 0x78, 0xd8,
                                0x8c, 0xa4, 0xd2, 0x15, 0x94, 0x9d, 0x24, 0x02, 0xb7, 0x8d,
                                0x6a, 0xcc, 0x99, 0xea, 0x17, 0x9b, 0x8d, 0xbb};
const uint8_t kRefSrtcpCm[38] = {0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0x71, 0x28,
                                 0x03, 0x5b, 0xe4, 0x87, 0xb9, 0xbd, 0xbe, 0xf8, 0x90, 0x41,
                                 0xf9, 0x77, 0xa5, 0xa8, 0x80, 0x00, 0x00, 0x01, 0x99, 0x3e,
                                 0x08, 0xcd, 0x54, 0xd6, 0xc1, 0x23, 0x07, 0x98};
const uint8_t kRefSrtpGcm[44] = {0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba,
                                 0xbe, 0xc5, 0x00, 0x2e, 0xde, 0x04, 0xcf, 0xdd, 0x2e, 0xb9, 0x11,
                                 0x59, 0xe0, 0x88, 0x0a, 0xa0, 0x6e, 0xd2, 0x97, 0x68, 0x26, 0xf7,
                                 0x96, 0xb2, 0x01, 0xdf, 0x31, 0x31, 0xa1, 0x27, 0xe8, 0xa3, 0x92};
const uint8_t kRefSrtcpGcm[44] = {0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0xc9, 0x8b, 0x8b,
                                  0x5d, 0xf0, 0x39, 0x2a, 0x55, 0x85, 0x2b, 0x6c, 0x21, 0xac, 0x8e,
                                  0x70, 0x25, 0xc5, 0x2c, 0x6f, 0xbe, 0xa2, 0xb3, 0xb4, 0x46, 0xea,
                                  0x31, 0x12, 0x3b, 0xa8, 0x8c, 0xe6, 0x1e, 0x80, 0x00, 0x00, 0x01};

void expectKnownAnswer(SrtpSuite suite, const SrtpMasterKey& key, const uint8_t* srtp,
                       int srtp_length, const uint8_t* srtcp, int srtcp_length) {
  auto tx = make(suite, key, Direction::kProtect, 0xcafebabe);
  auto rx = make(suite, key, Direction::kUnprotect, 0xcafebabe);
  ASSERT_TRUE(tx && rx);
  std::array<uint8_t, 128> buffer{};
  std::memcpy(buffer.data(), kRefRtp, sizeof(kRefRtp));
  int length = sizeof(kRefRtp);
  ASSERT_EQ(tx->protectRtp(buffer.data(), length), Status::kOk);
  ASSERT_EQ(length, srtp_length);
  EXPECT_EQ(std::memcmp(buffer.data(), srtp, srtp_length), 0);
  std::memcpy(buffer.data(), kRefRtcp, sizeof(kRefRtcp));
  length = sizeof(kRefRtcp);
  ASSERT_EQ(tx->protectRtcp(buffer.data(), length), Status::kOk);
  ASSERT_EQ(length, srtcp_length);
  EXPECT_EQ(std::memcmp(buffer.data(), srtcp, srtcp_length), 0);

  std::memcpy(buffer.data(), srtp, srtp_length);
  length = srtp_length;
  ASSERT_EQ(rx->unprotectRtp(buffer.data(), length), Status::kOk);
  ASSERT_EQ(length, static_cast<int>(sizeof(kRefRtp)));
  EXPECT_EQ(std::memcmp(buffer.data(), kRefRtp, sizeof(kRefRtp)), 0);
  std::memcpy(buffer.data(), srtcp, srtcp_length);
  length = srtcp_length;
  ASSERT_EQ(rx->unprotectRtcp(buffer.data(), length), Status::kOk);
  ASSERT_EQ(length, static_cast<int>(sizeof(kRefRtcp)));
  EXPECT_EQ(std::memcmp(buffer.data(), kRefRtcp, sizeof(kRefRtcp)), 0);
}

TEST_P(SrtpEngineTest, LibsrtpReferencePacketsAesCm) {
  expectKnownAnswer(SrtpSuite::kAesCm128HmacSha1_80, keyFromBytes(kRefKeyCm, 30), kRefSrtpCm, 38,
                    kRefSrtcpCm, 38);
}

TEST_P(SrtpEngineTest, LibsrtpReferencePacketsGcm) {
  expectKnownAnswer(SrtpSuite::kAeadAes128Gcm, keyFromBytes(kRefKeyGcm, 28), kRefSrtpGcm, 44,
                    kRefSrtcpGcm, 44);
}

#if SBC_COUNT_MALLOC
// Allocations by 100 rounds of protect + unprotect (RTP and RTCP), a refused tampered
// packet and a refused replay, on contexts that name their SSRC.
unsigned long allocationsPerHundredPackets(SrtpSuite suite) {
  auto key = keyFor(suite, 10);
  auto tx = make(suite, key, Direction::kProtect, 11);
  auto rx = make(suite, key, Direction::kUnprotect, 11);
  if (!tx || !rx) {
    return ~0ul;
  }
  std::array<uint8_t, 256> packet{};
  std::array<uint8_t, 256> rtcp{};
  unsigned long total = 0;
  for (uint16_t seq = 0; seq < 100; ++seq) {
    auto p = rtpPacket(11, seq, 160);  // allocates: outside the counted span
    std::memcpy(packet.data(), p.data(), 172);
    auto r = rtcpPacket(11);
    std::memcpy(rtcp.data(), r.data(), 32);
    unsigned long mark = t_allocations;
    int length = 172;
    EXPECT_EQ(tx->protectRtp(packet.data(), length), Status::kOk);
    // The packet path's failures too: a tampered packet, then a replayed one.
    std::array<uint8_t, 256> tampered = packet;
    std::array<uint8_t, 256> replayed = packet;
    tampered[20] ^= 1;
    int other_length = length;
    EXPECT_EQ(rx->unprotectRtp(tampered.data(), other_length), Status::kAuthFail);
    EXPECT_EQ(rx->unprotectRtp(packet.data(), length), Status::kOk);
    other_length = length + static_cast<int>(rtpTrailer(suite));
    EXPECT_EQ(rx->unprotectRtp(replayed.data(), other_length), Status::kReplay);
    int rtcp_length = 32;
    EXPECT_EQ(tx->protectRtcp(rtcp.data(), rtcp_length), Status::kOk);
    EXPECT_EQ(rx->unprotectRtcp(rtcp.data(), rtcp_length), Status::kOk);
    total += t_allocations - mark;
  }
  return total;
}
#endif

// Protect and unprotect on the OpenSSL engine never allocate, for a context that names its
// SSRC (the lcore rule). libsrtp's NSS-based built-in crypto does (a PK11 context per
// packet): only printed here, it is the reason the relay runs the OpenSSL engine.
TEST(SrtpAllocation, NoneOnThePacketPathWithOpenssl) {
#if !SBC_COUNT_MALLOC
  GTEST_SKIP() << "malloc is AddressSanitizer's in this build: nothing to count with";
#else
  ASSERT_EQ(switchEngine(Engine::kOpenssl), "");
  // The counter is seen to work: creating a context allocates.
  unsigned long before = t_allocations;
  auto context =
      make(SrtpSuite::kAeadAes128Gcm, keyFor(SrtpSuite::kAeadAes128Gcm, 1), Direction::kProtect, 1);
  EXPECT_GT(t_allocations, before);
  for (SrtpSuite suite : kSuites) {
    EXPECT_EQ(allocationsPerHundredPackets(suite), 0u) << mediaplane::srtpSuiteName(suite);
  }
  ASSERT_EQ(switchEngine(Engine::kLibsrtpBuiltIn), "");
  for (SrtpSuite suite : kSuites) {
    std::printf("built-in engine, %s: %lu allocations per 100 packets\n",
                std::string(mediaplane::srtpSuiteName(suite)).c_str(),
                allocationsPerHundredPackets(suite));
  }
#endif
}

// One engine protects, the other unprotects (both ways), every suite, RTP and RTCP: the
// OpenSSL types interoperate with libsrtp's built-in ones on keys, key stream and tags.
TEST(SrtpCrossEngine, EachUnprotectsWhatTheOtherProtects) {
  for (SrtpSuite suite : kSuites) {
    for (Engine sender : kEngines) {
      Engine receiver = sender == Engine::kOpenssl ? Engine::kLibsrtpBuiltIn : Engine::kOpenssl;
      SCOPED_TRACE(std::string(mediaplane::srtpSuiteName(suite)) + " " + engineName(sender) +
                   " -> " + engineName(receiver));
      auto key = keyFor(suite, 20);
      ASSERT_EQ(switchEngine(sender), "");
      auto tx = make(suite, key, Direction::kProtect, 0x5150);
      ASSERT_EQ(switchEngine(receiver), "");
      auto rx = make(suite, key, Direction::kUnprotect, 0x5150);
      ASSERT_TRUE(tx && rx);
      // Across a rollover, and payloads of every shape: empty, under, at and over one AES
      // block, and longer than the engine's 512-byte key stream chunk.
      const size_t sizes[] = {0, 1, 15, 16, 17, 160, 513, 1200};
      size_t round = 0;
      for (uint16_t seq = 65530; seq != 10; ++seq, ++round) {
        const size_t payload = sizes[round % std::size(sizes)];
        const int plain_length = static_cast<int>(12 + payload);
        auto packet = rtpPacket(0x5150, seq, payload);
        const auto plain = packet;
        int length = plain_length;
        uint64_t calls = detail::opensslCallsOnThisThread();
        ASSERT_EQ(tx->protectRtp(packet.data(), length), Status::kOk);
        EXPECT_EQ(detail::opensslCallsOnThisThread() > calls, sender == Engine::kOpenssl);
        calls = detail::opensslCallsOnThisThread();
        ASSERT_EQ(rx->unprotectRtp(packet.data(), length), Status::kOk) << seq;
        EXPECT_EQ(detail::opensslCallsOnThisThread() > calls, receiver == Engine::kOpenssl);
        ASSERT_EQ(length, plain_length);
        EXPECT_EQ(std::memcmp(packet.data(), plain.data(), static_cast<size_t>(plain_length)), 0);
      }
      auto rtcp = rtcpPacket(0x5150);
      const auto plain = rtcp;
      int length = 32;
      ASSERT_EQ(tx->protectRtcp(rtcp.data(), length), Status::kOk);
      ASSERT_EQ(rx->unprotectRtcp(rtcp.data(), length), Status::kOk);
      EXPECT_EQ(std::memcmp(rtcp.data(), plain.data(), 32), 0);
    }
  }
}

// The key stream of one AES-ICM cipher of `engine`: `total` bytes after one IV, asked for
// in pieces of `pieces` bytes (cycled).
std::vector<uint8_t> icmKeyStream(Engine engine, srtp_cipher_type_id_t id, int key_len,
                                  size_t total, std::vector<size_t> pieces) {
  EXPECT_EQ(switchEngine(engine), "");
  const srtp_cipher_type_t* type = srtp_crypto_kernel_get_cipher_type(id);
  std::vector<uint8_t> out(total, 0);
  srtp_cipher_t* cipher = nullptr;
  if (type == nullptr || type->alloc(&cipher, key_len, 0) != srtp_err_status_ok) {
    ADD_FAILURE() << "no cipher";
    return out;
  }
  std::vector<uint8_t> key(static_cast<size_t>(key_len));
  for (size_t i = 0; i < key.size(); ++i) {
    key[i] = static_cast<uint8_t>(i * 11 + 3);
  }
  uint8_t iv[16] = {0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0, 0, 5, 0, 0};
  EXPECT_EQ(type->init(cipher->state, key.data()), srtp_err_status_ok);
  EXPECT_EQ(type->set_iv(cipher->state, iv, srtp_direction_encrypt), srtp_err_status_ok);
  size_t done = 0;
  for (size_t k = 0; done < total; ++k) {
    unsigned int n = static_cast<unsigned int>(std::min(pieces[k % pieces.size()], total - done));
    EXPECT_EQ(type->encrypt(cipher->state, out.data() + done, &n), srtp_err_status_ok);
    done += n;
  }
  type->dealloc(cipher);
  return out;
}

// The OpenSSL AES-ICM keeps its place in the key stream across calls after one IV (partial
// blocks, chunks) and makes the same key stream as libsrtp's built-in one, 128 and 256.
TEST(SrtpOpensslIcm, KeyStreamInPiecesMatchesBuiltIn) {
  for (auto [id, key_len] : {std::pair{SRTP_AES_ICM_128, 30}, std::pair{SRTP_AES_ICM_256, 46}}) {
    SCOPED_TRACE(id);
    auto reference = icmKeyStream(Engine::kLibsrtpBuiltIn, id, key_len, 1500, {1500});
    EXPECT_EQ(icmKeyStream(Engine::kOpenssl, id, key_len, 1500, {1500}), reference);
    EXPECT_EQ(icmKeyStream(Engine::kOpenssl, id, key_len, 1500, {5, 11, 16, 1, 15, 700, 17}),
              reference);
    EXPECT_EQ(icmKeyStream(Engine::kOpenssl, id, key_len, 1500, {512, 3}), reference);
  }
}

}  // namespace
}  // namespace sbc::srtp

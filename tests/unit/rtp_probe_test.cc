// rtp-probe's units: G.711 both laws, the tone analysis, and the receive accounting.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <numbers>
#include <random>
#include <vector>

#include "tools/rtp-probe/g711.h"
#include "tools/rtp-probe/receive_stats.h"
#include "tools/rtp-probe/rtp.h"
#include "tools/rtp-probe/srtp_key.h"
#include "tools/rtp-probe/tone.h"

namespace sbc::rtpprobe {
namespace {

TEST(RtpProbeG711, UlawCodesRoundTrip) {
  for (int code = 0; code < 256; ++code) {
    uint8_t back = linearToUlaw(ulawToLinear(uint8_t(code)));
    // 0x7F is "negative zero": it decodes to 0, which encodes as 0xFF.
    EXPECT_EQ(back, code == 0x7F ? 0xFF : code) << "code " << code;
  }
  EXPECT_EQ(ulawToLinear(0xFF), 0);
  EXPECT_EQ(ulawToLinear(0x80), 32124);
  EXPECT_EQ(ulawToLinear(0x00), -32124);
  EXPECT_EQ(linearToUlaw(0), 0xFF);
  EXPECT_EQ(linearToUlaw(32767), 0x80);
  EXPECT_EQ(linearToUlaw(-32768), 0x00);
}

TEST(RtpProbeG711, AlawCodesRoundTrip) {
  for (int code = 0; code < 256; ++code) {
    EXPECT_EQ(linearToAlaw(alawToLinear(uint8_t(code))), code) << "code " << code;
  }
  EXPECT_EQ(alawToLinear(0xD5), 8);
  EXPECT_EQ(alawToLinear(0x55), -8);
  EXPECT_EQ(alawToLinear(0xAA), 32256);
  EXPECT_EQ(alawToLinear(0x2A), -32256);
  EXPECT_EQ(linearToAlaw(0), 0xD5);
  EXPECT_EQ(linearToAlaw(32767), 0xAA);
  EXPECT_EQ(linearToAlaw(-32768), 0x2A);
}

// Every 16-bit sample: the decoded value is monotonic in the input and within half a
// quantization step (logarithmic: about 1/32 of the magnitude), short of the clipping ends.
TEST(RtpProbeG711, QuantizationErrorIsBoundedAndMonotonic) {
  for (Codec codec : {Codec::kPcmu, Codec::kPcma}) {
    int previous = -32768;
    for (int x = -32768; x <= 32767; ++x) {
      int y = decode(codec, encode(codec, int16_t(x)));
      ASSERT_GE(y, previous) << "x " << x;
      previous = y;
      if (std::abs(x) <= 32000) {
        double bound =
            codec == Codec::kPcmu ? (std::abs(x) + 132) / 32.0 + 1 : std::abs(x) / 32.0 + 9;
        ASSERT_LE(std::abs(y - x), bound)
            << (codec == Codec::kPcmu ? "pcmu" : "pcma") << " x " << x;
      }
    }
  }
}

// A tone with white noise at a known SNR (over the whole 0-4 kHz band).
std::vector<int16_t> noisyTone(double hz, double amplitude, double snrDb, size_t n, unsigned seed) {
  std::mt19937 random(seed);
  double signalRms = amplitude * 32767 / std::sqrt(2.0);
  std::normal_distribution<double> noise(0, signalRms / std::pow(10, snrDb / 20));
  std::vector<int16_t> out(n);
  for (size_t i = 0; i < n; ++i) {
    double v =
        amplitude * 32767 * std::sin(2 * std::numbers::pi * hz * double(i) / 8000) + noise(random);
    out[i] = int16_t(std::lround(std::clamp(v, -32768.0, 32767.0)));
  }
  return out;
}

TEST(RtpProbeToneAnalysis, FindsTheToneInNoise) {
  for (double hz : {440.0, 1000.0, 3000.0}) {
    auto samples = noisyTone(hz, 0.3, 20, 16000, unsigned(hz));
    ToneAnalysisOptions options;
    options.targetHz = hz;
    ToneAnalysis a = analyseTone(samples, options);
    ASSERT_TRUE(a.hasAudio);
    EXPECT_NEAR(a.frequencyHz, hz, 1.0) << hz;
    EXPECT_NEAR(a.snrDb, 20, 1.5) << hz;
    EXPECT_NEAR(a.levelDbfs, 20 * std::log10(0.3 / std::sqrt(2.0)), 0.5) << hz;
    EXPECT_EQ(a.analysedSamples, 16000u);

    // Measured against another frequency, the same audio has no SNR to speak of.
    options.targetHz = hz + 500;
    EXPECT_LT(analyseTone(samples, options).snrDb, -10) << hz;
  }
}

TEST(RtpProbeToneAnalysis, ThroughG711TheToneStaysClean) {
  for (Codec codec : {Codec::kPcmu, Codec::kPcma}) {
    ToneGenerator tone(1000, 0.5, 8000);
    std::vector<int16_t> pcm(8000);
    tone.fill(pcm);
    for (int16_t& s : pcm)
      s = decode(codec, encode(codec, s));
    ToneAnalysisOptions options;
    options.targetHz = 1000;
    ToneAnalysis a = analyseTone(pcm, options);
    EXPECT_NEAR(a.frequencyHz, 1000, 0.5);
    EXPECT_GT(a.snrDb, 30);  // G.711 at -9 dBFS: about 35 dB
  }
}

TEST(RtpProbeToneAnalysis, SilenceIsLeftOut) {
  std::vector<int16_t> samples(8000, 0);
  EXPECT_FALSE(analyseTone(samples, {}).hasAudio);
  // Half a second of tone between silences (on 20 ms block boundaries): only the tone counts.
  auto tone = noisyTone(1000, 0.3, 40, 4000, 1);
  std::copy(tone.begin(), tone.end(), samples.begin() + 1600);
  std::vector<int16_t> padded(samples);
  padded.insert(padded.end(), 4000, 0);
  ToneAnalysis a = analyseTone(padded, {});
  EXPECT_TRUE(a.hasAudio);
  EXPECT_NEAR(a.frequencyHz, 1000, 1);
  EXPECT_EQ(a.analysedSamples, 4000u);
  EXPECT_EQ(a.silentSamples, 8000u);
}

RtpView audioPacket(uint32_t ssrc, uint16_t seq, uint32_t ts, const std::vector<uint8_t>& payload) {
  RtpView v;
  v.ssrc = ssrc;
  v.seq = seq;
  v.timestamp = ts;
  v.payload = payload;
  return v;
}

TEST(RtpProbeReceiveStats, SequenceWrapIsNoLossButGapsDuplicatesAndReorderingCount) {
  ReceiveStats stats(Codec::kPcmu, 0, 101);
  std::vector<uint8_t> payload(160, 0xFF);
  int64_t t = 1'000'000'000;
  uint16_t seq = 65530;
  for (int i = 0; i < 20; ++i, ++seq, t += 20'000'000) {
    stats.onPacket(audioPacket(7, seq, uint32_t(i * 160), payload), t);
  }
  auto s = stats.streams();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].lost, 0);
  EXPECT_EQ(s[0].firstSeq, 65530);
  EXPECT_EQ(s[0].lastSeq, 13);
  EXPECT_NEAR(s[0].jitterMs, 0, 1e-9);  // perfectly paced

  // Skip two, repeat one, deliver one late.
  stats.onPacket(audioPacket(7, seq + 2, 22 * 160, payload), t);  // 16, gap of 14, 15
  stats.onPacket(audioPacket(7, seq + 2, 22 * 160, payload), t);  // duplicate
  stats.onPacket(audioPacket(7, seq, 20 * 160, payload), t);      // 14, late
  s = stats.streams();
  EXPECT_EQ(s[0].lost, 1);
  EXPECT_EQ(s[0].duplicates, 1u);
  EXPECT_EQ(s[0].reordered, 1u);
  EXPECT_EQ(stats.audio().size(), 22u * 160);  // the duplicate is not decoded twice

  // A new SSRC is a stream of its own, with its own sequence space.
  stats.onPacket(audioPacket(8, 100, 0, payload), t);
  stats.onPacket(audioPacket(8, 101, 160, payload), t + 20'000'000);
  s = stats.streams();
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[1].ssrc, 8u);
  EXPECT_EQ(s[1].lost, 0);
}

TEST(RtpProbeReceiveStats, DigitsOncePerEvent) {
  ReceiveStats stats(Codec::kPcmu, 0, 101);
  uint16_t seq = 1;
  for (auto [event, ts] : {std::pair{1, 1000u}, std::pair{11, 3000u}}) {
    for (int update = 0; update < 6; ++update) {  // updates, then the end three times
      std::vector<uint8_t> body{uint8_t(event), uint8_t(update >= 3 ? 0x8A : 0x0A), 0, 160};
      RtpView v = audioPacket(7, seq++, ts, body);
      v.payloadType = 101;
      stats.onPacket(v, 0);
    }
  }
  EXPECT_EQ(stats.digits(), "1#");
  EXPECT_EQ(stats.streams()[0].lost, 0);
  EXPECT_EQ(stats.audioPackets(), 0u);
}

TEST(RtpProbeRtp, SendTimeExtensionReadsBack) {
  std::vector<uint8_t> packet(12 + kSendTimeExtensionBytes + 3);
  packet[0] = 0x90;  // version 2, extension
  packet[1] = 8;
  writeSendTimeExtension(packet.data() + 12, 0x0102030405060708);
  packet[28] = 0xAA;
  auto v = parseRtp(packet);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->payloadType, 8);
  ASSERT_TRUE(v->sendTimeNs);
  EXPECT_EQ(*v->sendTimeNs, 0x0102030405060708u);
  ASSERT_EQ(v->payload.size(), 3u);
  EXPECT_EQ(v->payload[0], 0xAA);
  packet[0] = 0x80;
  EXPECT_FALSE(parseRtp(packet)->sendTimeNs);
  EXPECT_FALSE(parseRtp(std::span(packet).first(11)));
}

TEST(RtpProbeSrtpKey, ParsesSdesKeysAndNeverQuotesThem) {
  std::string error;
  // 30 bytes: 40 base64 characters.
  auto spec =
      parseSrtpKeySpec("AES_CM_128_HMAC_SHA1_80:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz", error);
  ASSERT_TRUE(spec) << error;
  EXPECT_EQ(spec->key.length, 30);
  EXPECT_EQ(spec->key.bytes[0], 'Y');
  EXPECT_TRUE(parseSrtpKeySpec(
      "AES_CM_128_HMAC_SHA1_32:inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^31", error));
  EXPECT_FALSE(
      parseSrtpKeySpec("AEAD_AES_256_GCM:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz", error));
  EXPECT_NE(error.find("30 bytes"), std::string::npos) << error;
  EXPECT_EQ(error.find("WVNf"), std::string::npos) << error;
  EXPECT_FALSE(parseSrtpKeySpec("AES_CM_128_HMAC_SHA1_80:not*base64!", error));
  EXPECT_EQ(error.find("not*base64"), std::string::npos) << error;
  EXPECT_FALSE(parseSrtpKeySpec("ROT13:abcd", error));
  EXPECT_FALSE(parseSrtpKeySpec("no-colon", error));
}

}  // namespace
}  // namespace sbc::rtpprobe

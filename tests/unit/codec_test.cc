// sbc::codec (mediaplane/codec): each codec on its own, and the one-direction transcoder
// between every pair the issue names, judged on the decoded audio: a 1 kHz tone in, its
// frequency and SNR measured on the far side by rtp-probe's analyser (Welch FFT), not by
// counting packets. Also packetization changes, reordering, loss concealment, the counted
// drops, and no allocation per packet.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "mediaplane/codec/codec.h"
#include "mediaplane/codec/transcoder.h"
#include "tests/unit/counting_malloc.h"
#include "tools/rtp-probe/tone.h"

namespace sbc::codec {
namespace {

using rtpprobe::analyseTone;
using rtpprobe::ToneAnalysisOptions;
using rtpprobe::ToneGenerator;

constexpr double kToneHz = 1000;

struct Analysed {
  double hz = 0;
  double snr = 0;
};

Analysed analyse(const std::vector<int16_t>& pcm, uint32_t rate) {
  ToneAnalysisOptions o;
  o.sampleRate = rate;
  o.targetHz = kToneHz;
  // Codec start-up (filters settling, Opus's first frames) is not the steady state.
  const size_t skip = std::min(pcm.size(), static_cast<size_t>(rate / 5));
  auto a = analyseTone({pcm.data() + skip, pcm.size() - skip}, o);
  EXPECT_TRUE(a.hasAudio);
  return {a.frequencyHz, a.snrDb};
}

// A sender of `codec` at `ptimeMs`: RTP packets carrying a continuous tone.
class Sender {
 public:
  Sender(Codec codec, int ptimeMs, uint8_t pt)
      : codec_(codec),
        ptime_(ptimeMs),
        pt_(pt),
        tone_(kToneHz, 0.5, info(codec).pcmRate),
        pcm_(static_cast<size_t>(samplesPerPacket(codec, ptimeMs))) {
    std::string error;
    encoder_ = makeEncoder(codec, {}, error);
    EXPECT_TRUE(encoder_) << error;
  }
  std::vector<uint8_t> next() {
    tone_.fill(pcm_);
    std::vector<uint8_t> p(12 + kMaxPayload);
    const int n = encoder_->encode(pcm_, {p.data() + 12, kMaxPayload});
    EXPECT_GT(n, 0);
    p.resize(12 + static_cast<size_t>(std::max(n, 0)));
    p[0] = 0x80;
    p[1] = pt_;
    p[2] = static_cast<uint8_t>(seq_ >> 8);
    p[3] = static_cast<uint8_t>(seq_);
    for (int i = 0; i < 4; ++i)
      p[4 + i] = static_cast<uint8_t>(ts_ >> (24 - 8 * i));
    p[8] = 0x12;
    ++seq_;
    ts_ += timestampStep(codec_, ptime_);
    return p;
  }
  void setSeq(uint16_t s) { seq_ = s; }
  void skipTime(uint32_t ticks) { ts_ += ticks; }  // a pause: no packets, the clock runs on
  uint16_t seq() const { return seq_; }

 private:
  Codec codec_;
  int ptime_;
  uint8_t pt_;
  ToneGenerator tone_;
  std::vector<int16_t> pcm_;
  std::unique_ptr<Encoder> encoder_;
  uint16_t seq_ = 100;
  uint32_t ts_ = 5000;
};

// A receiver of `codec`: decodes what it gets, checks the RTP header runs on.
class Receiver {
 public:
  Receiver(Codec codec, uint8_t pt, int ptimeMs, bool steady = true)
      : codec_(codec), pt_(pt), ptime_(ptimeMs), steady_(steady) {
    std::string error;
    decoder_ = makeDecoder(codec, error);
    EXPECT_TRUE(decoder_) << error;
  }
  void take(std::span<const uint8_t> p) {
    ASSERT_GE(p.size(), 13u);
    EXPECT_EQ(p[0], 0x80);
    EXPECT_EQ(p[1] & 0x7f, pt_);
    const auto seq = static_cast<uint16_t>(p[2] << 8 | p[3]);
    const uint32_t ts = static_cast<uint32_t>(p[4]) << 24 | p[5] << 16 | p[6] << 8 | p[7];
    if (packets_ > 0) {
      EXPECT_EQ(seq, static_cast<uint16_t>(lastSeq_ + 1));
      if (steady_) {
        EXPECT_EQ(ts - lastTs_, timestampStep(codec_, ptime_));
      }
    }
    timestamps.push_back(ts);
    markers.push_back((p[1] & 0x80) != 0);
    lastSeq_ = seq;
    lastTs_ = ts;
    ++packets_;
    std::vector<int16_t> pcm(kMaxPacketSamples);
    const int n = decoder_->decode(p.subspan(12), pcm);
    ASSERT_EQ(n, samplesPerPacket(codec_, ptime_));
    audio_.insert(audio_.end(), pcm.begin(), pcm.begin() + n);
  }
  Analysed result() const { return analyse(audio_, info(codec_).pcmRate); }
  size_t packets() const { return packets_; }
  std::vector<uint32_t> timestamps;
  std::vector<bool> markers;

 private:
  Codec codec_;
  uint8_t pt_;
  int ptime_;
  bool steady_;
  std::unique_ptr<Decoder> decoder_;
  std::vector<int16_t> audio_;
  uint16_t lastSeq_ = 0;
  uint32_t lastTs_ = 0;
  size_t packets_ = 0;
};

std::unique_ptr<Transcoder> make(Codec from, Codec to, int outPtime, uint8_t outPt = 96) {
  TranscoderConfig c;
  c.from = from;
  c.to = to;
  c.outPtimeMs = outPtime;
  c.outPayloadType = outPt;
  c.outSsrc = 0xabcdef01;
  c.outFirstSeq = 65530;  // the output wraps during every test
  std::string error;
  auto t = Transcoder::create(c, error);
  EXPECT_TRUE(t) << error;
  return t;
}

void popAll(Transcoder& t, Receiver& r) {
  std::vector<uint8_t> buf(t.maxPacketSize());
  for (size_t n; (n = t.pop(buf)) > 0;)
    r.take({buf.data(), n});
}

// The figures a codec reaches on a clean 1 kHz tone here (measured, with margin): the
// transcoded tone must keep them.
double minimumSnr(Codec c) {
  switch (c) {
    case Codec::kPcmu:
    case Codec::kPcma:
      return 30;  // measured 34-35 dB
    case Codec::kG722:
      return 40;  // 48
    case Codec::kOpus:
      return 40;  // 48 (24 kbit/s, complexity 5)
    case Codec::kG729:
      return 25;  // 33.5
  }
  return 0;
}

TEST(Codec, NamesAndClocks) {
  EXPECT_EQ(codecByName("PCMU", 8000), Codec::kPcmu);
  EXPECT_EQ(codecByName("pcma", 8000), Codec::kPcma);
  EXPECT_EQ(codecByName("G722", 8000), Codec::kG722);  // RFC 3551: 8000 in SDP, 16 kHz audio
  EXPECT_EQ(codecByName("OPUS", 48000), Codec::kOpus);
  EXPECT_EQ(codecByName("G729", 8000), Codec::kG729);
  EXPECT_FALSE(codecByName("G722", 16000));
  EXPECT_FALSE(codecByName("opus", 16000));
  EXPECT_FALSE(codecByName("GSM", 8000));
  EXPECT_EQ(samplesPerPacket(Codec::kG722, 20), 320);
  EXPECT_EQ(timestampStep(Codec::kG722, 20), 160u);
  EXPECT_EQ(timestampStep(Codec::kOpus, 20), 960u);
}

TEST(Codec, EachCodecCarriesATone) {
  for (const CodecInfo& c : allCodecs()) {
    Sender s(c.codec, 20, 0);
    Receiver r(c.codec, 0, 20);
    for (int i = 0; i < 100; ++i)
      r.take(s.next());
    const Analysed a = r.result();
    std::printf("%s alone: %.1f Hz, SNR %.1f dB\n", std::string(c.name).c_str(), a.hz, a.snr);
    EXPECT_NEAR(a.hz, kToneHz, 5) << c.name;
    EXPECT_GT(a.snr, minimumSnr(c.codec)) << c.name;
  }
}

TEST(Codec, BadPayloadsAreRefusedNotCrashed) {
  std::string error;
  std::vector<int16_t> pcm(kMaxPacketSamples);
  auto g729 = makeDecoder(Codec::kG729, error);
  const uint8_t seven[7] = {};
  EXPECT_EQ(g729->decode(seven, pcm), -1);  // not 10-byte frames (nor a 2-byte SID)
  auto pcmu = makeDecoder(Codec::kPcmu, error);
  std::vector<uint8_t> huge(kMaxPacketSamples + 1);
  EXPECT_EQ(pcmu->decode(huge, pcm), -1);
  auto opus = makeDecoder(Codec::kOpus, error);
  const uint8_t junk[3] = {0xff, 0xff, 0xff};  // code 3, a frame count of 63: invalid
  EXPECT_EQ(opus->decode(junk, pcm), -1);
  EncoderOptions bad;
  bad.opusComplexity = 11;
  EXPECT_FALSE(makeEncoder(Codec::kOpus, bad, error));
  EXPECT_NE(error.find("complexity"), std::string::npos);
}

struct Pair {
  Codec from;
  Codec to;
  int inPtime;
  int outPtime;
};

TEST(Transcoder, EveryPairCarriesTheTone) {
  const Pair pairs[] = {
      {Codec::kPcmu, Codec::kPcma, 20, 20}, {Codec::kPcma, Codec::kPcmu, 20, 20},
      {Codec::kPcmu, Codec::kG722, 20, 20}, {Codec::kG722, Codec::kPcmu, 20, 20},
      {Codec::kPcmu, Codec::kOpus, 20, 20}, {Codec::kOpus, Codec::kPcmu, 20, 20},
      {Codec::kPcmu, Codec::kG729, 20, 20}, {Codec::kG729, Codec::kPcmu, 20, 20},
      {Codec::kOpus, Codec::kG722, 20, 20}, {Codec::kG722, Codec::kOpus, 20, 20},
      {Codec::kPcmu, Codec::kPcmu, 20, 30}, {Codec::kPcma, Codec::kOpus, 30, 20},
      {Codec::kPcmu, Codec::kOpus, 20, 30}, {Codec::kG729, Codec::kG722, 40, 10},
  };
  for (const Pair& p : pairs) {
    const std::string what = std::string(info(p.from).name) + "/" + std::to_string(p.inPtime) +
                             " -> " + std::string(info(p.to).name) + "/" +
                             std::to_string(p.outPtime);
    auto t = make(p.from, p.to, p.outPtime, 97);
    ASSERT_TRUE(t) << what;
    Sender s(p.from, p.inPtime, 0);
    Receiver r(p.to, 97, p.outPtime);
    const int packets = 3000 / p.inPtime;  // 3 s of audio
    for (int i = 0; i < packets; ++i) {
      t->push(s.next(), 0);
      popAll(*t, r);
    }
    // Every input sample went out but for the part of a packet still being framed.
    EXPECT_GE(r.packets() * static_cast<size_t>(p.outPtime) + static_cast<size_t>(p.outPtime),
              static_cast<size_t>(packets * p.inPtime))
        << what;
    const Analysed a = r.result();
    std::printf("%s: %.1f Hz, SNR %.1f dB\n", what.c_str(), a.hz, a.snr);  // for the record
    EXPECT_NEAR(a.hz, kToneHz, 5) << what;
    EXPECT_GT(a.snr, std::min(minimumSnr(p.from), minimumSnr(p.to)) - 3) << what;
    EXPECT_EQ(t->stats().concealed + t->stats().late + t->stats().malformed, 0u) << what;
  }
}

TEST(Transcoder, ReorderedPacketsArePlayedInOrder) {
  auto t = make(Codec::kPcmu, Codec::kOpus, 20);
  Sender s(Codec::kPcmu, 20, 0);
  Receiver r(Codec::kOpus, 96, 20);
  t->push(s.next(), 0);  // the first packet arrives first: the stream starts there
  for (int i = 0; i < 148; i += 2) {
    auto a = s.next();
    auto b = s.next();
    t->push(b, 0);  // every pair swapped
    t->push(a, 0);
    popAll(*t, r);
  }
  EXPECT_EQ(t->stats().concealed, 0u);
  EXPECT_EQ(t->stats().reordered, 74u);
  EXPECT_EQ(t->stats().late, 0u);
  const Analysed a = r.result();
  EXPECT_NEAR(a.hz, kToneHz, 5);
  EXPECT_GT(a.snr, minimumSnr(Codec::kPcmu) - 3);  // the source's quality bounds it
}

TEST(Transcoder, LossOnTheOpusLegIsConcealed) {
  // 5% loss on the Opus side: its PLC fills the gaps and the tone stays clean.
  auto t = make(Codec::kOpus, Codec::kPcmu, 20, 0);
  Sender s(Codec::kOpus, 20, 111);
  Receiver r(Codec::kPcmu, 0, 20);
  std::mt19937 random(3);
  int lost = 0;
  uint64_t now = 0;
  for (int i = 0; i < 250; ++i, now += 20) {
    auto p = s.next();
    if (i > 10 && i < 249 && random() % 20 == 0) {  // the last one arrives: it ends a gap
      ++lost;
      continue;
    }
    t->push(p, now);
    t->expire(now);
    popAll(*t, r);
  }
  t->expire(now + 1000);
  popAll(*t, r);
  ASSERT_GT(lost, 5);
  EXPECT_EQ(t->stats().concealed, static_cast<uint64_t>(lost));
  // The output's timeline is whole: concealment took the lost packets' places (less the
  // resampler's few milliseconds of filter delay still inside it: one packet at most).
  EXPECT_GE(r.packets(), 249u);
  EXPECT_LE(r.packets(), 250u);
  const Analysed a = r.result();
  std::printf("opus with %d of 250 lost -> PCMU: %.1f Hz, SNR %.1f dB\n", lost, a.hz, a.snr);
  EXPECT_NEAR(a.hz, kToneHz, 5);
  EXPECT_GT(a.snr, 15);
}

TEST(Transcoder, AHeldPacketWaitsNoLongerThanTheWindow) {
  auto t = make(Codec::kPcmu, Codec::kPcma, 20, 8);
  Sender s(Codec::kPcmu, 20, 0);
  std::vector<uint8_t> out(t->maxPacketSize());
  t->push(s.next(), 0);
  EXPECT_GT(t->pop(out), 0u);
  s.next();               // lost
  t->push(s.next(), 20);  // held behind the gap
  EXPECT_EQ(t->pop(out), 0u);
  t->expire(59);
  EXPECT_EQ(t->pop(out), 0u);
  t->expire(80);  // 60 ms: the gap is given up, concealed, and the held packet played
  EXPECT_GT(t->pop(out), 0u);
  EXPECT_GT(t->pop(out), 0u);
  EXPECT_EQ(t->stats().concealed, 1u);
}

TEST(Transcoder, LateDuplicateAndMalformedPacketsAreCountedDrops) {
  auto t = make(Codec::kPcmu, Codec::kG722, 20);
  Sender s(Codec::kPcmu, 20, 0);
  auto first = s.next();
  t->push(first, 0);
  t->push(first, 0);  // a duplicate of what was played: late
  s.next();
  auto third = s.next();
  t->push(third, 0);
  t->push(third, 0);  // a duplicate of a held packet
  const uint8_t notRtp[20] = {0x40};
  t->push(notRtp, 0);
  std::vector<uint8_t> padded = s.next();
  padded[0] |= 0x20;
  padded.back() = 200;  // padding longer than the packet
  t->push(padded, 0);
  EXPECT_EQ(t->stats().late, 1u);
  EXPECT_EQ(t->stats().duplicates, 1u);
  EXPECT_EQ(t->stats().malformed, 2u);
  EXPECT_EQ(t->stats().packetsIn, 6u);
}

class TranscoderTiming : public ::testing::Test {};

TEST(Transcoder, ASequenceRestartIsFollowedNotConcealed) {
  auto t = make(Codec::kPcmu, Codec::kPcma, 20, 8);
  Sender s(Codec::kPcmu, 20, 0);
  Receiver r(Codec::kPcma, 8, 20);
  for (int i = 0; i < 100; ++i) {
    if (i == 50) s.setSeq(30000);  // the sender restarted
    t->push(s.next(), 0);
    popAll(*t, r);
  }
  // The first packet of the new sequence is held to probation (RFC 3550 A.1), the second
  // confirms it: one packet lost, nothing concealed.
  EXPECT_EQ(t->stats().concealed, 0u);
  EXPECT_EQ(t->stats().resyncs, 1u);
  EXPECT_EQ(t->stats().late, 1u);
  EXPECT_EQ(r.packets(), 99u);
}

TEST_F(TranscoderTiming, AStrayOldPacketIsDroppedAndNotFollowed) {
  auto t = make(Codec::kPcmu, Codec::kPcma, 20, 8);
  Sender s(Codec::kPcmu, 20, 0);
  Receiver r(Codec::kPcma, 8, 20);
  std::vector<uint8_t> old;
  for (int i = 0; i < 100; ++i) {
    auto p = s.next();
    if (i == 5) old = p;
    t->push(p, 0);
    if (i == 80) t->push(old, 0);  // 75 behind: a stray, not a restart
    popAll(*t, r);
  }
  EXPECT_EQ(t->stats().late, 1u);
  EXPECT_EQ(t->stats().resyncs, 0u);
  EXPECT_EQ(t->stats().concealed, 0u);
  EXPECT_EQ(r.packets(), 100u);  // and the receiver saw steady sequence and timestamps
}

TEST_F(TranscoderTiming, AFullWindowConcealsOnlyWhatIsMissing) {
  auto t = make(Codec::kPcmu, Codec::kPcma, 20, 8);  // 4 slots
  Sender s(Codec::kPcmu, 20, 0);
  Receiver r(Codec::kPcma, 8, 20);
  std::vector<std::vector<uint8_t>> p;
  for (int i = 0; i < 20; ++i)
    p.push_back(s.next());
  for (int i = 0; i < 10; ++i)
    t->push(p[static_cast<size_t>(i)], 0);
  // 10 is lost; 12-15 fill the window; then 11 arrives: only 10 is concealed.
  for (int i : {12, 13, 14, 15, 11, 16, 17, 18, 19})
    t->push(p[static_cast<size_t>(i)], 0);
  popAll(*t, r);
  EXPECT_EQ(t->stats().concealed, 1u);
  EXPECT_EQ(t->stats().late, 0u);
  EXPECT_EQ(r.packets(), 20u);
}

TEST_F(TranscoderTiming, SilenceInTheInputIsSkippedInTheOutputClock) {
  // A sender that pauses 1 s (silence suppression: the sequence runs on, the timestamp
  // jumps): the output's timestamps jump as much, with the marker, and nothing is concealed.
  auto t = make(Codec::kPcmu, Codec::kG722, 20, 9);
  Sender s(Codec::kPcmu, 20, 0);
  Receiver r(Codec::kG722, 9, 20, /*steady=*/false);
  for (int i = 0; i < 20; ++i) {
    if (i == 10) s.skipTime(8000);
    t->push(s.next(), 0);
    popAll(*t, r);
  }
  EXPECT_EQ(t->stats().concealed, 0u);
  ASSERT_GE(r.packets(), 19u);
  // G.722's RTP clock is 8000 too: 1 s is 8000 ticks, and the 20 ms packets step 160.
  // Exact but for the resampler's few milliseconds of delay (audio still in its filter at
  // the pause comes out after it).
  const double total = r.timestamps.back() - r.timestamps.front();
  EXPECT_NEAR(total, (r.packets() - 1) * 160.0 + 8000.0, 40.0);
  bool markedAfterThePause = false;
  for (size_t i = 1; i < r.timestamps.size(); ++i) {
    const uint32_t step = r.timestamps[i] - r.timestamps[i - 1];
    EXPECT_TRUE(step == 160u || step > 160u) << i;
    if (step > 160u) markedAfterThePause = r.markers[i];
  }
  EXPECT_TRUE(markedAfterThePause);
}

TEST_F(TranscoderTiming, ALongLossIsConcealedBrieflyThenSkipped) {
  // 30 packets (600 ms) lost: 5 packets' worth of concealment, the rest skipped in the
  // output's clock; nothing overflows though the caller pops after every push.
  auto t = make(Codec::kOpus, Codec::kPcmu, 20, 0);
  Sender s(Codec::kOpus, 20, 111);
  Receiver r(Codec::kPcmu, 0, 20, /*steady=*/false);
  for (int i = 0; i < 60; ++i) {
    auto p = s.next();
    if (i >= 20 && i < 50) continue;
    t->push(p, static_cast<uint64_t>(i) * 20);
    t->expire(static_cast<uint64_t>(i) * 20);
    popAll(*t, r);
  }
  EXPECT_EQ(t->stats().concealed, 30u);
  EXPECT_EQ(t->stats().outputOverflow, 0u);
  // 30 received + 5 concealed (+1 for a padded partial frame at most), the resampler's delay
  // aside.
  EXPECT_GE(r.packets(), 34u);
  EXPECT_LE(r.packets(), 36u);
  // The timeline is whole: 60 packets of 20 ms from the first output to the last.
  const uint32_t span = r.timestamps.back() - r.timestamps.front();
  EXPECT_GE(span, 58u * 160u);
  EXPECT_LE(span, 59u * 160u);
}

TEST_F(TranscoderTiming, OtherPayloadTypesAreNotDecoded) {
  TranscoderConfig c;
  c.from = Codec::kPcmu;
  c.to = Codec::kPcma;
  c.inPayloadType = 0;
  c.outPayloadType = 8;
  std::string error;
  auto t = Transcoder::create(c, error);
  ASSERT_TRUE(t) << error;
  Sender s(Codec::kPcmu, 20, 101);  // e.g. RFC 4733 events on the same stream
  t->push(s.next(), 0);
  EXPECT_EQ(t->stats().otherPayload, 1u);
  EXPECT_EQ(t->stats().framesDecoded, 0u);
}

TEST(Transcoder, ConfigurationsItCannotRunAreRefused) {
  TranscoderConfig c;
  c.to = Codec::kG729;
  c.outPtimeMs = 25;
  std::string error;
  EXPECT_FALSE(Transcoder::create(c, error));
  EXPECT_NE(error.find("ptime 25"), std::string::npos) << error;
  c.outPtimeMs = 20;
  c.reorderPackets = 0;
  EXPECT_FALSE(Transcoder::create(c, error));
}

TEST(Transcoder, NothingIsAllocatedPerPacket) {
#if SBC_COUNT_MALLOC
  for (Codec to : {Codec::kOpus, Codec::kG722, Codec::kG729}) {
    auto t = make(Codec::kPcmu, to, 30);
    Sender s(Codec::kPcmu, 20, 0);
    std::vector<std::vector<uint8_t>> packets;
    for (int i = 0; i < 200; ++i)
      packets.push_back(s.next());
    std::swap(packets[50], packets[51]);
    packets.erase(packets.begin() + 100);
    std::vector<uint8_t> out(t->maxPacketSize());
    for (int i = 0; i < 20; ++i)  // warm-up: libraries' first-use set-up
      t->push(packets[static_cast<size_t>(i)], 0);
    const unsigned long mark = t_allocations;
    for (size_t i = 20; i < packets.size(); ++i) {
      t->push(packets[i], 0);
      while (t->pop(out) > 0) {
      }
    }
    t->expire(1000);
    EXPECT_EQ(t_allocations - mark, 0u) << info(to).name;
    EXPECT_EQ(t->stats().concealed, 1u);
  }
#else
  GTEST_SKIP() << "allocation counting is off under AddressSanitizer (it owns malloc)";
#endif
}

}  // namespace
}  // namespace sbc::codec

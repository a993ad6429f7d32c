#pragma once

// The audio codecs the media plane transcodes between (README.md here): their SDP names and
// clocks, and one stream direction's decoder and encoder over the codec libraries (spandsp
// for G.711, G.722 and G.711's loss concealment, libopus, bcg729).
//
// Decoders and encoders are made and freed on a control thread; decode, conceal and encode
// allocate nothing, and one object belongs to one thread at a time. PCM is 16-bit mono at
// the codec's own sampling rate (CodecInfo::pcmRate).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sbc::codec {

enum class Codec : uint8_t { kPcmu, kPcma, kG722, kOpus, kG729 };
inline constexpr int kCodecCount = 5;

struct CodecInfo {
  Codec codec;
  std::string_view name;  // the a=rtpmap encoding name, as written in SDP
  uint32_t rtpClock;      // the a=rtpmap clock rate (G.722: 8000, RFC 3551 4.5.2; Opus: 48000)
  int staticPayloadType;  // RFC 3551, or -1 (dynamic)
  uint32_t pcmRate;       // the rate the codec samples at here (Opus runs at 16 kHz)
  int frameMs;            // the smallest frame a packet carries a whole number of
};

const CodecInfo& info(Codec codec);
// By SDP encoding name (any case) and clock rate: "PCMU"/8000, "G722"/8000, "opus"/48000, ...
std::optional<Codec> codecByName(std::string_view name, uint32_t rtpClock);
// The names, for "did you mean" and the docs.
std::span<const CodecInfo> allCodecs();

// Samples of one packet of `ptimeMs` at the codec's PCM rate, and the RTP timestamp step.
inline int samplesPerPacket(Codec c, int ptimeMs) {
  return static_cast<int>(info(c).pcmRate / 1000) * ptimeMs;
}
inline uint32_t timestampStep(Codec c, int ptimeMs) {
  return info(c).rtpClock / 1000 * static_cast<uint32_t>(ptimeMs);
}

struct EncoderOptions {
  int opusComplexity = 5;   // 0-10: the default; encoding cost grows with it
  int opusBitrate = 24000;  // bit/s, wideband speech
};

class Decoder {
 public:
  virtual ~Decoder() = default;
  // One RTP payload into `pcm`: the samples written, or -1 when the payload is not a whole
  // number of frames or does not fit `pcm` (a counted drop, never a crash).
  virtual int decode(std::span<const uint8_t> payload, std::span<int16_t> pcm) = 0;
  // Audio for a lost packet of `pcm.size()` samples, from the codec's own concealment
  // (Opus, G.729) or spandsp's (G.711, G.722). Samples written, or -1.
  virtual int conceal(std::span<int16_t> pcm) = 0;
};

class Encoder {
 public:
  virtual ~Encoder() = default;
  // One packet's PCM (a whole number of frames) into `out`: the bytes written, or -1.
  virtual int encode(std::span<const int16_t> pcm, std::span<uint8_t> out) = 0;
};

// Null, with `error` set, when the library refuses (out of memory, a bad option).
std::unique_ptr<Decoder> makeDecoder(Codec codec, std::string& error);
std::unique_ptr<Encoder> makeEncoder(Codec codec, const EncoderOptions& options,
                                     std::string& error);

// The largest payload a packet of up to kMaxPtimeMs takes in any codec here (G.711, 60 ms).
inline constexpr int kMaxPtimeMs = 60;
inline constexpr size_t kMaxPayload = 8 * kMaxPtimeMs * 2 + 64;
// The most PCM samples one packet yields (60 ms at 16 kHz).
inline constexpr size_t kMaxPacketSamples = 16 * kMaxPtimeMs;

}  // namespace sbc::codec

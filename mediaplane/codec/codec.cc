#include "mediaplane/codec/codec.h"

// bcg729's headers declare C functions without extern "C".
extern "C" {
#include <bcg729/decoder.h>
#include <bcg729/encoder.h>
}
#include <opus.h>
// spandsp's umbrella header pulls in libtiff for fax; the pieces used here stand alone
// after telephony.h and bit_operations.h, in that order (separate blocks keep it).
#include <spandsp/telephony.h>

#include <spandsp/bit_operations.h>

#include <spandsp/g711.h>
#include <spandsp/g722.h>
#include <spandsp/plc.h>

#include <strings.h>

#include <array>

namespace sbc::codec {

namespace {

constexpr std::array<CodecInfo, kCodecCount> kCodecs = {{
    {Codec::kPcmu, "PCMU", 8000, 0, 8000, 1},
    {Codec::kPcma, "PCMA", 8000, 8, 8000, 1},
    {Codec::kG722, "G722", 8000, 9, 16000, 1},
    {Codec::kOpus, "opus", 48000, -1, 16000, 10},
    {Codec::kG729, "G729", 8000, 18, 8000, 10},
}};

// spandsp's concealment writes a 30-sample overlap on its first call whatever the length
// asked: never less room than this.
constexpr size_t kPlcMinimum = 32;

bool equalNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// --- G.711 (spandsp's inline companders) ----------------------------------------------

class G711Decoder final : public Decoder {
 public:
  G711Decoder(bool ulaw, plc_state_t* plc) : ulaw_(ulaw), plc_(plc) {}
  ~G711Decoder() override { plc_free(plc_); }
  int decode(std::span<const uint8_t> payload, std::span<int16_t> pcm) override {
    if (payload.size() > pcm.size()) return -1;
    for (size_t i = 0; i < payload.size(); ++i)
      pcm[i] = ulaw_ ? ulaw_to_linear(payload[i]) : alaw_to_linear(payload[i]);
    const int n = static_cast<int>(payload.size());
    plc_rx(plc_, pcm.data(), n);  // keeps the recent history concealment repeats
    return n;
  }
  int conceal(std::span<int16_t> pcm) override {
    // plc_fillin writes up to a 30-sample overlap whatever it is asked for.
    if (pcm.size() < kPlcMinimum) return -1;
    return plc_fillin(plc_, pcm.data(), static_cast<int>(pcm.size()));
  }

 private:
  bool ulaw_;
  plc_state_t* plc_;
};

class G711Encoder final : public Encoder {
 public:
  explicit G711Encoder(bool ulaw) : ulaw_(ulaw) {}
  int encode(std::span<const int16_t> pcm, std::span<uint8_t> out) override {
    if (pcm.size() > out.size()) return -1;
    for (size_t i = 0; i < pcm.size(); ++i)
      out[i] = ulaw_ ? linear_to_ulaw(pcm[i]) : linear_to_alaw(pcm[i]);
    return static_cast<int>(pcm.size());
  }

 private:
  bool ulaw_;
};

// --- G.722 (spandsp, 64 kbit/s, 16 kHz PCM) ------------------------------------------------

class G722Decoder final : public Decoder {
 public:
  G722Decoder(g722_decode_state_t* state, plc_state_t* plc) : state_(state), plc_(plc) {}
  ~G722Decoder() override {
    g722_decode_free(state_);
    plc_free(plc_);
  }
  int decode(std::span<const uint8_t> payload, std::span<int16_t> pcm) override {
    if (payload.size() * 2 > pcm.size()) return -1;  // a byte is two 16 kHz samples
    const int n = g722_decode(state_, pcm.data(), payload.data(), static_cast<int>(payload.size()));
    plc_rx(plc_, pcm.data(), n);
    return n;
  }
  // spandsp's concealment is tuned for 8 kHz pitch periods; at 16 kHz it repeats periods
  // twice as short, which still keeps a tone's frequency (tests/unit/codec_test).
  int conceal(std::span<int16_t> pcm) override {
    if (pcm.size() < kPlcMinimum) return -1;
    return plc_fillin(plc_, pcm.data(), static_cast<int>(pcm.size()));
  }

 private:
  g722_decode_state_t* state_;
  plc_state_t* plc_;
};

class G722Encoder final : public Encoder {
 public:
  explicit G722Encoder(g722_encode_state_t* state) : state_(state) {}
  ~G722Encoder() override { g722_encode_free(state_); }
  int encode(std::span<const int16_t> pcm, std::span<uint8_t> out) override {
    if (pcm.size() % 2 != 0 || pcm.size() / 2 > out.size()) return -1;
    return g722_encode(state_, out.data(), pcm.data(), static_cast<int>(pcm.size()));
  }

 private:
  g722_encode_state_t* state_;
};

// --- Opus (libopus at 16 kHz mono; RFC 7587 keeps the RTP clock at 48 kHz) --------------------

constexpr int kOpusRate = 16000;

class OpusDecoderImpl final : public Decoder {
 public:
  explicit OpusDecoderImpl(OpusDecoder* d) : dec_(d) {}
  ~OpusDecoderImpl() override { opus_decoder_destroy(dec_); }
  int decode(std::span<const uint8_t> payload, std::span<int16_t> pcm) override {
    if (payload.empty()) return -1;
    const int n = opus_decode(dec_, payload.data(), static_cast<opus_int32>(payload.size()),
                              pcm.data(), static_cast<int>(pcm.size()), 0);
    return n < 0 ? -1 : n;
  }
  int conceal(std::span<int16_t> pcm) override {
    // Opus conceals in multiples of 2.5 ms: ask for what was lost, rounded down to that.
    const int unit = kOpusRate / 400;
    const int want = static_cast<int>(pcm.size()) / unit * unit;
    if (want == 0) return -1;
    const int n = opus_decode(dec_, nullptr, 0, pcm.data(), want, 0);
    return n < 0 ? -1 : n;
  }

 private:
  OpusDecoder* dec_;
};

class OpusEncoderImpl final : public Encoder {
 public:
  explicit OpusEncoderImpl(OpusEncoder* e) : enc_(e) {}
  ~OpusEncoderImpl() override {
    if (rp_ != nullptr) opus_repacketizer_destroy(rp_);
    opus_encoder_destroy(enc_);
  }
  int encode(std::span<const int16_t> pcm, std::span<uint8_t> out) override {
    // One Opus frame takes 2.5-60 ms; a 30 ms packet is three 10 ms frames.
    const int samples = static_cast<int>(pcm.size());
    const int ms = samples * 1000 / kOpusRate;
    if (ms == 10 || ms == 20 || ms == 40 || ms == 60) {
      const int n =
          opus_encode(enc_, pcm.data(), samples, out.data(), static_cast<opus_int32>(out.size()));
      return n < 0 ? -1 : n;
    }
    if (ms % 10 != 0 || ms > kMaxPtimeMs) return -1;
    opus_repacketizer_init(rp_);
    const int frame = kOpusRate / 100;
    size_t used = 0;
    for (int i = 0; i < samples / frame; ++i) {
      uint8_t* at = frames_.data() + used;
      const int n = opus_encode(enc_, pcm.data() + i * frame, frame, at,
                                static_cast<opus_int32>(frames_.size() - used));
      if (n < 0 || opus_repacketizer_cat(rp_, at, n) != OPUS_OK) return -1;
      used += static_cast<size_t>(n);
    }
    const int n = opus_repacketizer_out(rp_, out.data(), static_cast<opus_int32>(out.size()));
    return n < 0 ? -1 : n;
  }
  bool ready() const { return rp_ != nullptr; }
  void setRepacketizer(OpusRepacketizer* rp) { rp_ = rp; }

 private:
  OpusEncoder* enc_;
  OpusRepacketizer* rp_ = nullptr;
  std::array<uint8_t, kMaxPayload> frames_{};
};

// --- G.729 (bcg729, Annex A decoder-compatible, VAD off) ------------------------------------

constexpr int kG729Frame = 80;  // 10 ms at 8 kHz
constexpr int kG729Bytes = 10;

class G729Decoder final : public Decoder {
 public:
  explicit G729Decoder(bcg729DecoderChannelContextStruct* d) : dec_(d) {}
  ~G729Decoder() override { closeBcg729DecoderChannel(dec_); }
  int decode(std::span<const uint8_t> payload, std::span<int16_t> pcm) override {
    // Whole 10-byte frames, then at most one 2-byte comfort-noise frame (RFC 3551 4.5.6).
    const size_t frames = payload.size() / kG729Bytes;
    const size_t rest = payload.size() % kG729Bytes;
    if ((rest != 0 && rest != 2) || (frames + (rest ? 1 : 0)) * kG729Frame > pcm.size()) return -1;
    size_t at = 0;
    for (size_t f = 0; f < frames; ++f, at += kG729Frame)
      bcg729Decoder(dec_, payload.data() + f * kG729Bytes, kG729Bytes, 0, 0, 0, pcm.data() + at);
    if (rest == 2) {
      bcg729Decoder(dec_, payload.data() + frames * kG729Bytes, 2, 0, 1, 0, pcm.data() + at);
      at += kG729Frame;
    }
    return static_cast<int>(at);
  }
  int conceal(std::span<int16_t> pcm) override {
    const size_t frames = pcm.size() / kG729Frame;
    if (frames == 0) return -1;
    for (size_t f = 0; f < frames; ++f)
      bcg729Decoder(dec_, nullptr, 0, 1, 0, 0, pcm.data() + f * kG729Frame);
    return static_cast<int>(frames * kG729Frame);
  }

 private:
  bcg729DecoderChannelContextStruct* dec_;
};

class G729Encoder final : public Encoder {
 public:
  explicit G729Encoder(bcg729EncoderChannelContextStruct* e) : enc_(e) {}
  ~G729Encoder() override { closeBcg729EncoderChannel(enc_); }
  int encode(std::span<const int16_t> pcm, std::span<uint8_t> out) override {
    const size_t frames = pcm.size() / kG729Frame;
    if (pcm.size() % kG729Frame != 0 || frames * kG729Bytes > out.size()) return -1;
    size_t used = 0;
    for (size_t f = 0; f < frames; ++f) {
      uint8_t length = 0;
      bcg729Encoder(enc_, pcm.data() + f * kG729Frame, out.data() + used, &length);
      used += length;
    }
    return static_cast<int>(used);
  }

 private:
  bcg729EncoderChannelContextStruct* enc_;
};

}  // namespace

const CodecInfo& info(Codec codec) {
  return kCodecs[static_cast<size_t>(codec)];
}

std::optional<Codec> codecByName(std::string_view name, uint32_t rtpClock) {
  for (const CodecInfo& c : kCodecs)
    if (equalNoCase(c.name, name) && c.rtpClock == rtpClock) return c.codec;
  return std::nullopt;
}

std::span<const CodecInfo> allCodecs() {
  return kCodecs;
}

std::unique_ptr<Decoder> makeDecoder(Codec codec, std::string& error) {
  switch (codec) {
    case Codec::kPcmu:
    case Codec::kPcma: {
      plc_state_t* plc = plc_init(nullptr);
      if (plc == nullptr) {
        error = "G.711 decoder: no memory for spandsp's concealment";
        return nullptr;
      }
      return std::make_unique<G711Decoder>(codec == Codec::kPcmu, plc);
    }
    case Codec::kG722: {
      g722_decode_state_t* state = g722_decode_init(nullptr, 64000, 0);
      plc_state_t* plc = plc_init(nullptr);
      if (state == nullptr || plc == nullptr) {
        if (state != nullptr) g722_decode_free(state);
        if (plc != nullptr) plc_free(plc);
        error = "G.722 decoder: spandsp could not make its state";
        return nullptr;
      }
      return std::make_unique<G722Decoder>(state, plc);
    }
    case Codec::kOpus: {
      int status = OPUS_OK;
      OpusDecoder* d = opus_decoder_create(kOpusRate, 1, &status);
      if (d == nullptr) {
        error = std::string("opus decoder: ") + opus_strerror(status);
        return nullptr;
      }
      return std::make_unique<OpusDecoderImpl>(d);
    }
    case Codec::kG729: {
      bcg729DecoderChannelContextStruct* d = initBcg729DecoderChannel();
      if (d == nullptr) {
        error = "G.729 decoder: bcg729 could not make a channel";
        return nullptr;
      }
      return std::make_unique<G729Decoder>(d);
    }
  }
  error = "unknown codec";
  return nullptr;
}

std::unique_ptr<Encoder> makeEncoder(Codec codec, const EncoderOptions& options,
                                     std::string& error) {
  switch (codec) {
    case Codec::kPcmu:
    case Codec::kPcma:
      return std::make_unique<G711Encoder>(codec == Codec::kPcmu);
    case Codec::kG722: {
      g722_encode_state_t* state = g722_encode_init(nullptr, 64000, 0);
      if (state == nullptr) {
        error = "G.722 encoder: spandsp could not make its state";
        return nullptr;
      }
      return std::make_unique<G722Encoder>(state);
    }
    case Codec::kOpus: {
      if (options.opusComplexity < 0 || options.opusComplexity > 10) {
        error = "opus complexity must be 0-10";
        return nullptr;
      }
      int status = OPUS_OK;
      OpusEncoder* e = opus_encoder_create(kOpusRate, 1, OPUS_APPLICATION_VOIP, &status);
      if (e == nullptr) {
        error = std::string("opus encoder: ") + opus_strerror(status);
        return nullptr;
      }
      auto enc = std::make_unique<OpusEncoderImpl>(e);
      if (opus_encoder_ctl(e, OPUS_SET_COMPLEXITY(options.opusComplexity)) != OPUS_OK ||
          opus_encoder_ctl(e, OPUS_SET_BITRATE(options.opusBitrate)) != OPUS_OK ||
          opus_encoder_ctl(e, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE)) != OPUS_OK) {
        error = "opus encoder: bitrate or complexity refused";
        return nullptr;
      }
      enc->setRepacketizer(opus_repacketizer_create());
      if (!enc->ready()) {
        error = "opus encoder: no memory for the repacketizer";
        return nullptr;
      }
      return enc;
    }
    case Codec::kG729: {
      bcg729EncoderChannelContextStruct* e = initBcg729EncoderChannel(0);
      if (e == nullptr) {
        error = "G.729 encoder: bcg729 could not make a channel";
        return nullptr;
      }
      return std::make_unique<G729Encoder>(e);
    }
  }
  error = "unknown codec";
  return nullptr;
}

}  // namespace sbc::codec

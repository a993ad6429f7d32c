#include "mediaplane/codec/transcoder.h"

#include <speex/speex_resampler.h>

#include <algorithm>
#include <cstring>

namespace sbc::codec {

namespace {

constexpr size_t kOutSlots = 16;
// A gap longer than this is a restart (a new talk spurt after a pause, a sender that
// restarted its sequence), not a loss: nothing is concealed, the stream resynchronizes.
constexpr int kMaxGapPackets = 50;
// Concealment beyond this many packets in a row is silence rather than invented audio.
constexpr int kMaxConcealPackets = 5;
constexpr int kResamplerQuality = 3;  // speexdsp: 0-10; 3 is its VoIP default

// The payload of an RFC 3550 packet, or empty when it is not one.
std::span<const uint8_t> rtpPayload(std::span<const uint8_t> p) {
  if (p.size() < 12 || (p[0] >> 6) != 2) return {};
  size_t h = 12 + 4 * static_cast<size_t>(p[0] & 0x0f);
  if (p[0] & 0x10) {
    if (h + 4 > p.size()) return {};
    h += 4 + 4 * static_cast<size_t>(p[h + 2] << 8 | p[h + 3]);
  }
  size_t end = p.size();
  if (p[0] & 0x20) {
    const size_t pad = p[end - 1];
    if (pad == 0 || pad > end) return {};
    end -= pad;
  }
  if (h >= end) return {};
  return p.subspan(h, end - h);
}

bool ptimeFits(Codec c, int ptimeMs) {
  return ptimeMs >= 10 && ptimeMs <= kMaxPtimeMs && ptimeMs % info(c).frameMs == 0 &&
         ptimeMs % 10 == 0;
}

}  // namespace

std::unique_ptr<Transcoder> Transcoder::create(const TranscoderConfig& config, std::string& error) {
  if (!ptimeFits(config.to, config.outPtimeMs)) {
    error = "ptime " + std::to_string(config.outPtimeMs) + " ms cannot be framed as " +
            std::string(info(config.to).name) + " (10-60 ms, in steps of 10)";
    return nullptr;
  }
  if (config.reorderPackets < 1 || config.reorderPackets > 8 || config.reorderMs < 0) {
    error = "reorder window must hold 1-8 packets";
    return nullptr;
  }
  std::unique_ptr<Transcoder> t(new Transcoder());
  t->config_ = config;
  t->decoder_ = makeDecoder(config.from, error);
  if (!t->decoder_) return nullptr;
  t->encoder_ = makeEncoder(config.to, config.encoder, error);
  if (!t->encoder_) return nullptr;
  const uint32_t inRate = info(config.from).pcmRate;
  const uint32_t outRate = info(config.to).pcmRate;
  if (inRate != outRate) {
    int status = 0;
    t->resampler_ = speex_resampler_init(1, inRate, outRate, kResamplerQuality, &status);
    if (t->resampler_ == nullptr) {
      error = std::string("resampler: ") + speex_resampler_strerror(status);
      return nullptr;
    }
    speex_resampler_skip_zeros(t->resampler_);  // no leading silence of the filter's delay
  }
  t->held_.resize(static_cast<size_t>(config.reorderPackets));
  t->pcm_.resize(kMaxPacketSamples);
  t->resampled_.resize(kMaxPacketSamples * 2 + 64);
  t->outSamples_ = samplesPerPacket(config.to, config.outPtimeMs);
  t->fifo_.resize(static_cast<size_t>(t->outSamples_) + t->resampled_.size());
  t->outSeq_ = config.outFirstSeq;
  t->outTimestamp_ = config.outFirstTimestamp;
  t->outStep_ = timestampStep(config.to, config.outPtimeMs);
  t->slotSize_ = 12 + kMaxPayload;
  t->ring_.resize(kOutSlots * t->slotSize_);
  t->ringLength_.resize(kOutSlots);
  return t;
}

Transcoder::~Transcoder() {
  if (resampler_ != nullptr) speex_resampler_destroy(resampler_);
}

void Transcoder::push(std::span<const uint8_t> rtp, uint64_t nowMs) {
  ++stats_.packetsIn;
  const std::span<const uint8_t> payload = rtpPayload(rtp);
  if (payload.empty() || payload.size() > kMaxPayload) {
    ++stats_.malformed;
    return;
  }
  const auto seq = static_cast<uint16_t>(rtp[2] << 8 | rtp[3]);
  const bool marker = (rtp[1] & 0x80) != 0;
  if (!started_) {
    started_ = true;
    next_ = seq;
  }
  int d = static_cast<int16_t>(static_cast<uint16_t>(seq - next_));
  if (d > kMaxGapPackets || d < -kMaxGapPackets) {
    // A restart: play what is held, then follow the new sequence.
    while (std::any_of(held_.begin(), held_.end(), [](const Held& h) { return h.used; }))
      skipGap();
    next_ = seq;
    markNext_ = true;
    d = 0;
  }
  for (;;) {
    if (d < 0) {
      ++stats_.late;
      return;
    }
    if (d == 0) {
      decodeOne(payload, marker);
      ++next_;
      drain();
      return;
    }
    // Ahead of a gap: hold it, unless it is already held.
    Held* free = nullptr;
    for (Held& h : held_) {
      if (h.used && h.seq == seq) {
        ++stats_.duplicates;
        return;
      }
      if (!h.used && free == nullptr) free = &h;
    }
    if (free != nullptr) {
      free->used = true;
      free->seq = seq;
      free->marker = marker;
      free->length = static_cast<uint16_t>(payload.size());
      free->arrivedMs = nowMs;
      std::memcpy(free->payload, payload.data(), payload.size());
      return;
    }
    // The window is full: the gap before the earliest held packet is lost. Playing on from
    // there frees a slot (or makes this packet the next).
    skipGap();
    d = static_cast<int16_t>(static_cast<uint16_t>(seq - next_));
  }
}

void Transcoder::expire(uint64_t nowMs) {
  for (;;) {
    bool due = false;
    for (const Held& h : held_)
      if (h.used && nowMs - h.arrivedMs >= static_cast<uint64_t>(config_.reorderMs)) due = true;
    if (!due) return;
    skipGap();
  }
}

// Plays the held packets that are next in sequence.
void Transcoder::drain() {
  for (bool found = true; found;) {
    found = false;
    for (Held& h : held_) {
      if (h.used && h.seq == next_) {
        h.used = false;
        ++stats_.reordered;
        decodeOne({h.payload, h.length}, h.marker);
        ++next_;
        found = true;
      }
    }
  }
}

// Declares lost everything before the earliest held packet, conceals it, and plays on.
void Transcoder::skipGap() {
  int gap = -1;
  for (const Held& h : held_) {
    if (!h.used) continue;
    const int d = static_cast<uint16_t>(h.seq - next_);
    if (gap < 0 || d < gap) gap = d;
  }
  if (gap < 0) return;
  for (int i = 0; i < gap; ++i)
    concealOne(i >= kMaxConcealPackets);
  stats_.concealed += static_cast<uint64_t>(gap);
  next_ = static_cast<uint16_t>(next_ + gap);
  drain();
}

void Transcoder::decodeOne(std::span<const uint8_t> payload, bool marker) {
  const int n = decoder_->decode(payload, pcm_);
  if (n <= 0) {
    ++stats_.malformed;
    return;
  }
  ++stats_.framesDecoded;
  if (marker) markNext_ = true;
  lastSamples_ = n;
  feed(pcm_.data(), static_cast<size_t>(n));
}

// A lost packet's worth of audio: the codec's concealment, or silence past
// kMaxConcealPackets (the output keeps its timeline either way).
void Transcoder::concealOne(bool silent) {
  if (lastSamples_ == 0) return;  // nothing decoded yet: nothing to continue
  const auto samples = static_cast<size_t>(lastSamples_);
  int n = static_cast<int>(samples);
  if (silent)
    std::fill_n(pcm_.begin(), samples, int16_t{0});
  else
    n = decoder_->conceal({pcm_.data(), samples});
  if (n > 0) feed(pcm_.data(), static_cast<size_t>(n));
}

void Transcoder::feed(const int16_t* pcm, size_t samples) {
  if (resampler_ != nullptr) {
    spx_uint32_t in = static_cast<spx_uint32_t>(samples);
    spx_uint32_t out = static_cast<spx_uint32_t>(resampled_.size());
    speex_resampler_process_int(resampler_, 0, pcm, &in, resampled_.data(), &out);
    pcm = resampled_.data();
    samples = out;
  }
  while (samples > 0) {
    const size_t take = std::min(samples, fifo_.size() - fifoFill_);
    std::memcpy(fifo_.data() + fifoFill_, pcm, take * sizeof(int16_t));
    fifoFill_ += take;
    pcm += take;
    samples -= take;
    while (fifoFill_ >= static_cast<size_t>(outSamples_))
      encodeFrame();
  }
}

void Transcoder::encodeFrame() {
  const auto frame = static_cast<size_t>(outSamples_);
  size_t slot = (ringHead_ + ringCount_) % kOutSlots;
  if (ringCount_ == kOutSlots) {  // nobody popped: the oldest goes
    ++stats_.outputOverflow;
    ringHead_ = (ringHead_ + 1) % kOutSlots;
    --ringCount_;
  }
  uint8_t* p = ring_.data() + slot * slotSize_;
  const int n = encoder_->encode({fifo_.data(), frame}, {p + 12, slotSize_ - 12});
  std::memmove(fifo_.data(), fifo_.data() + frame, (fifoFill_ - frame) * sizeof(int16_t));
  fifoFill_ -= frame;
  const uint32_t ts = outTimestamp_;
  outTimestamp_ += outStep_;
  if (n <= 0) return;  // the encoder refused: a hole in the output, the clock moves on
  p[0] = 0x80;
  p[1] = static_cast<uint8_t>((markNext_ ? 0x80 : 0) | (config_.outPayloadType & 0x7f));
  markNext_ = false;
  p[2] = static_cast<uint8_t>(outSeq_ >> 8);
  p[3] = static_cast<uint8_t>(outSeq_);
  ++outSeq_;
  for (int i = 0; i < 4; ++i) {
    p[4 + i] = static_cast<uint8_t>(ts >> (24 - 8 * i));
    p[8 + i] = static_cast<uint8_t>(config_.outSsrc >> (24 - 8 * i));
  }
  ringLength_[slot] = static_cast<uint16_t>(12 + n);
  ++ringCount_;
  ++stats_.framesEncoded;
}

size_t Transcoder::pop(std::span<uint8_t> out) {
  if (ringCount_ == 0 || out.size() < slotSize_) return 0;
  const size_t length = ringLength_[ringHead_];
  std::memcpy(out.data(), ring_.data() + ringHead_ * slotSize_, length);
  ringHead_ = (ringHead_ + 1) % kOutSlots;
  --ringCount_;
  ++stats_.packetsOut;
  return length;
}

}  // namespace sbc::codec

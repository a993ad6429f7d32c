#include "mediaplane/codec/transcoder.h"

#include <speex/speex_resampler.h>

#include <algorithm>
#include <cstring>

namespace sbc::codec {

namespace {

// A gap longer than this is no loss but a restart (a sender that restarted its sequence):
// followed once confirmed, never concealed.
constexpr int kMaxGapPackets = 50;
// Concealment beyond this many packets in a row would be invented audio: the rest of a
// loss is skipped in the output's timestamps instead, like silence.
constexpr int kMaxConcealPackets = 5;
// Input time skipped beyond this is a clock jump, not silence: the output does not follow.
constexpr uint32_t kMaxSkipSeconds = 60;
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

uint32_t timestampOf(std::span<const uint8_t> p) {
  return static_cast<uint32_t>(p[4]) << 24 | static_cast<uint32_t>(p[5]) << 16 |
         static_cast<uint32_t>(p[6]) << 8 | p[7];
}

bool ptimeFits(Codec c, int ptimeMs) {
  return ptimeMs >= 10 && ptimeMs <= kMaxPtimeMs && ptimeMs % info(c).frameMs == 0 &&
         ptimeMs % 10 == 0;
}

// The most a packet of `ptimeMs` of `c` takes. Opus's encoder keeps within what it is given.
size_t maxPayloadFor(Codec c, int ptimeMs) {
  switch (c) {
    case Codec::kPcmu:
    case Codec::kPcma:
    case Codec::kG722:
      return static_cast<size_t>(8 * ptimeMs);
    case Codec::kG729:
      return static_cast<size_t>(ptimeMs);
    case Codec::kOpus:
      return std::min(kMaxPayload, static_cast<size_t>(16 * ptimeMs + 64));
  }
  return kMaxPayload;
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
  t->slotSize_ = 12 + maxPayloadFor(config.to, config.outPtimeMs);
  // Room for what one push can release: the concealment of a loss, the held packets and the
  // new one, each up to kMaxPtimeMs long, plus a padded partial frame.
  t->slots_ = static_cast<size_t>(kMaxConcealPackets + config.reorderPackets + 2) *
                  static_cast<size_t>(kMaxPtimeMs / config.outPtimeMs) +
              1;
  t->ring_.resize(t->slots_ * t->slotSize_);
  t->ringLength_.resize(t->slots_);
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
  if (config_.inPayloadType >= 0 && (rtp[1] & 0x7f) != config_.inPayloadType) {
    ++stats_.otherPayload;  // RFC 4733 events, comfort noise: not this decoder's
    return;
  }
  const auto seq = static_cast<uint16_t>(rtp[2] << 8 | rtp[3]);
  const bool marker = (rtp[1] & 0x80) != 0;
  const uint32_t ts = timestampOf(rtp);
  if (!started_) {
    started_ = true;
    next_ = seq;
  }
  int d = static_cast<int16_t>(static_cast<uint16_t>(seq - next_));
  if (d > kMaxGapPackets || d < -kMaxGapPackets) {
    // A stray old packet, or a restarted sender: followed only when the next packet
    // continues from this one.
    if (!probation_ || seq != probationSeq_) {
      probation_ = true;
      probationSeq_ = static_cast<uint16_t>(seq + 1);
      ++stats_.late;
      return;
    }
    while (std::any_of(held_.begin(), held_.end(), [](const Held& h) { return h.used; }))
      skipGap();
    ++stats_.resyncs;
    next_ = seq;
    tsKnown_ = false;  // the new sequence has its own timeline
    markNext_ = true;
    d = 0;
  }
  probation_ = false;
  for (;;) {
    if (d < 0) {
      ++stats_.late;
      return;
    }
    if (d == 0) {
      decodeOne(payload, marker, ts);
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
      free->timestamp = ts;
      free->length = static_cast<uint16_t>(payload.size());
      free->arrivedMs = nowMs;
      std::memcpy(free->payload, payload.data(), payload.size());
      return;
    }
    // The window is full: what is missing before the earliest packet at hand (this one or
    // a held one) is lost. Playing on from there frees a slot or makes this one the next.
    skipGap(d);
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
        decodeOne({h.payload, h.length}, h.marker, h.timestamp);
        ++next_;
        found = true;
      }
    }
  }
}

// Declares lost what is missing before the earliest held packet (or before `limit` packets
// from the next one, if that comes first), conceals it, and plays on.
void Transcoder::skipGap(int limit) {
  int gap = -1;
  const Held* earliest = nullptr;
  for (const Held& h : held_) {
    if (!h.used) continue;
    const int d = static_cast<uint16_t>(h.seq - next_);
    if (gap < 0 || d < gap) {
      gap = d;
      earliest = &h;
    }
  }
  if (limit >= 0 && (gap < 0 || limit < gap)) {
    gap = limit;
    earliest = nullptr;
  }
  if (gap <= 0) return;
  conceal(gap, earliest);
  next_ = static_cast<uint16_t>(next_ + gap);
  drain();
}

// `packets` lost before `until` (a held packet; null: not known). Their length comes from the
// timestamps when they are plausible, else from the last packet's. The first
// kMaxConcealPackets' worth is concealed audio; the rest is skipped time.
void Transcoder::conceal(int packets, const Held* until) {
  stats_.concealed += static_cast<uint64_t>(packets);
  if (lastSamples_ == 0) return;  // nothing played yet: nothing to continue, no timeline
  const uint32_t inClock = info(config_.from).rtpClock;
  const uint32_t pcmRate = info(config_.from).pcmRate;
  uint64_t samples = static_cast<uint64_t>(packets) * static_cast<uint64_t>(lastSamples_);
  if (until != nullptr && tsKnown_) {
    const auto ticks = static_cast<int32_t>(until->timestamp - nextTs_);
    const uint64_t bySamples = static_cast<uint64_t>(ticks) * pcmRate / inClock;
    if (ticks > 0 && bySamples <= static_cast<uint64_t>(packets) * kMaxPacketSamples)
      samples = bySamples;
  }
  const uint64_t audible = std::min<uint64_t>(
      samples, static_cast<uint64_t>(kMaxConcealPackets) * static_cast<uint64_t>(lastSamples_));
  uint64_t made = 0;
  while (made < audible) {
    const auto want = static_cast<size_t>(
        std::min<uint64_t>(audible - made, static_cast<uint64_t>(lastSamples_)));
    const int n = decoder_->conceal({pcm_.data(), want});
    if (n <= 0) break;  // less than the codec's smallest frame left
    feed(pcm_.data(), static_cast<size_t>(n));
    made += static_cast<uint64_t>(n);
  }
  nextTs_ += static_cast<uint32_t>(made * inClock / pcmRate);
  if (samples > made) skipTime(static_cast<uint32_t>((samples - made) * inClock / pcmRate));
}

// Input time with no audio (silence suppression, DTX, the unconcealed rest of a loss): the
// partial output frame is finished with silence and the output's clock jumps the rest.
void Transcoder::skipTime(uint32_t inputTicks) {
  const uint32_t inClock = info(config_.from).rtpClock;
  nextTs_ += inputTicks;
  const uint32_t outClock = info(config_.to).rtpClock;
  uint64_t outTicks = static_cast<uint64_t>(inputTicks) * outClock / inClock;
  if (fifoFill_ > 0) {
    const size_t pad = static_cast<size_t>(outSamples_) - fifoFill_;
    std::fill_n(fifo_.begin() + static_cast<std::ptrdiff_t>(fifoFill_), pad, int16_t{0});
    fifoFill_ += pad;
    const uint64_t padTicks = static_cast<uint64_t>(pad) * outClock / info(config_.to).pcmRate;
    encodeFrame();
    outTicks = outTicks > padTicks ? outTicks - padTicks : 0;
  }
  outTimestamp_ += static_cast<uint32_t>(outTicks);
  markNext_ = true;  // a new talk spurt (RFC 3551 4.1)
}

void Transcoder::decodeOne(std::span<const uint8_t> payload, bool marker, uint32_t timestamp) {
  if (tsKnown_) {
    const auto ahead = static_cast<int32_t>(timestamp - nextTs_);
    if (ahead > 0 && static_cast<uint32_t>(ahead) <= kMaxSkipSeconds * info(config_.from).rtpClock)
      skipTime(static_cast<uint32_t>(ahead));
  }
  const int n = decoder_->decode(payload, pcm_);
  if (n <= 0) {
    ++stats_.malformed;
    return;
  }
  ++stats_.framesDecoded;
  if (marker) markNext_ = true;
  lastSamples_ = n;
  tsKnown_ = true;
  nextTs_ =
      timestamp + static_cast<uint32_t>(static_cast<uint64_t>(n) * info(config_.from).rtpClock /
                                        info(config_.from).pcmRate);
  feed(pcm_.data(), static_cast<size_t>(n));
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
  size_t slot = (ringHead_ + ringCount_) % slots_;
  if (ringCount_ == slots_) {  // nobody popped: the oldest goes
    ++stats_.outputOverflow;
    ringHead_ = (ringHead_ + 1) % slots_;
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
  ringHead_ = (ringHead_ + 1) % slots_;
  --ringCount_;
  ++stats_.packetsOut;
  return length;
}

}  // namespace sbc::codec

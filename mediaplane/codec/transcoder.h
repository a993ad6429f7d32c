#pragma once

// One direction of a transcoded stream: RTP packets of one codec in, RTP packets of another
// out, at the outbound leg's packetization (README.md here).
//
//   in -> reorder window -> decode (or conceal a loss) -> resample -> re-frame -> encode -> out
//
// The reorder window holds a few packets that arrive ahead of a gap; the gap is declared
// lost (and concealed by the codec's PLC, as long as the RTP timestamps say it was) when the
// window fills, or when the oldest held packet has waited `reorderMs` (expire()). Time the
// input skips (silence suppression, DTX, a long loss) is skipped in the output's timestamps
// too. A jump of the sequence is followed once a second packet confirms it (RFC 3550 A.1).
// Late packets, duplicates, other payload types and malformed payloads are counted drops.
// Everything is allocated by create(); push, expire and pop allocate nothing, and one
// Transcoder belongs to one thread at a time.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "mediaplane/codec/codec.h"

struct SpeexResamplerState_;

namespace sbc::codec {

struct TranscoderConfig {
  Codec from = Codec::kPcmu;
  Codec to = Codec::kPcmu;
  int inPayloadType = -1;  // the input codec's PT; -1: any (others are counted drops)
  uint8_t outPayloadType = 0;
  int outPtimeMs = 20;  // 10-60, a whole number of the output codec's frames
  uint32_t outSsrc = 0;
  uint16_t outFirstSeq = 0;  // random in production (RFC 3550 5.1)
  uint32_t outFirstTimestamp = 0;
  EncoderOptions encoder;
  int reorderPackets = 4;  // packets held ahead of a gap, 1-8
  int reorderMs = 60;      // the longest a held packet waits for the gap before it
};

struct TranscoderStats {
  uint64_t packetsIn = 0;
  uint64_t packetsOut = 0;
  uint64_t framesDecoded = 0;  // input packets decoded
  uint64_t framesEncoded = 0;  // output packets encoded
  uint64_t concealed = 0;      // input packets lost and concealed
  uint64_t late = 0;           // arrived after their slot was concealed or played: dropped
  uint64_t duplicates = 0;
  uint64_t malformed = 0;       // not RTP, or a payload the decoder refuses
  uint64_t otherPayload = 0;    // another payload type than the input codec's
  uint64_t resyncs = 0;         // sequence jumps followed (a restarted sender)
  uint64_t reordered = 0;       // held in the window and played in order
  uint64_t outputOverflow = 0;  // output packets lost because nobody popped them
};

class Transcoder {
 public:
  // Null, with `error` set, for a configuration it cannot run (a ptime the output codec
  // cannot frame, an unknown option) or when a codec library refuses.
  static std::unique_ptr<Transcoder> create(const TranscoderConfig& config, std::string& error);
  ~Transcoder();
  Transcoder(const Transcoder&) = delete;
  Transcoder& operator=(const Transcoder&) = delete;

  // One whole RTP packet of the input codec (fixed header, CSRCs, extension, padding as
  // RFC 3550 allows), received at `nowMs` (any monotonic clock).
  void push(std::span<const uint8_t> rtp, uint64_t nowMs);
  // Declares a gap lost when the packet after it has waited reorderMs: call it every poll.
  void expire(uint64_t nowMs);
  // The next output RTP packet (header and payload) into `out`: its length, or 0 when none
  // is ready (or `out` is too small: at least maxPacketSize()).
  size_t pop(std::span<uint8_t> out);
  size_t maxPacketSize() const { return slotSize_; }

  const TranscoderStats& stats() const { return stats_; }
  const TranscoderConfig& config() const { return config_; }

 private:
  struct Held {
    bool used = false;
    uint16_t seq = 0;
    bool marker = false;
    uint32_t timestamp = 0;
    uint16_t length = 0;
    uint64_t arrivedMs = 0;
    uint8_t payload[kMaxPayload];
  };

  Transcoder() = default;
  void decodeOne(std::span<const uint8_t> payload, bool marker, uint32_t timestamp);
  void conceal(int packets, const Held* until);
  void drain();
  void skipGap(int limit = -1);
  void skipTime(uint32_t inputTicks);
  void feed(const int16_t* pcm, size_t samples);
  void encodeFrame();

  TranscoderConfig config_;
  std::unique_ptr<Decoder> decoder_;
  std::unique_ptr<Encoder> encoder_;
  SpeexResamplerState_* resampler_ = nullptr;
  TranscoderStats stats_;

  bool started_ = false;
  uint16_t next_ = 0;  // the sequence number played next
  bool markNext_ = true;
  int lastSamples_ = 0;  // the last decoded packet's length: a loss is concealed as long
  bool tsKnown_ = false;
  uint32_t nextTs_ = 0;  // the input timestamp that follows what was played
  bool probation_ = false;
  uint16_t probationSeq_ = 0;  // a jumped sequence is followed when this one arrives
  std::vector<Held> held_;

  std::vector<int16_t> pcm_;        // one decoded packet
  std::vector<int16_t> resampled_;  // the same at the output codec's rate
  std::vector<int16_t> fifo_;       // samples waiting for a whole output packet
  size_t fifoFill_ = 0;
  int outSamples_ = 0;  // per output packet
  uint16_t outSeq_ = 0;
  uint32_t outTimestamp_ = 0;
  uint32_t outStep_ = 0;

  size_t slotSize_ = 0;
  size_t slots_ = 0;
  std::vector<uint8_t> ring_;  // output packets: slots_ slots of slotSize_
  std::vector<uint16_t> ringLength_;
  size_t ringHead_ = 0;
  size_t ringCount_ = 0;
};

}  // namespace sbc::codec

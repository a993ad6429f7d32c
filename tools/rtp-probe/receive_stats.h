#pragma once

// What rtp-probe recv measures, packet by packet, in arrival order: per SSRC the sequence
// accounting (loss from gaps, duplicates, reordering: extended sequence numbers, so a wrap
// past 65535 is no gap), RFC 3550 interarrival jitter, one-way delay, RFC 4733 digits; and
// the decoded audio for the tone analysis.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "tools/rtp-probe/g711.h"
#include "tools/rtp-probe/rtp.h"

namespace sbc::rtpprobe {

struct StreamSummary {
  uint32_t ssrc = 0;
  uint64_t packets = 0;  // distinct sequence numbers received
  int64_t lost = 0;      // expected (highest - lowest + 1) - received
  uint64_t duplicates = 0;
  uint64_t reordered = 0;  // arrived after a higher sequence number
  double jitterMs = 0;     // RFC 3550 6.4.1, audio packets only
  uint16_t firstSeq = 0;   // lowest and highest, as sent
  uint16_t lastSeq = 0;
};

struct DelaySummary {
  // "send_time": from the sender's send-time header extension (absolute one-way delay,
  // both ends on one clock); "rtp_timestamp": arrival against the RTP timestamp, relative to
  // the fastest packet of each SSRC (no absolute figure); "none": no audio packets.
  std::string source = "none";
  double meanMs = 0;
  double maxMs = 0;
};

class ReceiveStats {
 public:
  // `sampleRate`: the RTP clock (jitter and transit are in its units); audio() is at the
  // codec's PCM rate (sbc::codec::info(codec).pcmRate).
  ReceiveStats(Codec codec, int audioPayloadType, int dtmfPayloadType, double sampleRate = 8000);

  // `arrivalNs`: CLOCK_REALTIME (the clock the sender's send-time extension uses).
  void onPacket(const RtpView& packet, int64_t arrivalNs);

  uint64_t packets() const { return packets_; }  // every RTP packet counted (duplicates too)
  uint64_t audioPackets() const { return audioPackets_; }
  uint64_t otherPayloadType() const { return otherPt_; }
  std::vector<StreamSummary> streams() const;  // in order of first appearance
  DelaySummary delay() const;
  const std::string& digits() const { return digits_; }
  const std::vector<int16_t>& audio() const { return audio_; }

 private:
  struct Stream {
    StreamSummary summary;
    int64_t highest = 0;  // extended sequence numbers
    int64_t lowest = 0;
    std::unordered_set<int64_t> seen;
    bool haveTransit = false;
    int64_t lastArrivalNs = 0;
    uint32_t lastTimestamp = 0;
    double jitter = 0;  // timestamp units
    // Relative delay: transit = arrival - timestamp/rate, against the smallest.
    double minTransitS = 0, maxTransitS = 0, sumTransitS = 0;
    uint64_t transits = 0;
    uint32_t firstTimestamp = 0;
    int64_t firstArrivalNs = 0;
    std::unordered_set<uint32_t> events;  // RFC 4733 event timestamps already counted
  };
  Stream& stream(uint32_t ssrc);

  Codec codec_;
  std::unique_ptr<sbc::codec::Decoder> decoder_;  // G.722, Opus, G.729
  std::vector<int16_t> decoded_;
  int audioPt_;
  int dtmfPt_;
  double rate_;
  uint64_t packets_ = 0;
  uint64_t audioPackets_ = 0;
  uint64_t otherPt_ = 0;
  std::vector<Stream> streams_;
  std::string digits_;
  std::vector<int16_t> audio_;
  // Absolute delay from the send-time extension.
  uint64_t sendTimed_ = 0;
  double sumDelayMs_ = 0, maxDelayMs_ = 0;
};

}  // namespace sbc::rtpprobe

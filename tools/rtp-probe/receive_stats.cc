#include "tools/rtp-probe/receive_stats.h"

#include <algorithm>
#include <cmath>

namespace sbc::rtpprobe {

namespace {

// RFC 4733 events 0-15: the DTMF digits.
constexpr char kDigits[] = "0123456789*#ABCD";

}  // namespace

ReceiveStats::ReceiveStats(Codec codec, int audioPayloadType, int dtmfPayloadType,
                           double sampleRate)
    : codec_(codec), audioPt_(audioPayloadType), dtmfPt_(dtmfPayloadType), rate_(sampleRate) {
  if (!isG711(codec)) {
    std::string error;
    decoder_ = sbc::codec::makeDecoder(codec, error);
    decoded_.resize(5760);  // 120 ms at 48 kHz: more than any packet decodes to here
  }
}

ReceiveStats::Stream& ReceiveStats::stream(uint32_t ssrc) {
  for (Stream& s : streams_) {
    if (s.summary.ssrc == ssrc) return s;
  }
  Stream& s = streams_.emplace_back();
  s.summary.ssrc = ssrc;
  return s;
}

void ReceiveStats::onPacket(const RtpView& p, int64_t arrivalNs) {
  ++packets_;
  bool audio = p.payloadType == audioPt_;
  bool dtmf = p.payloadType == dtmfPt_;
  if (!audio && !dtmf) {
    ++otherPt_;
    return;
  }
  Stream& s = stream(p.ssrc);

  // The extended sequence number nearest the highest so far (RFC 3550 A.1, simplified:
  // a jump of more than 32767 reads as reordering or as a wrap, whichever is nearer).
  int64_t ext = p.seq + (int64_t(1) << 20);  // first packet: room below for reordering
  if (!s.seen.empty()) ext = s.highest + int16_t(uint16_t(p.seq - uint16_t(s.highest)));
  if (!s.seen.insert(ext).second) {
    ++s.summary.duplicates;
    return;  // neither counted again nor decoded twice
  }
  if (s.seen.size() == 1) {
    s.highest = s.lowest = ext;
  } else if (ext > s.highest) {
    s.highest = ext;
  } else {
    ++s.summary.reordered;
    s.lowest = std::min(s.lowest, ext);
  }
  ++s.summary.packets;
  s.summary.firstSeq = uint16_t(s.lowest);
  s.summary.lastSeq = uint16_t(s.highest);
  s.summary.lost = (s.highest - s.lowest + 1) - int64_t(s.summary.packets);

  if (dtmf) {
    // One digit per event (its timestamp); the updates and the three end packets repeat it.
    if (p.payload.size() >= 4 && p.payload[0] < 16 && s.events.insert(p.timestamp).second) {
      digits_ += kDigits[p.payload[0]];
    }
    return;
  }

  ++audioPackets_;
  if (decoder_) {
    // In arrival order: what a receiver without a jitter buffer would play.
    const int n = decoder_->decode(p.payload, decoded_);
    if (n > 0) audio_.insert(audio_.end(), decoded_.begin(), decoded_.begin() + n);
  } else {
    for (uint8_t code : p.payload)
      audio_.push_back(decode(codec_, code));
  }

  // Jitter: D = (Rj - Ri) - (Sj - Si) in timestamp units; J += (|D| - J) / 16.
  if (s.haveTransit) {
    double arrivalDelta = double(arrivalNs - s.lastArrivalNs) * rate_ / 1e9;
    double d = arrivalDelta - double(int32_t(p.timestamp - s.lastTimestamp));
    s.jitter += (std::abs(d) - s.jitter) / 16;
  } else {
    s.firstTimestamp = p.timestamp;
    s.firstArrivalNs = arrivalNs;
  }
  s.haveTransit = true;
  s.lastArrivalNs = arrivalNs;
  s.lastTimestamp = p.timestamp;
  s.summary.jitterMs = s.jitter * 1000 / rate_;

  double transitS = double(arrivalNs - s.firstArrivalNs) / 1e9 -
                    double(int32_t(p.timestamp - s.firstTimestamp)) / rate_;
  if (s.transits == 0 || transitS < s.minTransitS) s.minTransitS = transitS;
  if (s.transits == 0 || transitS > s.maxTransitS) s.maxTransitS = transitS;
  s.sumTransitS += transitS;
  ++s.transits;

  if (p.sendTimeNs) {
    double delayMs = double(arrivalNs - int64_t(*p.sendTimeNs)) / 1e6;
    sumDelayMs_ += delayMs;
    maxDelayMs_ = sendTimed_ == 0 ? delayMs : std::max(maxDelayMs_, delayMs);
    ++sendTimed_;
  }
}

std::vector<StreamSummary> ReceiveStats::streams() const {
  std::vector<StreamSummary> out;
  for (const Stream& s : streams_)
    out.push_back(s.summary);
  return out;
}

DelaySummary ReceiveStats::delay() const {
  DelaySummary d;
  if (sendTimed_ > 0) {
    d.source = "send_time";
    d.meanMs = sumDelayMs_ / double(sendTimed_);
    d.maxMs = maxDelayMs_;
    return d;
  }
  double sum = 0;
  uint64_t n = 0;
  for (const Stream& s : streams_) {
    if (s.transits == 0) continue;
    sum += s.sumTransitS - double(s.transits) * s.minTransitS;
    n += s.transits;
    d.maxMs = std::max(d.maxMs, (s.maxTransitS - s.minTransitS) * 1000);
  }
  if (n > 0) {
    d.source = "rtp_timestamp";
    d.meanMs = sum / double(n) * 1000;
  }
  return d;
}

}  // namespace sbc::rtpprobe

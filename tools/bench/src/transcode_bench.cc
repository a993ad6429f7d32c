// transcode_bench: what one core spends transcoding, with sbc::codec::Transcoder alone (no
// relay, no I/O): for each pair, 20 ms packets of a 1 kHz tone in the source codec are
// pushed through --channels transcoders round-robin (each its own state, as a lcore would
// hold them) and the output popped. The part for the codecs alone (the same decode and
// encode calls, nothing else) is timed next to it: what the transcoder adds is the rest.
// Prints one line per pair and direction:
//
//   PAIR from=PCMU to=opus us_per_packet=<x> codec_us_per_packet=<y> channels_per_core=<n>
//
// channels_per_core = 20 ms / us_per_packet: the one-direction streams of 20 ms packets one
// core carries in real time. Used by tools/bench/transcode (issue 16) for where the time goes.
//
//   transcode_bench [--channels 200] [--seconds 10] [--pairs PCMU:opus,opus:PCMU,...]

#include <time.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mediaplane/codec/codec.h"
#include "mediaplane/codec/transcoder.h"

namespace {

using sbc::codec::Codec;
using sbc::codec::info;

double cpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

std::optional<Codec> parseCodec(const std::string& name) {
  for (const auto& c : sbc::codec::allCodecs())
    if (name == c.name) return c.codec;
  return std::nullopt;
}

// `seconds` of 20 ms RTP packets of a tone in `codec`.
std::vector<std::vector<uint8_t>> packets(Codec codec, int seconds) {
  std::string error;
  auto enc = sbc::codec::makeEncoder(codec, {}, error);
  if (!enc) {
    std::fprintf(stderr, "transcode_bench: %s\n", error.c_str());
    std::exit(1);
  }
  const int samples = sbc::codec::samplesPerPacket(codec, 20);
  const double rate = info(codec).pcmRate;
  std::vector<int16_t> pcm(static_cast<size_t>(samples));
  std::vector<std::vector<uint8_t>> out;
  uint64_t n = 0;
  for (int p = 0; p < seconds * 50; ++p) {
    for (int i = 0; i < samples; ++i, ++n)
      pcm[static_cast<size_t>(i)] =
          static_cast<int16_t>(12000 * std::sin(2 * M_PI * 1000 * static_cast<double>(n) / rate));
    std::vector<uint8_t> pkt(12 + sbc::codec::kMaxPayload);
    int len = enc->encode(pcm, {pkt.data() + 12, sbc::codec::kMaxPayload});
    pkt.resize(12 + static_cast<size_t>(len));
    pkt[0] = 0x80;
    pkt[1] = 96;
    pkt[2] = static_cast<uint8_t>(p >> 8);
    pkt[3] = static_cast<uint8_t>(p);
    out.push_back(std::move(pkt));
  }
  return out;
}

void run(Codec from, Codec to, int channels, int seconds) {
  const auto input = packets(from, seconds);
  std::vector<std::unique_ptr<sbc::codec::Transcoder>> ts;
  for (int c = 0; c < channels; ++c) {
    sbc::codec::TranscoderConfig cfg;
    cfg.from = from;
    cfg.to = to;
    cfg.outPayloadType = 97;
    std::string error;
    ts.push_back(sbc::codec::Transcoder::create(cfg, error));
    if (!ts.back()) {
      std::fprintf(stderr, "transcode_bench: %s\n", error.c_str());
      std::exit(1);
    }
  }
  std::vector<uint8_t> out(ts[0]->maxPacketSize());
  // Each channel carries the same audio, its own sequence: every packet once per channel.
  double start = cpuSeconds();
  uint64_t done = 0;
  for (const auto& pkt : input) {
    for (auto& t : ts) {
      t->push(pkt, 0);
      while (t->pop(out) > 0) {
      }
      ++done;
    }
  }
  const double total = cpuSeconds() - start;

  // The codecs alone: decode each payload and encode the result, resampling left out (the
  // output codec encodes its own frame of the decoded length, or of its rate's).
  std::string error;
  std::vector<std::unique_ptr<sbc::codec::Decoder>> decs;
  std::vector<std::unique_ptr<sbc::codec::Encoder>> encs;
  for (int c = 0; c < channels; ++c) {
    decs.push_back(sbc::codec::makeDecoder(from, error));
    encs.push_back(sbc::codec::makeEncoder(to, {}, error));
  }
  std::vector<int16_t> pcm(sbc::codec::kMaxPacketSamples);
  const auto outSamples = static_cast<size_t>(sbc::codec::samplesPerPacket(to, 20));
  std::vector<uint8_t> payload(sbc::codec::kMaxPayload);
  start = cpuSeconds();
  for (const auto& pkt : input) {
    for (int c = 0; c < channels; ++c) {
      decs[static_cast<size_t>(c)]->decode({pkt.data() + 12, pkt.size() - 12}, pcm);
      encs[static_cast<size_t>(c)]->encode({pcm.data(), outSamples}, payload);
    }
  }
  const double codec = cpuSeconds() - start;
  const double us = total / static_cast<double>(done) * 1e6;
  const double codecUs = codec / static_cast<double>(done) * 1e6;
  std::printf(
      "PAIR from=%s to=%s us_per_packet=%.2f codec_us_per_packet=%.2f channels_per_core=%.0f\n",
      std::string(info(from).name).c_str(), std::string(info(to).name).c_str(), us, codecUs,
      20000.0 / us);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  int channels = 200;
  int seconds = 10;
  std::string pairs = "PCMU:opus,opus:PCMU,PCMU:G722,G722:PCMU,PCMU:G729,G729:PCMU";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr,
                   "usage: transcode_bench [--channels N] [--seconds N] [--pairs A:B,...]\n");
      return 2;
    }
    if (a == "--channels") {
      channels = std::atoi(argv[++i]);
    } else if (a == "--seconds") {
      seconds = std::atoi(argv[++i]);
    } else if (a == "--pairs") {
      pairs = argv[++i];
    } else {
      std::fprintf(stderr, "transcode_bench: unknown option %s\n", a.c_str());
      return 2;
    }
  }
  if (channels < 1 || seconds < 1) {
    std::fprintf(stderr, "transcode_bench: --channels and --seconds must be at least 1\n");
    return 2;
  }
  size_t at = 0;
  while (at < pairs.size()) {
    size_t comma = pairs.find(',', at);
    std::string pair =
        pairs.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    at = comma == std::string::npos ? pairs.size() : comma + 1;
    size_t colon = pair.find(':');
    auto from = parseCodec(pair.substr(0, colon));
    auto to = colon == std::string::npos ? std::nullopt : parseCodec(pair.substr(colon + 1));
    if (!from || !to) {
      std::fprintf(stderr, "transcode_bench: bad pair '%s' (codecs: PCMU PCMA G722 opus G729)\n",
                   pair.c_str());
      return 2;
    }
    run(*from, *to, channels, seconds);
  }
  return 0;
}

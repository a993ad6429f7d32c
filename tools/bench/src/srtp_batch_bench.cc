// srtp_batch_bench: the relay's SRTP fast path alone (sbc::srtp::RtpBatch on libipsec-mb),
// on one core, no I/O: protect 172-byte RTP packets (12-byte header, 160-byte payload) in
// batches of --burst packets, each of a stream drawn at random among --streams (each its
// own keys, as the relay's sessions), in place. The figure next to srtp_raw_bench (libsrtp,
// one context) in tools/bench/srtp's "where the time goes": the crypto the relay runs, at
// its session count. Prints one line: mpps=<x>.
//
//   srtp_batch_bench [--suite AES_CM_128_HMAC_SHA1_80] [--streams 100000] [--burst 32]
//                    [--packets 4000000] [--clock cpu|wall]
//
// Streams are made first (untimed); the first 20,000 packets warm up. Time is the thread's
// CPU time (--clock cpu, the default) or elapsed time (--clock wall).

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "mediaplane/srtp/rtp_batch.h"

#include "tools/bench/src/srtp_bench_packet.h"

namespace {

using sbc::mediaplane::SrtpMasterKey;
using sbc::mediaplane::SrtpSuite;
using sbc::srtp::RtpBatch;
using sbc::srtp::RtpStream;
using sbc::srtp::Status;

int usage(const char* why) {
  std::fprintf(stderr,
               "srtp_batch_bench: %s\n"
               "usage: srtp_batch_bench [--suite NAME] [--streams N] [--burst N] "
               "[--packets N] [--clock cpu|wall]\n",
               why);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  SrtpSuite suite = SrtpSuite::kAesCm128HmacSha1_80;
  long streams = 100000;
  long burst = 32;
  long packets = 4000000;
  bool cpuClock = true;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (i + 1 >= argc) return usage("every option takes a value");
    std::string_view value = argv[++i];
    if (arg == "--suite") {
      auto s = sbc::mediaplane::srtpSuiteFromName(value);
      if (!s) return usage("unknown suite");
      suite = *s;
    } else if (arg == "--streams") {
      streams = std::strtol(argv[i], nullptr, 10);
    } else if (arg == "--burst") {
      burst = std::strtol(argv[i], nullptr, 10);
    } else if (arg == "--packets") {
      packets = std::strtol(argv[i], nullptr, 10);
    } else if (arg == "--clock") {
      if (value != "cpu" && value != "wall") return usage("--clock is cpu or wall");
      cpuClock = value == "cpu";
    } else {
      return usage("unknown option");
    }
  }
  if (streams < 1 || streams > 10000000) return usage("--streams is 1 to 10000000");
  if (burst < 1 || burst > RtpBatch::kCapacity) return usage("--burst is 1 to 128");
  if (packets < 1000) return usage("--packets is at least 1000");

  std::string error;
  std::unique_ptr<RtpBatch> batch = RtpBatch::create(error);
  if (!batch) {
    std::fprintf(stderr, "srtp_batch_bench: %s\n", error.c_str());
    return 1;
  }
  std::mt19937 random(7);
  std::vector<std::unique_ptr<RtpStream>> pool;
  pool.reserve(static_cast<size_t>(streams));
  for (long s = 0; s < streams; ++s) {
    SrtpMasterKey key;
    key.length = static_cast<uint8_t>(sbc::mediaplane::srtpMasterKeyLength(suite));
    for (size_t b = 0; b < key.length; ++b)
      key.bytes[b] = static_cast<uint8_t>(random());
    pool.push_back(RtpStream::create(suite, key, 0, error));
    if (!pool.back()) {
      std::fprintf(stderr, "srtp_batch_bench: %s\n", error.c_str());
      return 1;
    }
  }
  // Which stream each packet belongs to, drawn once: the draw stays out of the loop.
  std::vector<uint32_t> order(1 << 20);
  for (uint32_t& o : order)
    o = static_cast<uint32_t>(random() % static_cast<uint32_t>(streams));
  std::vector<uint16_t> sequence(static_cast<size_t>(streams), 0);
  constexpr int kPacket = 172;
  std::vector<std::array<uint8_t, 256>> buffers(static_cast<size_t>(burst));
  std::vector<uint16_t> ids(static_cast<size_t>(burst));

  const long warmup = 20000;
  long done = 0;
  size_t next = 0;
  int64_t start = 0;
  while (done < warmup + packets) {
    if (done >= warmup && start == 0) start = sbc::bench::benchClockNs(cpuClock);
    batch->reset();
    for (long b = 0; b < burst; ++b) {
      const uint32_t s = order[next++ & (order.size() - 1)];
      // The next stream's lines are on their way while this one is queued, as in the relay.
      pool[order[(next + 8) & (order.size() - 1)]]->prefetch(RtpStream::hotLines(suite));
      uint8_t* p = buffers[static_cast<size_t>(b)].data();
      const uint16_t seq = ++sequence[s];
      sbc::bench::stampRtpHeader(p, seq, seq * 160u);
      if (batch->protect(*pool[s], p, kPacket, ids[static_cast<size_t>(b)]) != Status::kOk) {
        std::fprintf(stderr, "srtp_batch_bench: protect refused a packet\n");
        return 1;
      }
    }
    batch->run();
    for (long b = 0; b < burst; ++b) {
      int length = 0;
      if (batch->finish(ids[static_cast<size_t>(b)], length) != Status::kOk ||
          length != kPacket + pool[0]->tagLength()) {
        std::fprintf(stderr, "srtp_batch_bench: a job failed\n");
        return 1;
      }
    }
    done += burst;
  }
  const double seconds = static_cast<double>(sbc::bench::benchClockNs(cpuClock) - start) / 1e9;
  std::printf("mpps=%.3f suite=%s streams=%ld burst=%ld\n",
              static_cast<double>(done - warmup) / seconds / 1e6,
              std::string(sbc::mediaplane::srtpSuiteName(suite)).c_str(), streams, burst);
  return 0;
}

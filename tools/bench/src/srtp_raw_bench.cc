// srtp_raw_bench: libsrtp's raw rate on one core, the reference of tools/bench/srtp
// ("libsrtp_mpps"): protect (or unprotect) RTP packets of one SSRC in place through
// sbc::srtp::Context, one packet at a time, no I/O. Prints one line: mpps=<x>.
//
//   srtp_raw_bench --engine nss|openssl --suite AES_CM_128_HMAC_SHA1_80 --payload 160
//                  --packets 2000000 --mode protect|unprotect
//
// nss is libsrtp's built-in crypto (Debian builds it on NSS), openssl the engine of
// mediaplane/srtp (its README.md). protect re-stamps the sequence number and timestamp of
// one buffer and protects it (the payload is whatever the last round left: its bytes do
// not change the cost). unprotect needs packets protected with fresh indexes (the replay
// window): they are made in untimed batches of 4096 and only the unprotect loop is timed.
// The first 20,000 packets (or one batch) warm up and are not counted. Time is the
// thread's CPU time (--clock cpu, the default: the rate of one core, however busy the
// machine is with other work) or elapsed time (--clock wall).

#include <time.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "mediaplane/srtp/context.h"

#include "tools/bench/src/srtp_bench_packet.h"

namespace {

using sbc::mediaplane::SrtpMasterKey;
using sbc::mediaplane::SrtpSuite;
using sbc::srtp::Context;
using sbc::srtp::Direction;
using sbc::srtp::Status;

// The thread's CPU time or the monotonic clock, in nanoseconds.
bool g_cpu_clock = true;
int64_t now() {
  return sbc::bench::benchClockNs(g_cpu_clock);
}

constexpr uint32_t kSsrc = sbc::bench::kRawBenchSsrc;
constexpr size_t kBatch = 4096;
constexpr size_t kSlot = 2048;  // bytes per packet buffer: any payload + trailer

int usage(const char* why) {
  std::fprintf(
      stderr,
      "srtp_raw_bench: %s\n"
      "usage: srtp_raw_bench --engine nss|openssl --suite NAME [--payload BYTES]\n"
      "                      [--packets N] [--mode protect|unprotect] [--clock cpu|wall]\n",
      why);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string engine_name = "openssl";
  std::string suite_name = "AES_CM_128_HMAC_SHA1_80";
  std::string mode = "protect";
  size_t payload = 160;
  uint64_t packets = 2'000'000;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (i + 1 >= argc) {
      return usage(("missing value for " + std::string(arg)).c_str());
    }
    const char* value = argv[++i];
    if (arg == "--engine") {
      engine_name = value;
    } else if (arg == "--suite") {
      suite_name = value;
    } else if (arg == "--mode") {
      mode = value;
    } else if (arg == "--payload") {
      payload = std::strtoul(value, nullptr, 10);
    } else if (arg == "--clock") {
      if (std::string_view(value) != "cpu" && std::string_view(value) != "wall") {
        return usage("--clock is cpu or wall");
      }
      g_cpu_clock = std::string_view(value) == "cpu";
    } else if (arg == "--packets") {
      packets = std::strtoull(value, nullptr, 10);
    } else {
      return usage(("unknown option " + std::string(arg)).c_str());
    }
  }
  sbc::srtp::Engine engine;
  if (engine_name == "nss" || engine_name == "builtin") {
    engine = sbc::srtp::Engine::kLibsrtpBuiltIn;
  } else if (engine_name == "openssl") {
    engine = sbc::srtp::Engine::kOpenssl;
  } else {
    return usage("--engine is nss or openssl");
  }
  auto suite = sbc::mediaplane::srtpSuiteFromName(suite_name);
  if (!suite) {
    return usage("unknown --suite");
  }
  if (mode != "protect" && mode != "unprotect") {
    return usage("--mode is protect or unprotect");
  }
  if (payload == 0 || payload + 12 + 64 > kSlot) {
    return usage("--payload out of range");
  }
  if (packets == 0 || packets > 1'000'000'000) {
    return usage("--packets out of range");
  }
  if (std::string error = sbc::srtp::initialize(engine); !error.empty()) {
    std::fprintf(stderr, "srtp_raw_bench: %s\n", error.c_str());
    return 3;
  }

  SrtpMasterKey key;
  key.length = static_cast<uint8_t>(sbc::mediaplane::srtpMasterKeyLength(*suite));
  for (size_t i = 0; i < key.length; ++i) {
    key.bytes[i] = static_cast<uint8_t>(0x5a ^ (i * 29));
  }
  std::string error;
  auto tx = Context::create(*suite, key, Direction::kProtect, kSsrc, 0, error);
  auto rx = tx ? Context::create(*suite, key, Direction::kUnprotect, kSsrc, 0, error) : nullptr;
  if (!tx || !rx) {
    std::fprintf(stderr, "srtp_raw_bench: %s\n", error.c_str());
    return 3;
  }
  const int plain_length = static_cast<int>(12 + payload);
  uint16_t seq = 1;
  uint32_t ts = 0;
  int64_t timed = 0;
  uint64_t counted = 0;

  if (mode == "protect") {
    std::vector<uint8_t> buffer(kSlot, 0xd5);
    const uint64_t warmup = 20'000;
    int64_t start = 0;
    for (uint64_t n = 0; n < warmup + packets; ++n) {
      if (n == warmup) {
        start = now();
      }
      sbc::bench::stampRtpHeader(buffer.data(), seq++, ts += 160);
      int length = plain_length;
      if (tx->protectRtp(buffer.data(), length) != Status::kOk) {
        std::fprintf(stderr, "srtp_raw_bench: protect failed at packet %llu\n",
                     static_cast<unsigned long long>(n));
        return 3;
      }
    }
    timed = now() - start;
    counted = packets;
  } else {
    std::vector<uint8_t> buffers(kBatch * kSlot, 0xd5);
    std::vector<int> lengths(kBatch);
    bool warm = false;
    while (counted < packets) {
      size_t batch = warm ? std::min<uint64_t>(kBatch, packets - counted) : kBatch;
      for (size_t i = 0; i < batch; ++i) {
        uint8_t* p = buffers.data() + i * kSlot;
        std::memset(p + 12, 0xd5, payload);
        sbc::bench::stampRtpHeader(p, seq++, ts += 160);
        lengths[i] = plain_length;
        if (tx->protectRtp(p, lengths[i]) != Status::kOk) {
          std::fprintf(stderr, "srtp_raw_bench: protect failed\n");
          return 3;
        }
      }
      auto start = now();
      for (size_t i = 0; i < batch; ++i) {
        if (rx->unprotectRtp(buffers.data() + i * kSlot, lengths[i]) != Status::kOk) {
          std::fprintf(stderr, "srtp_raw_bench: unprotect failed\n");
          return 3;
        }
      }
      if (warm) {
        timed += now() - start;
        counted += batch;
      }
      warm = true;
    }
  }
  double seconds = static_cast<double>(timed) / 1e9;
  std::printf("mpps=%.3f\n", static_cast<double>(counted) / seconds / 1e6);
  return 0;
}

// SRTP benchmark helper: tools/bench/srtp runs it (the comment at the top of that script
// describes the whole benchmark). Two modes:
//
//   sbc-bench-srtp pcap --sessions N --rounds R --out FILE --layout FILE [options]
//     The relay benchmark's traffic (tools/bench/relay_pcap.py: the same layout file, the
//     same 214-byte G.711 frames, addresses, SSRCs and first sequence numbers), written
//     round by round: frame k is session k mod N's packet k div N. Two differences:
//     --seq-stride S: sequence numbers advance by S a round (default 1). With R * S = 65536
//       and S < 32768 a file replayed in a loop never steps a stream back: every pass
//       continues the sequence (the rollover counter moves on), so a relay that protects
//       these packets (libsrtp refuses to protect an index twice) can run on a replay loop.
//     --srtp SUITE: every packet is SRTP, protected with its session's caller key
//       (srtp_bench_keys.h), so the relay must unprotect it. Such a file can be replayed
//       only once (a receiver accepts an index once): make it long enough for the window.
//       No stream's sequence number wraps within such a file (the first one is lowered).
//     --threads T (default 2) protect in parallel.
//
//   sbc-bench-srtp raw --suite NAME [--payload 160] [--seconds S] [--mode protect|unprotect]
//                      [--streams N]
//     libsrtp alone, no DPDK: srtp_protect (or srtp_unprotect) in a loop on one stream with
//     one SSRC, in place, the packet rebuilt from a template each time as the relay's input
//     is new each time (12-byte RTP header + --payload bytes). Prints "RAW mpps=<x> ..."
//     (and "mpps=<x>" in the same line, as srtp_raw_bench does); the time is the thread's CPU
//     time, as srtp_raw_bench's default. unprotect: a pool of
//     --pool packets protected first, then unprotected each once, round the pool with the
//     replay database reset (a fresh context per pass) so that nothing is a replay.
//     (tools/bench/srtp uses srtp_raw_bench, the product wrapper's loop, when it is built.)
//
// Both modes: --engine openssl|nss (default openssl): the crypto libsrtp runs, as
// sbc::srtp::initialize() installs it (mediaplane/srtp): OpenSSL's, or libsrtp's built-in
// (Debian: NSS). The generator's packets are the same either way; openssl makes them faster.

#include <fcntl.h>
#include <srtp2/srtp.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "mediaplane/api/media_plane.h"
#include "mediaplane/srtp/context.h"
#include "tools/bench/src/srtp_bench_keys.h"

namespace {

namespace mp = sbc::mediaplane;
using Clock = std::chrono::steady_clock;

// The thread's CPU time in seconds: the raw loops' clock, as srtp_raw_bench's (the rate of
// one core, however busy the machine is with other work).
double cpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "sbc-bench-srtp: %s\n", what.c_str());
  std::exit(1);
}

std::map<std::string, std::string> parseArgs(int argc, char** argv) {
  std::map<std::string, std::string> kv;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0) die("unexpected argument '" + a + "'");
    auto eq = a.find('=');
    if (eq != std::string::npos) {
      kv[a.substr(2, eq - 2)] = a.substr(eq + 1);
    } else {
      if (i + 1 >= argc) die(a + " needs a value");
      kv[a.substr(2)] = argv[++i];
    }
  }
  return kv;
}

std::string str(const std::map<std::string, std::string>& kv, const std::string& k,
                const std::string& def = {}) {
  auto it = kv.find(k);
  return it == kv.end() ? def : it->second;
}

double num(const std::map<std::string, std::string>& kv, const std::string& k, double def) {
  auto it = kv.find(k);
  if (it == kv.end()) return def;
  char* end = nullptr;
  double v = std::strtod(it->second.c_str(), &end);
  if (end == it->second.c_str() || *end) die("--" + k + " takes a number");
  return v;
}

mp::SrtpSuite suiteArg(const std::string& name) {
  auto s = mp::srtpSuiteFromName(name);
  if (!s) die("unknown SRTP suite '" + name + "'");
  return *s;
}

void setPolicy(mp::SrtpSuite suite, srtp_policy_t& p) {
  switch (suite) {
    case mp::SrtpSuite::kAesCm128HmacSha1_80:
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
      break;
    case mp::SrtpSuite::kAesCm128HmacSha1_32:
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p.rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);  // SRTCP keeps the 80-bit tag
      break;
    case mp::SrtpSuite::kAeadAes128Gcm:
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtcp);
      break;
    case mp::SrtpSuite::kAeadAes256Gcm:
      srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtp);
      srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtcp);
      break;
    default:
      die("bad suite");
  }
}

// One libsrtp session for one SSRC, as the relay keeps them (ssrc_specific, replay on).
srtp_t makeSession(mp::SrtpSuite suite, const mp::SrtpMasterKey& key, uint32_t ssrc, bool inbound) {
  srtp_policy_t p;
  std::memset(&p, 0, sizeof p);
  setPolicy(suite, p);
  p.ssrc.type = ssrc_specific;
  p.ssrc.value = ssrc;
  // libsrtp reads the key and salt from this buffer while srtp_create runs; the policy is
  // not kept.
  std::array<uint8_t, mp::kSrtpMaxMasterKey> k = key.bytes;
  p.key = k.data();
  p.window_size = 128;
  p.allow_repeat_tx = 0;
  (void)inbound;  // a specific-SSRC stream serves both directions in libsrtp
  srtp_t s = nullptr;
  if (srtp_create(&s, &p) != srtp_err_status_ok) die("srtp_create failed");
  return s;
}

uint16_t csum16(const uint8_t* d, size_t n, uint32_t sum = 0) {
  for (size_t i = 0; i + 1 < n; i += 2)
    sum += (uint32_t(d[i]) << 8) | d[i + 1];
  if (n & 1) sum += uint32_t(d[n - 1]) << 8;
  while (sum >> 16)
    sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

void put16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}
void put32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 24);
  p[1] = uint8_t(v >> 16);
  p[2] = uint8_t(v >> 8);
  p[3] = uint8_t(v);
}

constexpr size_t kPayload = 160;  // 20 ms of G.711
constexpr size_t kRtpBytes = 12 + kPayload;

struct Ipv4 {
  uint32_t v = 0;
  static Ipv4 parse(const std::string& t) {
    unsigned a, b, c, d;
    char tail;
    if (std::sscanf(t.c_str(), "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) != 4 || a > 255 || b > 255 ||
        c > 255 || d > 255)
      die("bad IPv4 address '" + t + "'");
    return {(a << 24) | (b << 16) | (c << 8) | d};
  }
  std::string text() const {
    return std::to_string(v >> 24) + "." + std::to_string((v >> 16) & 255) + "." +
           std::to_string((v >> 8) & 255) + "." + std::to_string(v & 255);
  }
};

int pcapMode(const std::map<std::string, std::string>& kv) {
  const auto n = static_cast<uint64_t>(num(kv, "sessions", 0));
  const auto rounds = static_cast<uint64_t>(num(kv, "rounds", 2));
  const auto stride = static_cast<uint32_t>(num(kv, "seq-stride", 1));
  const std::string out = str(kv, "out"), layoutPath = str(kv, "layout");
  if (n < 1 || rounds < 1 || out.empty() || layoutPath.empty())
    die("pcap needs --sessions N --rounds R --out FILE --layout FILE");
  const bool srtp = !str(kv, "srtp").empty();
  const mp::SrtpSuite suite = srtp ? suiteArg(str(kv, "srtp")) : mp::SrtpSuite::kCount;
  int portMin = static_cast<int>(num(kv, "port-min", 2000));
  portMin += portMin & 1;
  if (portMin < 1024 || portMin > 65534) die("--port-min must be within 1024..65534");
  const uint64_t perIp = (65534 - portMin) / 2 + 1;
  const Ipv4 bases[4] = {
      Ipv4::parse(str(kv, "a-local", "10.1.0.1")), Ipv4::parse(str(kv, "a-remote", "10.1.128.1")),
      Ipv4::parse(str(kv, "b-local", "10.2.0.1")), Ipv4::parse(str(kv, "b-remote", "10.2.128.1"))};
  auto endpoint = [&](uint64_t i, int which) {
    return std::make_pair(Ipv4{bases[which].v + static_cast<uint32_t>(i / perIp)},
                          static_cast<uint16_t>(portMin + 2 * (i % perIp)));
  };
  {
    std::ofstream f(layoutPath);
    if (!f) die("cannot write " + layoutPath);
    f << "# id\ta_local\ta_remote\tb_local\tb_remote\n";
    for (uint64_t i = 0; i < n; ++i) {
      f << i + 1;
      for (int w = 0; w < 4; ++w) {
        auto [ip, port] = endpoint(i, w);
        f << '\t' << ip.text() << ':' << port;
      }
      f << '\n';
    }
  }

  const size_t tag = srtp ? (suite == mp::SrtpSuite::kAesCm128HmacSha1_80   ? 10
                             : suite == mp::SrtpSuite::kAesCm128HmacSha1_32 ? 4
                                                                            : 16)
                          : 0;
  const size_t rtpLen = kRtpBytes + tag, udpLen = 8 + rtpLen, ipLen = 20 + udpLen,
               frameLen = 14 + ipLen, rec = 16 + frameLen;
  const uint64_t frames = n * rounds;
  const size_t bytes = 24 + frames * rec;
  int fd = open(out.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || ftruncate(fd, static_cast<off_t>(bytes)) != 0)
    die("cannot create " + out + ": " + std::strerror(errno));
  auto* base = static_cast<uint8_t*>(mmap(nullptr, bytes, PROT_WRITE, MAP_SHARED, fd, 0));
  if (base == MAP_FAILED) die("mmap " + out + ": " + std::strerror(errno));
  {
    uint32_t gh[6] = {0xA1B2C3D4, 0x00040002, 0, 0, 65535, 1};  // v2.4, LINKTYPE_ETHERNET
    std::memcpy(base, gh, sizeof gh);
  }
  const uint8_t dstMac[6] = {2, 0, 0, 0, 1, 1}, srcMac[6] = {2, 0, 0, 0, 1, 0xfe};

  // Session-major (each thread a share of the sessions, each session one libsrtp context),
  // written where round-major order puts each frame.
  auto work = [&](uint64_t from, uint64_t to) {
    for (uint64_t i = from; i < to; ++i) {
      auto [lip, port] = endpoint(i, 0);
      auto [rip, rport] = endpoint(i, 1);
      (void)rport;
      const uint32_t ssrc = sbc::bench::kBenchSsrcBase + static_cast<uint32_t>(i);
      // SRTP read once: no stream wraps its sequence number within the file. The relay makes
      // a stream's context with rollover counter 0 when its first packet arrives (RFC 3711
      // 3.3.1), and it drops every packet while its contexts are being made: a stream whose
      // first packet the relay sees after a wrap would be keyed one rollover behind its
      // sender and fail authentication for good (a late joiner, not what is measured here).
      uint32_t seq0 = sbc::bench::benchFirstSeq(i);
      if (srtp && stride == 1 && rounds < 32768) seq0 %= static_cast<uint32_t>(65536 - rounds);
      srtp_t s =
          srtp ? makeSession(suite, sbc::bench::benchSrtpKey(suite, i, 'A'), ssrc, false) : nullptr;
      for (uint64_t r = 0; r < rounds; ++r) {
        const uint64_t k = r * n + i;
        uint8_t* p = base + 24 + k * rec;
        const uint64_t us = k;  // 1 us apart, as relay_pcap.py
        uint32_t rh[4] = {static_cast<uint32_t>(us / 1000000), static_cast<uint32_t>(us % 1000000),
                          static_cast<uint32_t>(frameLen), static_cast<uint32_t>(frameLen)};
        std::memcpy(p, rh, sizeof rh);
        uint8_t* f = p + 16;
        std::memcpy(f, dstMac, 6);
        std::memcpy(f + 6, srcMac, 6);
        put16(f + 12, 0x0800);
        uint8_t* ip = f + 14;
        ip[0] = 0x45, ip[1] = 0xB8;
        put16(ip + 2, static_cast<uint16_t>(ipLen));
        put16(ip + 4, static_cast<uint16_t>(i));
        put16(ip + 6, 0x4000);
        ip[8] = 64, ip[9] = 17;
        put16(ip + 10, 0);
        put32(ip + 12, rip.v);
        put32(ip + 16, lip.v);
        put16(ip + 10, static_cast<uint16_t>(~csum16(ip, 20)));
        uint8_t* udp = ip + 20;
        put16(udp, port);
        put16(udp + 2, port);
        put16(udp + 4, static_cast<uint16_t>(udpLen));
        put16(udp + 6, 0);
        uint8_t* rtp = udp + 8;
        rtp[0] = 0x80, rtp[1] = 8;  // RTP v2, PCMA
        put16(rtp + 2, static_cast<uint16_t>(seq0 + r * stride));
        put32(rtp + 4, static_cast<uint32_t>(160 * r));
        put32(rtp + 8, ssrc);
        std::memset(rtp + 12, 0xD5, kPayload);  // A-law silence
        if (s) {
          int len = static_cast<int>(kRtpBytes);
          if (srtp_protect(s, rtp, &len) != srtp_err_status_ok ||
              static_cast<size_t>(len) != rtpLen)
            die("srtp_protect failed for session " + std::to_string(i + 1));
        }
        uint32_t pseudo = (rip.v >> 16) + (rip.v & 0xFFFF) + (lip.v >> 16) + (lip.v & 0xFFFF) + 17 +
                          static_cast<uint32_t>(udpLen);
        uint16_t c = static_cast<uint16_t>(~csum16(udp, udpLen, pseudo));
        put16(udp + 6, c ? c : 0xFFFF);
      }
      if (s) srtp_dealloc(s);
    }
  };
  const auto threads = static_cast<uint64_t>(std::max(1.0, num(kv, "threads", 2)));
  auto t0 = Clock::now();
  std::vector<std::thread> ts;
  for (uint64_t t = 0; t < threads; ++t)
    ts.emplace_back(work, n * t / threads, n * (t + 1) / threads);
  for (auto& t : ts)
    t.join();
  munmap(base, bytes);
  close(fd);
  std::printf("srtp_pcap: %" PRIu64 " frames of %zu bytes (%" PRIu64 " per session, %" PRIu64
              " sessions, sequence stride %u%s) in %.1f s\n",
              frames, frameLen, rounds, n, stride,
              srtp ? (", SRTP " + std::string(mp::srtpSuiteName(suite))).c_str() : ", plain RTP",
              std::chrono::duration<double>(Clock::now() - t0).count());
  return 0;
}

int rawMode(const std::map<std::string, std::string>& kv) {
  const mp::SrtpSuite suite = suiteArg(str(kv, "suite", "AES_CM_128_HMAC_SHA1_80"));
  const auto payload = static_cast<size_t>(num(kv, "payload", 160));
  const double seconds = num(kv, "seconds", 3);
  const std::string mode = str(kv, "mode", "protect");
  const std::string engine = str(kv, "engine", "openssl");
  if (payload < 1 || payload > 1400 || seconds <= 0) die("bad --payload or --seconds");
  if (mode != "protect" && mode != "unprotect") die("--mode takes protect or unprotect");
  const uint32_t ssrc = 0x5BC00000;
  const auto key = sbc::bench::benchSrtpKey(suite, 0, 'A');
  const size_t len = 12 + payload;
  std::vector<uint8_t> tmpl(len, 0xD5);
  tmpl[0] = 0x80, tmpl[1] = 8;
  put32(tmpl.data() + 8, ssrc);
  std::vector<uint8_t> buf(len + SRTP_MAX_TRAILER_LEN + 64);
  uint64_t done = 0;
  double secs = 0;
  const auto streams = static_cast<size_t>(num(kv, "streams", 1));
  if (streams < 1 || (streams > 1 && mode != "protect")) die("--streams N is for protect");
  if (mode == "protect") {
    // --streams N: round-robin over N contexts (one srtp_t each, as the relay keeps one
    // per stream direction), each packet for the next: what 100,000 streams cost when
    // their contexts no longer fit in the caches, without DPDK.
    std::vector<srtp_t> ss;
    for (size_t k = 0; k < streams; ++k) {
      uint32_t x = ssrc + static_cast<uint32_t>(k);
      ss.push_back(makeSession(suite, sbc::bench::benchSrtpKey(suite, k, 'A'), x, false));
    }
    const double t0 = cpuSeconds();
    uint16_t seq = 1;
    size_t next = 0;
    for (;;) {
      for (int k = 0; k < 4096; ++k) {
        std::memcpy(buf.data(), tmpl.data(), len);
        put16(buf.data() + 2, seq);
        put32(buf.data() + 4, static_cast<uint32_t>(done) * 160);
        put32(buf.data() + 8, ssrc + static_cast<uint32_t>(next));
        ++done;
        int l = static_cast<int>(len);
        if (srtp_protect(ss[next], buf.data(), &l) != srtp_err_status_ok)
          die("srtp_protect failed");
        if (++next == streams) {
          next = 0;
          ++seq;
        }
      }
      secs = cpuSeconds() - t0;
      if (secs >= seconds) break;
    }
    for (srtp_t s : ss)
      srtp_dealloc(s);
  } else {
    // A pool protected once, then unprotected once per pass with a fresh receiving context
    // (its creation is outside the timed part).
    const auto pool = static_cast<size_t>(num(kv, "pool", 65536));
    const size_t slot = (len + SRTP_MAX_TRAILER_LEN + 63) / 64 * 64;
    std::vector<uint8_t> packets(pool * slot);
    std::vector<int> lens(pool);
    srtp_t tx = makeSession(suite, key, ssrc, false);
    for (size_t k = 0; k < pool; ++k) {
      uint8_t* p = packets.data() + k * slot;
      std::memcpy(p, tmpl.data(), len);
      put16(p + 2, static_cast<uint16_t>(k + 1));
      put32(p + 4, static_cast<uint32_t>(k) * 160);
      lens[k] = static_cast<int>(len);
      if (srtp_protect(tx, p, &lens[k]) != srtp_err_status_ok) die("srtp_protect failed");
    }
    srtp_dealloc(tx);
    while (secs < seconds) {
      srtp_t rx = makeSession(suite, key, ssrc, true);
      const double t0 = cpuSeconds();
      for (size_t k = 0; k < pool; ++k) {
        // Unprotect works in place: on a copy, as the relay's input is fresh each time.
        std::memcpy(buf.data(), packets.data() + k * slot, static_cast<size_t>(lens[k]));
        int l = lens[k];
        if (srtp_unprotect(rx, buf.data(), &l) != srtp_err_status_ok) die("srtp_unprotect failed");
      }
      secs += cpuSeconds() - t0;
      done += pool;
      srtp_dealloc(rx);
    }
  }
  std::printf("RAW engine=%s libsrtp=%s suite=%s mode=%s streams=%zu payload=%zu packets=%" PRIu64
              " seconds=%.2f mpps=%.3f ns_per_packet=%.1f\n",
              engine.c_str(), srtp_get_version_string(),
              std::string(mp::srtpSuiteName(suite)).c_str(), mode.c_str(), streams, payload, done,
              secs, double(done) / secs / 1e6, secs * 1e9 / double(done));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: sbc-bench-srtp pcap --sessions N --rounds R --out FILE --layout FILE "
                 "[--seq-stride S] [--srtp SUITE]\n"
                 "       sbc-bench-srtp raw --suite NAME [--payload 160] [--seconds S] "
                 "[--mode protect|unprotect]\n");
    return 2;
  }
  std::string mode = argv[1];
  auto kv = parseArgs(argc, argv);
  const std::string engine = str(kv, "engine", "openssl");
  if (engine != "openssl" && engine != "nss") die("--engine takes openssl or nss");
  if (auto e = sbc::srtp::initialize(engine == "openssl" ? sbc::srtp::Engine::kOpenssl
                                                         : sbc::srtp::Engine::kLibsrtpBuiltIn);
      !e.empty())
    die("SRTP: " + e);
  if (mode == "pcap") return pcapMode(kv);
  if (mode == "raw") return rawMode(kv);
  die("unknown mode '" + mode + "' (pcap or raw)");
}

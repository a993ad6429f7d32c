// srtp_aesni_mb_bench: the SRTP protect transform of AES_CM_128_HMAC_SHA1_80 done by DPDK's
// aesni_mb crypto PMD (intel-ipsec-mb) through the synchronous CPU crypto API
// (rte_cryptodev_sym_cpu_crypto_process), on one core, no I/O: the alternative to libsrtp
// that issue 15 asks to measure next to srtp_raw_bench. Prints one line: mpps=<x>.
//
//   srtp_aesni_mb_bench [--payload 160] [--packets 2000000] [--burst 1] [--tag 10|4]
//                       [--clock cpu|wall]
//
// Each packet is the 172-byte RTP packet of srtp_raw_bench (12-byte header, 160-byte
// payload), in place: re-stamp sequence number and timestamp, build the RFC 3711 4.1.1
// counter block (session salt XOR SSRC XOR index), write the ROC after the payload, then ONE
// cipher+auth chain job: AES-128-CTR over the payload, HMAC-SHA1 over header + payload +
// ROC, 10-byte tag (--tag 4: AES_CM_128_HMAC_SHA1_32) written where the ROC was. That is only the
// cryptography: no key derivation (the session keys are fixed bytes), no replay window, no ROC
// estimation, which libsrtp does and an aesni_mb data path would have to re-implement. --burst N
// hands N packets (separate buffers) to one call; 1 (the default) is how libsrtp runs.
//
// Before timing, one packet is checked against OpenSSL (AES-128-CTR with the same key and
// counter block, HMAC-SHA1 of the same bytes); any difference aborts. The first 20,000
// packets warm up. Time is the thread's CPU time (--clock cpu, the default) or elapsed
// time (--clock wall), as srtp_raw_bench. EAL runs --no-huge --no-shconf --no-pci with
// --vdev crypto_aesni_mb0, its main lcore on the first CPU the process may run on (so
// `taskset -c 1` keeps it on CPU 1).

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <rte_cryptodev.h>
#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_mempool.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "tools/bench/src/srtp_bench_packet.h"

namespace {

bool g_cpu_clock = true;
int64_t now() {
  return sbc::bench::benchClockNs(g_cpu_clock);
}

constexpr uint32_t kSsrc = sbc::bench::kRawBenchSsrc;
constexpr size_t kHeader = 12;
size_t g_tag = 10;  // 10 for AES_CM_128_HMAC_SHA1_80, 4 for _32
constexpr size_t kSlot = 2048;
constexpr size_t kMaxBurst = 64;

// Session keys (what the KDF would give; fixed bytes for a rate measurement).
constexpr std::array<uint8_t, 16> kCipherKey = {0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
                                                0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c};
constexpr std::array<uint8_t, 14> kSalt = {0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6,
                                           0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd};
constexpr std::array<uint8_t, 20> kAuthKey = {0x0b, 0x1c, 0x2d, 0x3e, 0x4f, 0x50, 0x61,
                                              0x72, 0x83, 0x94, 0xa5, 0xb6, 0xc7, 0xd8,
                                              0xe9, 0xfa, 0x0b, 0x1c, 0x2d, 0x3e};

int usage(const char* why) {
  std::fprintf(
      stderr,
      "srtp_aesni_mb_bench: %s\n"
      "usage: srtp_aesni_mb_bench [--payload BYTES] [--packets N] [--burst N] [--tag 10|4]\n"
      "                           [--clock cpu|wall]\n",
      why);
  return 2;
}

int fail(const char* why) {
  std::fprintf(stderr, "srtp_aesni_mb_bench: %s\n", why);
  return 3;
}

// RFC 3711 4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16), i = ROC || SEQ.
void counterBlock(uint8_t* iv, uint32_t roc, uint16_t seq) {
  std::memcpy(iv, kSalt.data(), kSalt.size());
  iv[14] = 0;
  iv[15] = 0;
  iv[4] ^= static_cast<uint8_t>(kSsrc >> 24);
  iv[5] ^= static_cast<uint8_t>(kSsrc >> 16);
  iv[6] ^= static_cast<uint8_t>(kSsrc >> 8);
  iv[7] ^= static_cast<uint8_t>(kSsrc);
  iv[8] ^= static_cast<uint8_t>(roc >> 24);
  iv[9] ^= static_cast<uint8_t>(roc >> 16);
  iv[10] ^= static_cast<uint8_t>(roc >> 8);
  iv[11] ^= static_cast<uint8_t>(roc);
  iv[12] ^= static_cast<uint8_t>(seq >> 8);
  iv[13] ^= static_cast<uint8_t>(seq);
}

void putRoc(uint8_t* p, uint32_t roc) {
  p[0] = static_cast<uint8_t>(roc >> 24);
  p[1] = static_cast<uint8_t>(roc >> 16);
  p[2] = static_cast<uint8_t>(roc >> 8);
  p[3] = static_cast<uint8_t>(roc);
}

// The packets of one call: buffers, their SGLs and IVs, and the vector the API takes.
struct Burst {
  std::vector<uint8_t> buffers;
  std::array<rte_crypto_vec, kMaxBurst> vecs{};
  std::array<rte_crypto_sgl, kMaxBurst> sgls{};
  std::array<std::array<uint8_t, 16>, kMaxBurst> ivs{};
  std::array<rte_crypto_va_iova_ptr, kMaxBurst> iv_ptrs{};
  std::array<rte_crypto_va_iova_ptr, kMaxBurst> digests{};
  std::array<rte_crypto_va_iova_ptr, kMaxBurst> aads{};
  std::array<int32_t, kMaxBurst> status{};
  rte_crypto_sym_vec vec{};

  Burst(size_t n, size_t payload) : buffers(n * kSlot, 0xd5) {
    for (size_t i = 0; i < n; ++i) {
      uint8_t* p = buffers.data() + i * kSlot;
      vecs[i] = {p, 0, static_cast<uint32_t>(kHeader + payload + 4), kSlot};
      sgls[i] = {&vecs[i], 1};
      iv_ptrs[i] = {ivs[i].data(), 0};
      digests[i] = {p + kHeader + payload, 0};  // the tag replaces the ROC
      aads[i] = {nullptr, 0};
    }
    vec.num = static_cast<uint32_t>(n);
    vec.src_sgl = sgls.data();
    vec.dest_sgl = nullptr;
    vec.iv = iv_ptrs.data();
    vec.digest = digests.data();
    vec.aad = aads.data();
    vec.status = status.data();
  }
  uint8_t* packet(size_t i) { return buffers.data() + i * kSlot; }
};

// One packet through OpenSSL: the expected SRTP packet (header, ciphertext, tag).
bool referenceProtect(const uint8_t* plain, size_t payload, uint32_t roc, uint16_t seq,
                      std::vector<uint8_t>& out) {
  out.assign(plain, plain + kHeader + payload);
  std::array<uint8_t, 16> iv{};
  counterBlock(iv.data(), roc, seq);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int n = 0;
  bool ok =
      ctx &&
      EVP_EncryptInit_ex(ctx, EVP_aes_128_ctr(), nullptr, kCipherKey.data(), iv.data()) == 1 &&
      EVP_EncryptUpdate(ctx, out.data() + kHeader, &n, plain + kHeader,
                        static_cast<int>(payload)) == 1 &&
      n == static_cast<int>(payload);
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) {
    return false;
  }
  std::array<uint8_t, 4> roc_bytes{};
  putRoc(roc_bytes.data(), roc);
  out.insert(out.end(), roc_bytes.begin(), roc_bytes.end());
  std::array<uint8_t, EVP_MAX_MD_SIZE> mac{};
  unsigned mac_length = 0;
  if (HMAC(EVP_sha1(), kAuthKey.data(), kAuthKey.size(), out.data(), out.size(), mac.data(),
           &mac_length) == nullptr ||
      mac_length != 20) {
    return false;
  }
  out.resize(kHeader + payload);
  out.insert(out.end(), mac.begin(), mac.begin() + g_tag);
  return true;
}

// EAL's main lcore on the first CPU this process may run on (taskset's choice).
int firstAllowedCpu() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) {
    return 0;
  }
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) {
      return cpu;
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  size_t payload = 160;
  uint64_t packets = 2'000'000;
  size_t burst = 1;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (i + 1 >= argc) {
      return usage(("missing value for " + std::string(arg)).c_str());
    }
    const char* value = argv[++i];
    if (arg == "--payload") {
      payload = std::strtoul(value, nullptr, 10);
    } else if (arg == "--packets") {
      packets = std::strtoull(value, nullptr, 10);
    } else if (arg == "--tag") {
      g_tag = std::strtoul(value, nullptr, 10);
      if (g_tag != 10 && g_tag != 4) {
        return usage("--tag is 10 or 4");
      }
    } else if (arg == "--burst") {
      burst = std::strtoul(value, nullptr, 10);
    } else if (arg == "--clock") {
      if (std::string_view(value) != "cpu" && std::string_view(value) != "wall") {
        return usage("--clock is cpu or wall");
      }
      g_cpu_clock = std::string_view(value) == "cpu";
    } else {
      return usage(("unknown option " + std::string(arg)).c_str());
    }
  }
  if (payload == 0 || kHeader + payload + 4 + g_tag > kSlot) {
    return usage("--payload out of range");
  }
  if (packets == 0 || packets > 1'000'000'000) {
    return usage("--packets out of range");
  }
  if (burst == 0 || burst > kMaxBurst) {
    return usage("--burst is 1..64");
  }

  std::string lcore = std::to_string(firstAllowedCpu());
  std::string prefix = "aesnimb" + std::to_string(getpid());
  std::vector<std::string> eal = {"srtp_aesni_mb_bench",
                                  "-l",
                                  lcore,
                                  "--no-huge",
                                  "-m",
                                  "512",
                                  "--no-pci",
                                  "--no-shconf",
                                  "--no-telemetry",
                                  "--file-prefix",
                                  prefix,
                                  "--vdev",
                                  "crypto_aesni_mb0",
                                  "--log-level",
                                  "*:warning"};
  std::vector<char*> eal_argv;
  for (auto& a : eal) {
    eal_argv.push_back(a.data());
  }
  if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
    return fail("rte_eal_init failed");
  }
  // EAL leaves its runtime directory behind; removed at the end (even after a failure).
  const std::string runtime_dir = rte_eal_get_runtime_dir();
  struct RemoveRuntimeDir {
    std::string dir;
    ~RemoveRuntimeDir() {
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
    }
  } remove_runtime_dir{runtime_dir};
  int dev = rte_cryptodev_get_dev_id("crypto_aesni_mb0");
  if (dev < 0) {
    return fail("no crypto_aesni_mb0 (librte-crypto-ipsec-mb23 not installed?)");
  }
  rte_cryptodev_info info{};
  rte_cryptodev_info_get(static_cast<uint8_t>(dev), &info);
  if ((info.feature_flags & RTE_CRYPTODEV_FF_SYM_CPU_CRYPTO) == 0) {
    return fail("crypto_aesni_mb0 has no synchronous CPU crypto (RTE_CRYPTODEV_FF_SYM_CPU_CRYPTO)");
  }
  // CPU crypto needs no queue pair traffic, but the device must be configured and started.
  rte_cryptodev_config config{};
  config.socket_id = rte_socket_id();
  config.nb_queue_pairs = 1;
  rte_cryptodev_qp_conf qp{};
  qp.nb_descriptors = 128;
  unsigned session_size = rte_cryptodev_sym_get_private_session_size(static_cast<uint8_t>(dev));
  rte_mempool* sessions = rte_cryptodev_sym_session_pool_create(
      "srtp_sessions", 4, session_size, 0, 0, static_cast<int>(rte_socket_id()));
  qp.mp_session = sessions;
  if (sessions == nullptr || rte_cryptodev_configure(static_cast<uint8_t>(dev), &config) != 0 ||
      rte_cryptodev_queue_pair_setup(static_cast<uint8_t>(dev), 0, &qp,
                                     static_cast<int>(rte_socket_id())) != 0 ||
      rte_cryptodev_start(static_cast<uint8_t>(dev)) != 0) {
    return fail("cannot configure or start crypto_aesni_mb0");
  }

  // Encrypt-then-MAC: the cipher transform first, the auth transform chained after it.
  rte_crypto_sym_xform auth{};
  auth.type = RTE_CRYPTO_SYM_XFORM_AUTH;
  auth.auth.op = RTE_CRYPTO_AUTH_OP_GENERATE;
  auth.auth.algo = RTE_CRYPTO_AUTH_SHA1_HMAC;
  auth.auth.key.data = kAuthKey.data();
  auth.auth.key.length = kAuthKey.size();
  auth.auth.digest_length = g_tag;
  rte_crypto_sym_xform cipher{};
  cipher.type = RTE_CRYPTO_SYM_XFORM_CIPHER;
  cipher.next = &auth;
  cipher.cipher.op = RTE_CRYPTO_CIPHER_OP_ENCRYPT;
  cipher.cipher.algo = RTE_CRYPTO_CIPHER_AES_CTR;
  cipher.cipher.key.data = kCipherKey.data();
  cipher.cipher.key.length = kCipherKey.size();
  cipher.cipher.iv.offset = 0;  // CPU crypto takes the IV from the vector
  cipher.cipher.iv.length = 16;
  void* session = rte_cryptodev_sym_session_create(static_cast<uint8_t>(dev), &cipher, sessions);
  if (session == nullptr) {
    return fail("aesni_mb refused the AES-128-CTR + HMAC-SHA1 session");
  }
  // Cipher: the payload (after the header, before the ROC). Auth: header + payload + ROC.
  rte_crypto_sym_ofs ofs{};
  ofs.ofs.cipher.head = kHeader;
  ofs.ofs.cipher.tail = 4;
  ofs.ofs.auth.head = 0;
  ofs.ofs.auth.tail = 0;

  Burst b(burst, payload);
  uint32_t roc = 0;
  uint16_t seq = 1;
  uint32_t ts = 0;
  // Stamps packet i of the burst with the next index: header, counter block, ROC.
  auto prepare = [&](size_t i) {
    uint8_t* p = b.packet(i);
    sbc::bench::stampRtpHeader(p, seq, ts += 160);
    counterBlock(b.ivs[i].data(), roc, seq);
    putRoc(p + kHeader + payload, roc);
    if (++seq == 0) {
      ++roc;
    }
  };

  // Self-check: one packet against OpenSSL.
  {
    uint8_t* p = b.packet(0);
    for (size_t i = 0; i < payload; ++i) {
      p[kHeader + i] = static_cast<uint8_t>(i * 7 + 1);
    }
    const uint32_t check_roc = roc;
    const uint16_t check_seq = seq;
    prepare(0);
    std::vector<uint8_t> expected;
    if (!referenceProtect(p, payload, check_roc, check_seq, expected)) {
      return fail("OpenSSL reference failed");
    }
    b.vec.num = 1;
    if (rte_cryptodev_sym_cpu_crypto_process(static_cast<uint8_t>(dev), session, ofs, &b.vec) !=
            1 ||
        b.status[0] != 0) {
      return fail("rte_cryptodev_sym_cpu_crypto_process failed on the self-check packet");
    }
    b.vec.num = static_cast<uint32_t>(burst);
    if (std::memcmp(p, expected.data(), kHeader + payload) != 0) {
      return fail("self-check: aesni_mb's AES-128-CTR ciphertext differs from OpenSSL's");
    }
    if (std::memcmp(p + kHeader + payload, expected.data() + kHeader + payload, g_tag) != 0) {
      return fail("self-check: aesni_mb's HMAC-SHA1 tag differs from OpenSSL's");
    }
    std::fprintf(stderr, "srtp_aesni_mb_bench: self-check against OpenSSL passed\n");
  }

  const uint64_t warmup = 20'000;
  const uint64_t total = warmup + packets;
  int64_t start = 0;
  uint64_t done = 0;
  uint64_t counted_from = 0;
  bool timing = false;
  while (done < total) {
    if (!timing && done >= warmup) {
      timing = true;
      counted_from = done;
      start = now();
    }
    for (size_t i = 0; i < burst; ++i) {
      prepare(i);
    }
    uint32_t ok =
        rte_cryptodev_sym_cpu_crypto_process(static_cast<uint8_t>(dev), session, ofs, &b.vec);
    if (ok != burst) {
      std::fprintf(stderr, "srtp_aesni_mb_bench: protect failed at packet %llu\n",
                   static_cast<unsigned long long>(done));
      return 3;
    }
    done += burst;
  }
  const int64_t timed = now() - start;
  const uint64_t counted = done - counted_from;
  std::printf("mpps=%.3f\n",
              static_cast<double>(counted) / (static_cast<double>(timed) / 1e9) / 1e6);
  rte_cryptodev_stop(static_cast<uint8_t>(dev));
  rte_cryptodev_sym_session_free(static_cast<uint8_t>(dev), session);
  rte_eal_cleanup();
  return 0;
}

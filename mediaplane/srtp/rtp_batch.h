#pragma once

// The relay's SRTP fast path for RTP: many streams' packets protected or unprotected in one
// go through libipsec-mb's multi-buffer job manager (README.md here, "The fast path": why
// next to libsrtp, and the figures). One RtpStream is one SSRC in one direction, the same
// transform libsrtp runs (RFC 3711 AES-CM + HMAC-SHA1, RFC 7714 AES-GCM, the same index
// estimate and 128-packet replay window), with the state a packet needs in a few adjacent
// cache lines instead of libsrtp's chain of pointers. Tests check both byte for byte against
// libsrtp. RTCP, rare, stays on libsrtp (Context).
//
// Not thread-safe: a stream and a batch belong to one lcore at a time. Nothing here
// allocates after create().

#include <cstdint>
#include <memory>
#include <string>

#include "mediaplane/api/media_plane.h"
#include "mediaplane/srtp/context.h"

struct IMB_MGR;
struct IMB_JOB;

namespace sbc::srtp {

// One SSRC's RTP in one direction.
class alignas(64) RtpStream {
 public:
  // Whether the fast path runs `suite` on this machine (libipsec-mb found a usable CPU).
  static bool supported(SrtpSuite suite);
  // Derives the session keys from the master key (RFC 3711 4.3.1, key derivation rate 0;
  // RFC 7714 11 for GCM). `roc`: as Context::create (a re-key carries it over). Null, with
  // `error` set (never key material), when the suite is not supported.
  static std::unique_ptr<RtpStream> create(SrtpSuite suite, const SrtpMasterKey& key,
                                           Direction direction, uint32_t ssrc, uint32_t roc,
                                           std::string& error);
  ~RtpStream();
  RtpStream(const RtpStream&) = delete;
  RtpStream& operator=(const RtpStream&) = delete;

  // The rollover counter as libsrtp's Context::roc() would report it.
  uint32_t roc() const;
  uint32_t ssrc() const { return ssrc_; }
  SrtpSuite suite() const { return suite_; }
  Direction direction() const { return direction_; }
  // Bytes protect adds (the tag).
  uint8_t tagLength() const { return tag_length_; }
  // The cache lines a packet of `suite` reads: the state, then HMAC's and AES's keys (GCM:
  // round keys and the first GHASH key powers).
  static constexpr uint8_t hotLines(SrtpSuite suite) {
    return suite == SrtpSuite::kAeadAes128Gcm || suite == SrtpSuite::kAeadAes256Gcm ? 8 : 5;
  }
  // Starts fetching them (a relay asks a few packets ahead). Reads nothing of the stream:
  // `lines` comes from where its pointer was found.
  void prefetch(uint8_t lines) const {
    const auto* p = reinterpret_cast<const char*>(this);
    for (uint8_t i = 0; i < lines; ++i)
      __builtin_prefetch(p + 64 * i);
  }

 private:
  friend class RtpBatch;
  RtpStream() = default;

  // Line 0: what every packet reads and writes.
  uint64_t index_ = 0;        // highest packet index accepted: ROC << 16 | SEQ
  uint64_t window_[2]{};      // bit n of the 128: index_ - n was accepted
  uint32_t pending_roc_ = 0;  // a carried ROC, applied with the first packet (as libsrtp)
  uint32_t ssrc_ = 0;
  SrtpSuite suite_ = SrtpSuite::kAesCm128HmacSha1_80;
  Direction direction_ = Direction::kProtect;
  uint8_t tag_length_ = 10;
  bool gcm_ = false;
  uint8_t key_length_ = 16;  // AES key bytes
  uint8_t salt_[14]{};       // session salt (12 bytes for GCM)
  // Lines 1-4 (AES-CM): HMAC-SHA1 inner and outer states, then the AES round keys. GCM: its
  // round keys and GHASH key powers, in the layout libipsec-mb's architecture wants.
  union Keys {
    struct Cm {
      alignas(16) uint8_t ipad[20];
      alignas(16) uint8_t opad[20];
      alignas(16) uint8_t round[16 * 15];
    } cm;
    alignas(64) uint8_t gcm[1024];  // struct gcm_key_data
    Keys() : gcm{} {}
  } keys_;
};

// Up to kCapacity jobs of one lcore, run together.
class RtpBatch {
 public:
  static constexpr uint16_t kCapacity = 128;

  // Null, with `error` set, when libipsec-mb cannot run here.
  static std::unique_ptr<RtpBatch> create(std::string& error);
  ~RtpBatch();
  RtpBatch(const RtpBatch&) = delete;
  RtpBatch& operator=(const RtpBatch&) = delete;

  // Room for `n` more jobs before the next reset().
  bool room(uint16_t n) const { return count_ + n <= kCapacity; }
  uint16_t size() const { return count_; }

  // Queues one RTP packet (`length` bytes at `packet`, header included), in place. Protect
  // needs stream.tagLength() bytes of room after the packet; its index is checked and taken
  // now (a sender never reuses one: kReplay). Unprotect checks the index against the
  // window now and again in finish(). kOk: queued as `id`; anything else: not queued.
  Status protect(RtpStream& stream, uint8_t* packet, int length, uint16_t& id);
  Status unprotect(RtpStream& stream, uint8_t* packet, int length, uint16_t& id);

  // Runs every queued job (jobs may also complete earlier, while others are queued).
  void run();

  // After run(), once per id. Protect: the tag is in place, `length` becomes the protected
  // length. Unprotect: the tag checked (kAuthFail) and the index taken into the window
  // (kReplay), `length` becomes the plain length. The packet is changed either way.
  Status finish(uint16_t id, int& length);

  // Forgets every job (all finished, or abandoned); ids start again at 0.
  void reset() { count_ = 0; }

 private:
  RtpBatch() = default;
  struct Job;
  Status queue(RtpStream& stream, uint8_t* packet, int length, bool protect, uint16_t& id);
  static void collect(IMB_JOB* done);

  IMB_MGR* manager_ = nullptr;
  Job* jobs_ = nullptr;  // kCapacity of them
  uint16_t count_ = 0;
};

}  // namespace sbc::srtp

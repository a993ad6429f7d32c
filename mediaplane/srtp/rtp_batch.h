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
  // Derives the session keys from the master key (RFC 3711 4.3.1, key derivation rate 0;
  // RFC 7714 11 for GCM). `roc`: as Context::create (a re-key carries it over). The same
  // stream protects or unprotects; the SSRC is the packets' (the relay finds a stream by
  // it). Null, with `error` set (never key material), when libipsec-mb cannot run here.
  static std::unique_ptr<RtpStream> create(SrtpSuite suite, const SrtpMasterKey& key, uint32_t roc,
                                           std::string& error);
  ~RtpStream();
  RtpStream(const RtpStream&) = delete;
  RtpStream& operator=(const RtpStream&) = delete;

  // The rollover counter as libsrtp's Context::roc() would report it.
  uint32_t roc() const;
  // Bytes protect adds (the tag).
  uint8_t tagLength() const { return tag_length_; }
  // The cache lines a packet of `suite` reads, as a mask (bit n: line n): AES-CM's keys and
  // state fill lines 0-3. GCM reads the state (line 3), its round keys (4-7) and, for RTP's
  // sizes, the last of libipsec-mb's 48 GHASH key powers (11-19): measured, srtp_batch_bench
  // at 100,000 streams (fetching none of them: a third of the rate).
  static constexpr uint32_t hotLines(SrtpSuite suite) {
    return suite == SrtpSuite::kAeadAes128Gcm || suite == SrtpSuite::kAeadAes256Gcm ? 0x000ff8f8
                                                                                    : 0x000f;
  }
  // Starts fetching them (a relay asks a poll ahead). Reads nothing of the stream: `lines`
  // comes from where its pointer was found.
  void prefetch(uint32_t lines) const {
    const auto* p = reinterpret_cast<const char*>(this);
    for (; lines != 0; lines &= lines - 1)
      __builtin_prefetch(p + 64 * __builtin_ctz(lines));
  }
  // create() allocates with the suite's size (GCM's keys follow the object).
  static void operator delete(void* p);

 private:
  friend class RtpBatch;
  RtpStream() = default;
  uint8_t* gcmKeys() { return reinterpret_cast<uint8_t*>(this) + sizeof(RtpStream); }
  bool gcm() const { return (flags_ & kGcm) != 0; }
  bool pending() const { return (index_ & kPending) != 0; }

  static constexpr uint8_t kGcm = 1;
  static constexpr uint8_t kAes256 = 2;
  // In index_: no packet yet, and bits 16-47 hold a carried ROC that the first packet's index
  // takes (libsrtp's pending ROC).
  static constexpr uint64_t kPending = uint64_t{1} << 63;

  // Lines 0-3, all a packet reads. AES-CM: the AES-128 round keys, HMAC-SHA1's inner and
  // outer states after their first block (RFC 2104, computed once); GCM leaves these unused.
  // Then the state every packet reads and writes.
  alignas(64) uint8_t round_[16 * 11]{};
  uint8_t ipad_[20]{};
  uint8_t opad_[20]{};
  uint64_t index_ = 0;    // ROC << 16 | SEQ of the highest index accepted (or kPending)
  uint64_t window_[2]{};  // bit n of the 128: index_ - n was accepted
  uint8_t salt_[14]{};    // session salt (12 bytes for GCM)
  uint8_t tag_length_ = 10;
  uint8_t flags_ = 0;  // kGcm, kAes256
  // GCM streams have their keys (struct gcm_key_data) after the object, from line 4.
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

  // Protect writes its tag straight after the packet: libipsec-mb writes HMAC-SHA1's 12 bytes
  // (the _80 and _32 tags are 10 and 4 of them) and GCM's 16.
  static constexpr int kProtectRoom = 16;

  // Queues one RTP packet (`length` bytes at `packet`, header included), in place. Protect
  // needs kProtectRoom bytes of room after the packet; its index is checked and taken
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

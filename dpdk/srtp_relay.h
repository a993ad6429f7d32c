#pragma once

// SRTP in the relay (dpdk/README.md, "SRTP"): what the control thread publishes per stream
// direction, what the owner lcore keeps in it, and the messages between the lcores and the
// SRTP service thread that creates and frees libsrtp contexts (allocation never happens on
// an lcore).

#include <rte_ring.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "mediaplane/api/media_plane.h"
#include "mediaplane/srtp/context.h"
#include "mediaplane/srtp/rtp_batch.h"

namespace sbc::dpdk {

// Bits of Egress::srtp (the same in a target's two Egress): what a key's packets need.
inline constexpr uint8_t kSrtpUnprotect = 1;  // the side they come from speaks SRTP
inline constexpr uint8_t kSrtpProtect = 2;    // the side they go to speaks SRTP

// Indexes of SrtpSlot::crypto and of the ops in messages.
inline constexpr uint8_t kOpUnprotect = 0;
inline constexpr uint8_t kOpProtect = 1;
// Indexes of SrtpCrypto::kinds and SrtpSlot::owner: RTP and RTCP are owned separately (their
// ports hash to different RSS queues; a muxed port's both go to one).
inline constexpr uint8_t kKindRtp = 0;
inline constexpr uint8_t kKindRtcp = 1;

// One crypto use of one stream direction: unprotect with the sending side's `receive` key, or
// protect with the receiving side's `send` key. The key and suite are immutable; the contexts
// (one per SSRC, current and previous) belong to the lcore that owns the direction's kind
// (SrtpSlot::owner) and are touched by no other thread until the control thread frees the
// whole object, one RCU grace period after unpublishing it.
struct SrtpCrypto {
  SrtpCrypto() = default;
  ~SrtpCrypto();
  SrtpCrypto(const SrtpCrypto&) = delete;
  SrtpCrypto& operator=(const SrtpCrypto&) = delete;
  // From a huge-page slab (mediaplane/slab/slab.h): the lcores read one of its lines per
  // SRTP packet.
  static void* operator new(std::size_t size);
  static void operator delete(void* p) noexcept;

  uint64_t generation = 0;  // unique in the process: responses for an object gone are told apart
  mediaplane::SrtpSuite suite = mediaplane::SrtpSuite::kAesCm128HmacSha1_80;
  mediaplane::SrtpMasterKey key;
  uint8_t op = kOpUnprotect;
  // A re-key carries the rollover counter of the SSRC the old keys last served (RFC 3711
  // 3.3.1); any other SSRC starts at 0.
  bool carry = false;
  uint32_t carrySsrc = 0;
  uint32_t carryRoc = 0;

  // Per SSRC: RTCP always, and RTP where libipsec-mb cannot run, on libsrtp (`context`);
  // RTP on the fast path (`stream`, srtp::RtpBatch). A place holds one or the other.
  struct alignas(64) Kind {
    srtp::Context* context[2] = {nullptr, nullptr};  // [0] current, [1] previous (or learned)
    srtp::RtpStream* stream[2] = {nullptr, nullptr};
    uint32_t ssrc[2] = {0, 0};
    uint32_t lines = 0;  // RTP: a stream's lines to prefetch (RtpStream::hotLines), read with them
  };
  Kind kinds[2];
  // The RTP SSRC and ROC the owner last used (ssrc << 32 | roc), for the next re-key.
  std::atomic<uint64_t> reported{0};
  std::atomic<bool> hasReported{false};
};

// Per stream direction (indexed like the direction counters), shared by all lcores.
struct alignas(32) SrtpSlot {
  std::atomic<SrtpCrypto*> crypto[2] = {nullptr, nullptr};  // [kOpUnprotect], [kOpProtect]
  // Per kind: 1 + the worker index of the lcore that owns the contexts, claimed by
  // compare-and-swap by the first lcore with a packet; 0: nobody yet. Reset only when the
  // slot is reused for another stream (no lcore can reach it then).
  std::atomic<uint32_t> owner[2] = {0, 0};
};

// Lcore <-> service thread. kCreate: lcore -> service (a context for `ssrc` with this key),
// answered by a kCreated with context[0] or stream[0] (both null: it failed) on the lcore's
// response ring. kFree: lcore -> service, contexts and streams to destroy (displaced, or
// for an object gone).
struct alignas(8) SrtpMessage {
  enum Type : uint8_t { kCreate, kCreated, kFree };
  Type type = kCreate;
  uint8_t op = 0;
  uint8_t kind = 0;
  mediaplane::SrtpSuite suite = mediaplane::SrtpSuite::kAesCm128HmacSha1_80;
  uint32_t direction = 0;
  uint64_t generation = 0;
  uint32_t ssrc = 0;
  uint32_t roc = 0;
  srtp::Context* context[2] = {nullptr, nullptr};
  srtp::RtpStream* stream[2] = {nullptr, nullptr};
  mediaplane::SrtpMasterKey key;  // kCreate only; wiped by the service thread once read
};
static_assert(sizeof(SrtpMessage) % 8 == 0);

inline constexpr unsigned kSrtpRingSize = 256;   // each lcore's request and response rings
inline constexpr uint8_t kSrtpMaxLearning = 32;  // SSRCs one lcore waits for at once
inline constexpr uint16_t kSrtpParked = 128;     // packets one lcore holds while it waits
inline constexpr unsigned kHandoffRingSize = 1024;

// The rings of one lcore.
struct SrtpChannel {
  rte_ring* toService = nullptr;    // SP/SC: kCreate, kFree
  rte_ring* fromService = nullptr;  // SP/SC: kCreated
  rte_ring* handoff = nullptr;      // MP/SC: mbufs other lcores pass to this owner
};

// The service thread: creates contexts for kCreate, frees those of kFree. A std::thread
// (not an lcore): it sleeps when idle.
class SrtpService {
 public:
  // `fastRtp`: RTP gets srtp::RtpStream (every lcore has an srtp::RtpBatch), else libsrtp.
  SrtpService(std::vector<SrtpChannel> channels, bool fastRtp)
      : channels_(std::move(channels)), fast_rtp_(fastRtp) {}
  ~SrtpService() { stop(); }
  void start();
  // Stops the thread, then frees whatever contexts are still in the rings (the lcores have
  // stopped before).
  void stop();

 private:
  bool poll();
  std::vector<SrtpChannel> channels_;
  bool fast_rtp_ = false;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Frees what no lcore holds any more (the control thread, the service thread).
void destroyContext(srtp::Context* c);
void destroyStream(srtp::RtpStream* s);
void destroyAll(SrtpMessage& m);  // its contexts and streams

// What the SRTP part of relaying a packet found on ingress and egress needs: the object,
// context or stream that protects it (pointers, not places: a learned context moves from
// place [1] to [0] when it first serves), and, once the protect job is queued on the
// fast path, its id in the lcore's batch.
struct SrtpStep {
  SrtpCrypto* protect;
  srtp::Context* context;
  srtp::RtpStream* stream;
  uint32_t ssrc;
  uint8_t kind;
  bool queued;
  uint16_t id;
};

}  // namespace sbc::dpdk

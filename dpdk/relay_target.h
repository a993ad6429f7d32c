#pragma once

// What the control thread publishes and the lcores read: stream keys, immutable forwarding
// targets (after rtpengine's), latch words, and the per-lcore counters the control thread
// sums when asked.

#include <rte_byteorder.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "dpdk/dpdk_media_plane.h"
#include "dpdk/packet.h"
#include "dpdk/rtp_stats.h"

namespace sbc::dpdk {

inline constexpr uint32_t kNoSlot = UINT32_MAX;

// One direction's local end: (interface, which of its media addresses, local UDP port). RTP
// and RTCP ports are separate keys. The address is an index into the interface's addresses,
// so the key is the same for IPv4 and IPv6.
struct StreamKey {
  uint8_t interface = 0;
  uint8_t address = 0;  // 0: the interface's address, 1..: its extra addresses in order
  rte_be16_t port = 0;

  bool operator==(const StreamKey&) const = default;
};

// Where one kind of packet (RTP, or RTCP) arriving on a key goes.
struct Egress {
  rte_be32_t srcIp = 0;         // the egress realm's media address
  rte_be32_t dstIp = 0;         // the peer as signaled; 0: not known yet
  uint32_t dstLatch = kNoSlot;  // the peer's learned source, which wins when set (kLatch)
  rte_be16_t srcPort = 0;       // the SBC's port on that side
  rte_be16_t dstPort = 0;
  uint8_t interface = 0;
  // kSrtpUnprotect | kSrtpProtect (srtp_relay.h), the same in both Egress of a target: in the
  // target's line, so that plain streams pay one test of a byte already loaded.
  uint8_t srtp = 0;
};
static_assert(sizeof(Egress) == 20);

// Immutable once published: an update publishes a new one and retires the old through RCU.
// One cache line, aligned: the packet path reads all of it, and at 100,000 sessions each
// line is a miss. Allocated from a pool of their own (relay_target.cc), side by side on
// 2 MB pages: from the general heap they sat among the control thread's session records, so
// every byte those records grew spread the targets over more 4 KB pages (the SRTP keys that
// MediaEndpoint gained cost the plain relay ~12% at 100,000 sessions that way).
// How a key's packets are checked against their source (see acceptSource in lcore.cc).
enum class SourceCheck : uint8_t {
  kLearn,        // latch, and hand over from a source that went silent
  kLearnSameIp,  // kLearn, but only from the signaled IP (a public one: nothing NATs it)
  kLatchFirst,   // the first source holds until the signaled one takes over
  kStrict,       // only the signaled source, never latching
};

struct alignas(64) RelayTarget {
  rte_be32_t expectIp = 0;  // the source the peer signaled (always accepted)
  rte_be16_t expectPort = 0;
  PortKind kind = PortKind::kRtp;
  SourceCheck check = SourceCheck::kLearn;
  uint32_t srcLatch = kNoSlot;  // where this key's packets learn their source (kLatch)
  uint32_t direction = 0;       // index of the direction's counters on every lcore
  Egress rtp;                   // for RTP (kRtp, kMux)
  Egress rtcp;                  // for RTCP (kRtcp, kMux)
  uint64_t session = 0;         // the owner, for the control thread's checks

  // From the pool; any thread (the control threads), never an lcore.
  static void* operator new(std::size_t size);
  static void operator delete(void* p) noexcept;
};
static_assert(sizeof(RelayTarget) == 64);

// The stream table's entries: one per local port of a media address (see stream_table.h).
// Besides the target, where its counters and source latch word are: copies the lcore uses
// only to prefetch those lines as early as the target's, without waiting for the target.
// Torn or stale copies (the control thread is changing the slot) cost a wasted prefetch,
// nothing else: the packet path reads the indexes from the target itself.
struct TargetSlot {
  std::atomic<const RelayTarget*> target{nullptr};
  std::atomic<uint32_t> direction{0};  // | kSrtpHint: the target has SRTP (its state too)
  std::atomic<uint32_t> srcLatch{kNoSlot};
};
static_assert(sizeof(TargetSlot) == 16);
// In TargetSlot::direction's copy: fetch the direction's SRTP state from the first stage on
// (directions never reach 2^31).
inline constexpr uint32_t kSrtpHint = 1u << 31;
inline constexpr size_t kPortsPerAddress = 65536;
inline constexpr size_t kPortArrays = kMaxInterfaces * kMaxAddresses;
inline constexpr size_t portArray(uint8_t interface, uint8_t address) {
  return size_t{interface} * kMaxAddresses + address;
}

// A learned source in one word so that lcores can latch with one compare-and-swap:
// bit 48 = set, bits 16-47 = IPv4 address, bits 0-15 = port, both as on the wire.
// (IPv6 sources would need an indirection: a slot index in this word.)
// The learning modes keep, in the same word, how many packets the source has sent (bits
// 49-52, saturating at kConfirmPackets) and when it was last heard (bits 53-63, in latch
// ticks modulo 2048): whether it may be handed over is then decided from this one word, and
// the word is written at most once a tick per stream, not per packet.
inline uint64_t encodeSource(rte_be32_t ip, rte_be16_t port) {
  return uint64_t{1} << 48 | uint64_t{ip} << 16 | port;
}
inline constexpr uint64_t kSourceBits = (uint64_t{1} << 49) - 1;
inline constexpr unsigned kSeenShift = 49;
inline constexpr unsigned kStampShift = 53;
inline constexpr uint32_t kStampMask = 0x7ff;
// A source that has sent fewer packets is a candidate: it is handed over after kCandidateTicks
// of silence (a scanner's probe), a confirmed one after the configured handover time.
inline constexpr uint32_t kConfirmPackets = 8;
inline constexpr uint32_t kCandidateTicks = 2;
inline uint64_t encodeUse(uint64_t source, uint32_t seen, uint32_t tick) {
  return (source & kSourceBits) | uint64_t{seen} << kSeenShift |
         uint64_t{tick & kStampMask} << kStampShift;
}
inline uint32_t sourceSeen(uint64_t word) {
  return static_cast<uint32_t>(word >> kSeenShift) & 0xf;
}
// Ticks since the source was last heard, modulo the stamp's wrap. A stamp a little ahead
// (another lcore read the TSC a moment later: at most a tick or two) is 0. Anything else is
// silence: a latch silent longer than half the wrap (a call on hold for minutes) must still
// count as silent, or a new NAT binding could not take the stream over after a hold.
inline constexpr uint32_t kStampAheadTicks = 3;
inline uint32_t ticksSilent(uint64_t word, uint32_t tick) {
  uint32_t d = (tick - static_cast<uint32_t>(word >> kStampShift)) & kStampMask;
  return d > kStampMask - kStampAheadTicks ? 0 : d;
}
inline rte_be32_t sourceIp(uint64_t word) {
  return static_cast<rte_be32_t>(word >> 16);
}
inline rte_be16_t sourcePort(uint64_t word) {
  return static_cast<rte_be16_t>(word);
}

// One lcore's counters of one direction of a stream. The lcore is the only writer (plain
// load+store on a relaxed atomic: no locked instruction); the control thread reads the
// atomics, and resets a slot only when no lcore can reach it any more (RCU). A relayed
// packet writes the first cache line only; drops live on the second.
struct alignas(64) DirectionCounters {
  std::atomic<uint64_t> packets{0};
  std::atomic<uint64_t> bytes{0};  // UDP payload bytes
  std::atomic<uint64_t> lastSeenTsc{0};
  std::atomic<uint64_t> lost{0};
  std::atomic<uint64_t> jitter16{0};
  RtpReceiver rtp;  // lcore-private: the control thread never reads it
  alignas(64) std::atomic<uint64_t> drops[kDropReasons] = {};
};
static_assert(offsetof(DirectionCounters, drops) == 64, "the hot counters fill one line");

struct alignas(64) LcoreCounters {
  std::atomic<uint64_t> rxPackets{0};
  std::atomic<uint64_t> relayed{0};
  std::atomic<uint64_t> rxBytes{0};       // frames as received, Ethernet header included
  std::atomic<uint64_t> relayedBytes{0};  // frames as sent
  std::atomic<uint64_t> drops[kDropReasons] = {};
  std::atomic<uint64_t> arpReplies{0};
  std::atomic<uint64_t> arpRequests{0};
  std::atomic<uint64_t> arpLearned{0};
  std::atomic<uint64_t> arpConflicts{0};
  std::atomic<uint64_t> icmpEchoReplies{0};
  std::atomic<uint64_t> ignored{0};
};

// The single writer's increment.
inline void bump(std::atomic<uint64_t>& counter, uint64_t by = 1) {
  counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
}

}  // namespace sbc::dpdk

#pragma once

// The worker loop (after l3fwd and Seastar): each worker lcore owns one RX and one TX queue
// on every interface, its mempool, its neighbour cache and its counters. Per iteration it
// polls every RX queue in bursts of 32; every drain interval (100 us) it flushes its TX
// buffers, takes in what other lcores learned by ARP, and reports an RCU quiescent state.

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>

#include "dpdk/arp.h"
#include "dpdk/hot_array.h"
#include "dpdk/relay_target.h"
#include "dpdk/srtp_relay.h"

namespace sbc::dpdk {

inline constexpr uint16_t kBurst = 32;
inline constexpr uint16_t kPrefetchAhead = 4;
inline constexpr uint64_t kDrainMicroseconds = 100;

// One interface as the lcores see it; read-only once the lcores run.
struct InterfaceContext {
  uint16_t port = 0;
  uint8_t index = 0;
  rte_be32_t ip = 0;                         // the media address: also the source of ARP requests
  rte_be32_t addresses[kMaxAddresses] = {};  // ip first, then the extra ones
  uint8_t addressCount = 1;
  rte_be32_t mask = 0;
  rte_be32_t gateway = 0;  // 0: on-link peers only
  rte_ether_addr mac{};
  bool ipChecksumOffload = false;  // TX

  std::span<const rte_be32_t> local() const { return {addresses, addressCount}; }
  bool owns(rte_be32_t a) const {
    for (rte_be32_t mine : local()) {
      if (mine == a) return true;
    }
    return false;
  }
};

// What every lcore reads and no lcore writes (latches aside: see below).
struct SharedContext {
  const InterfaceContext* interfaces = nullptr;
  uint8_t interfaceCount = 0;
  const HotArray<TargetSlot>* ports = nullptr;  // the stream table: see stream_table.h
  rte_rcu_qsbr* rcu = nullptr;
  // Learned sources, one word per latch slot: written by compare-and-swap from whichever
  // lcore sees the source first, read by the lcores relaying the other direction.
  std::atomic<uint64_t>* latches = nullptr;
  const std::atomic<bool>* stop = nullptr;
  uint64_t drainTsc = 0;
  uint64_t tscPer8kHzTick = 1;  // RTP arrival times for jitter (8 kHz, see media_plane.h)
  // Latch ticks (the learning modes' clock): TSC >> latchTickShift, a quarter to half a second.
  uint8_t latchTickShift = 30;
  uint32_t handoverTicks = 0;  // silence before a confirmed source is handed over; 0: never
  // RTCP-only ports see a packet every few seconds (RFC 3550: 5 s, randomized): their source
  // is handed over after this much silence, candidate or not (0: only candidates, and never).
  uint32_t rtcpHandoverTicks = 0;
  NeighbourTable::Timing neighbourTiming{};
  // SRTP (srtp_relay.h): per direction, its crypto objects and owners; per worker index,
  // the ring through which other lcores pass an owner the packets RSS gave them.
  SrtpSlot* srtp = nullptr;
  rte_ring* const* handoff = nullptr;
};

// What an lcore tells the others it learned by ARP (a 16-byte ring element).
struct NeighbourUpdate {
  rte_be32_t ip = 0;
  uint8_t interface = 0;
  uint8_t pad = 0;
  rte_ether_addr mac{};
  uint32_t pad2 = 0;
};
static_assert(sizeof(NeighbourUpdate) == 16);

struct TxBuffer {
  uint16_t count = 0;
  rte_mbuf* packets[kBurst] = {};
};

// A burst whose UDP frames have been classified and looked up, waiting up to three polls
// to be relayed (see lcoreMain). Its targets are only valid until the lcore's next
// quiescent state, so every pending burst is relayed before one is reported.
inline constexpr uint8_t kPipelineDepth = 4;

struct PendingBurst {
  uint16_t count = 0;
  bool fetched = false;     // the latch words and counters its targets name are on their way
  uint8_t interface = 0;    // where it was received (in the padding: the layout is unchanged)
  uint32_t srtp = 0;        // bit j: targets[j] has SRTP (stage two; in the padding too)
  uint64_t hits = 0;        // bit j: packets[j] matched a stream, targets[j] is its target
  uint64_t arrivedTsc = 0;  // when it was received: arrival times, last seen, neighbours
  rte_mbuf* packets[kBurst] = {};
  const RelayTarget* targets[kBurst] = {};
  FrameView views[kBurst] = {};
};

// l3fwd's per-lcore configuration as one plain struct, plus what the lcore owns.
struct LcoreContext {
  explicit LcoreContext(const NeighbourTable::Timing& timing) : neighbours(timing) {}

  unsigned lcore = 0;
  uint16_t queue = 0;      // the same queue index on every interface
  unsigned rcuThread = 0;  // == queue
  const SharedContext* shared = nullptr;
  rte_mempool* pool = nullptr;  // RX buffers, and the frames this lcore originates (ARP)
  DirectionCounters* directions = nullptr;  // indexed by RelayTarget::direction
  LcoreCounters counters;
  TxBuffer tx[kMaxInterfaces];
  // Per interface, a ring of four: the burst being looked up (at `filling`), the one whose
  // counters are being fetched, one whose counters are on their way, and the oldest, being
  // relayed.
  PendingBurst pending[kMaxInterfaces][kPipelineDepth];
  uint8_t filling[kMaxInterfaces] = {};
  NeighbourTable neighbours;
  rte_ring* inbox = nullptr;  // MP/SC: NeighbourUpdate from the other lcores
  rte_ring* peers[RTE_MAX_LCORE] = {};
  unsigned peerCount = 0;

  // SRTP: this lcore's rings (to and from the service thread, and its handoff inbox), the
  // packets parked while the service thread creates a context for a new SSRC, and which
  // SSRCs it waits for.
  SrtpChannel srtp;
  struct Parked {
    rte_mbuf* m = nullptr;
    uint32_t direction = 0;
    uint32_t ssrc = 0;
    uint8_t interface = 0;
    uint8_t kind = 0;
  };
  Parked parked[kSrtpParked];
  uint16_t parkedHead = 0;
  uint16_t parkedCount = 0;
  struct Learning {
    uint64_t generation = 0;
    uint32_t ssrc = 0;
    uint8_t kind = 0;
  };
  Learning learning[kSrtpMaxLearning];
  uint8_t learningCount = 0;

  // SRTP's RTP fast path: packets whose jobs wait in `rtpBatch` (null: RTP runs on libsrtp,
  // one packet at a time), in arrival order. An unprotected packet goes on through the
  // relay when the batch has run, a protected one is sent.
  std::unique_ptr<srtp::RtpBatch> rtpBatch;
  struct Queued {
    rte_mbuf* m;
    const RelayTarget* t;
    SrtpCrypto* crypto;  // unprotect: its object and stream, told when it authenticates
    srtp::RtpStream* stream;
    SrtpStep step;  // unprotect: the protect to come
    uint64_t now;
    FrameView v;
    uint32_t arrival;
    uint16_t id;  // in rtpBatch
    uint8_t op;   // kOpUnprotect or kOpProtect
    uint8_t interface;
    uint8_t hops;
    uint8_t out;  // protect: the interface it leaves by
    bool udpSum;  // protect: the UDP checksum is computed once the payload is final
  };
  Queued queued[srtp::RtpBatch::kCapacity];
  uint16_t queuedCount = 0;
};

// Packets relay() queues before the batch runs (each may queue its protect too).
inline constexpr uint16_t kSrtpQueueLimit = srtp::RtpBatch::kCapacity / 2;

// rte_eal_remote_launch entry; `arg` is the LcoreContext. Returns when *shared->stop.
int lcoreMain(void* arg);

}  // namespace sbc::dpdk

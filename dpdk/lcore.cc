#include "dpdk/lcore.h"

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_prefetch.h>

#include <string.h>

#include <bit>
#include <new>
#include <utility>

namespace sbc::dpdk {
namespace {

using mediaplane::DropReason;

constexpr size_t at(DropReason r) {
  return static_cast<size_t>(r);
}

void flush(LcoreContext& lc, uint8_t interface) {
  TxBuffer& b = lc.tx[interface];
  if (b.count == 0) return;
  uint16_t sent =
      rte_eth_tx_burst(lc.shared->interfaces[interface].port, lc.queue, b.packets, b.count);
  for (uint16_t i = sent; i < b.count; ++i) {
    rte_mbuf* m = b.packets[i];
    // hash.usr carries the direction (+1) from relay() to here: drops stay attributed.
    if (m->hash.usr != 0) bump(lc.directions[m->hash.usr - 1].drops[at(DropReason::kTxFull)]);
    bump(lc.counters.drops[at(DropReason::kTxFull)]);
    rte_pktmbuf_free(m);
  }
  b.count = 0;
}

void transmit(LcoreContext& lc, uint8_t interface, rte_mbuf* m) {
  TxBuffer& b = lc.tx[interface];
  b.packets[b.count++] = m;
  if (b.count == kBurst) flush(lc, interface);
}

void drop(LcoreContext& lc, rte_mbuf* m, DropReason reason) {
  bump(lc.counters.drops[at(reason)]);
  rte_pktmbuf_free(m);
}

void drop(LcoreContext& lc, DirectionCounters& d, rte_mbuf* m, DropReason reason) {
  bump(d.drops[at(reason)]);
  drop(lc, m, reason);
}

void ignore(LcoreContext& lc, rte_mbuf* m) {
  bump(lc.counters.ignored);
  rte_pktmbuf_free(m);
}

RxHints hintsOf(const rte_mbuf* m) {
  RxHints h;
  switch (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) {
    case RTE_MBUF_F_RX_IP_CKSUM_GOOD:
    case RTE_MBUF_F_RX_IP_CKSUM_NONE:  // "not in the data, but the header was verified"
      h.ip = ChecksumHint::kGood;
      break;
    case RTE_MBUF_F_RX_IP_CKSUM_BAD:
      h.ip = ChecksumHint::kBad;
      break;
    default:
      break;
  }
  if ((m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_BAD)
    h.l4 = ChecksumHint::kBad;
  return h;
}

// Frames this lcore originates or turns around carry no direction and no offload request.
void prepareReply(rte_mbuf* m) {
  m->ol_flags = 0;
  m->hash.usr = 0;
}

void trimTo(rte_mbuf* m, uint32_t length) {
  if (m->pkt_len > length) rte_pktmbuf_trim(m, static_cast<uint16_t>(m->pkt_len - length));
}

// A who-has from this lcore's pool. The neighbour table allows one per next hop per retry
// interval, which bounds these allocations.
void requestNeighbour(LcoreContext& lc, const InterfaceContext& out, rte_be32_t target) {
  rte_mbuf* m = rte_pktmbuf_alloc(lc.pool);
  if (m == nullptr) return;
  auto* frame = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, kArpFrame));
  buildArpRequest(frame, out.mac, out.ip, target);
  prepareReply(m);
  bump(lc.counters.arpRequests);
  transmit(lc, out.index, m);
}

// Tells the other lcores what this one learned or confirmed.
void shareNeighbour(LcoreContext& lc, uint8_t interface, rte_be32_t ip, const rte_ether_addr& mac) {
  bump(lc.counters.arpLearned);
  // The reply to one lcore's request may reach another (RSS sends ARP to one queue): every
  // lcore keeps its own cache, so what one learns is told to the others as a message.
  NeighbourUpdate update;
  update.ip = ip;
  update.interface = interface;
  update.mac = mac;
  for (unsigned i = 0; i < lc.peerCount; ++i) {
    // A full inbox loses the update; that lcore will ask for itself.
    rte_ring_mp_enqueue_elem(lc.peers[i], &update, sizeof(update));
  }
}

// What a router does with ARP (RFC 826, hardened as routers are against spoofing): a known
// neighbour keeps its MAC against gratuitous ARP and unsolicited claims (counted as
// conflicts) until that MAC stops answering; the gateway, the next hop of every off-link
// peer, is learned from replies only, never from a request or an announcement; static
// neighbours never move.
void handleArp(LcoreContext& lc, const InterfaceContext& in, rte_mbuf* m, uint64_t now) {
  auto* frame = rte_pktmbuf_mtod(m, uint8_t*);
  ArpView arp;
  if (!parseArp(frame, m->data_len, arp)) return ignore(lc, m);
  bool usableSender = arp.senderIp != 0 && !in.owns(arp.senderIp) &&
                      rte_is_unicast_ether_addr(&arp.senderMac) &&
                      !rte_is_zero_ether_addr(&arp.senderMac);
  const bool forUs = in.owns(arp.targetIp);
  if (usableSender) {
    const bool reply = forUs && arp.op == RTE_ARP_OP_REPLY;
    // Others' ARP traffic refreshes what we know and adds nothing (RFC 826's merge).
    const bool create = forUs && (reply || arp.senderIp != in.gateway);
    using Claim = NeighbourTable::Claim;
    Claim c = lc.neighbours.claim(in.index, arp.senderIp, arp.senderMac, now, create, reply);
    if (c == Claim::kConflict) bump(lc.counters.arpConflicts);
    if (forUs && (c == Claim::kLearned || c == Claim::kRefreshed))
      shareNeighbour(lc, in.index, arp.senderIp, arp.senderMac);
  }
  if (!forUs) return ignore(lc, m);
  if (arp.op != RTE_ARP_OP_REQUEST) {
    rte_pktmbuf_free(m);
    return;
  }
  makeArpReply(frame, in.mac, arp.targetIp);
  trimTo(m, kArpFrame);
  prepareReply(m);
  bump(lc.counters.arpReplies);
  transmit(lc, in.index, m);
}

void handleEcho(LcoreContext& lc, const InterfaceContext& in, rte_mbuf* m, const FrameView& v) {
  uint16_t removed = stripIpOptions(rte_pktmbuf_mtod(m, uint8_t*), v.ipHeaderLength);
  if (removed) rte_pktmbuf_adj(m, removed);
  trimTo(m, v.frameLength - removed);
  makeEchoReply(rte_pktmbuf_mtod(m, uint8_t*), in.mac);
  prepareReply(m);
  bump(lc.counters.icmpEchoReplies);
  transmit(lc, in.index, m);
}

// What the other lcores learned; returns how many entries came in.
unsigned drainInbox(LcoreContext& lc, uint64_t now) {
  NeighbourUpdate updates[kBurst];
  unsigned n =
      rte_ring_sc_dequeue_burst_elem(lc.inbox, updates, sizeof(NeighbourUpdate), kBurst, nullptr);
  for (unsigned i = 0; i < n; ++i)
    lc.neighbours.learn(updates[i].interface, updates[i].ip, updates[i].mac, now);
  return n;
}

bool isSignaled(const RelayTarget& t, const FrameView& v) {
  return t.expectPort != 0 && v.srcIp == t.expectIp && v.srcPort == t.expectPort;
}

// The latched source was heard again: count it towards confirmation and stamp the tick, with
// one compare-and-swap at most once a tick (losing it means another lcore wrote the word).
void noteUse(std::atomic<uint64_t>& latch, uint64_t current, uint32_t tick) {
  uint32_t seen = sourceSeen(current);
  if (seen >= kConfirmPackets && ((current >> kStampShift) & kStampMask) == (tick & kStampMask))
    return;
  uint64_t next = encodeUse(current, seen < kConfirmPackets ? seen + 1 : seen, tick);
  latch.compare_exchange_strong(current, next, std::memory_order_relaxed);
}

// Latching (dpdk/README.md, "Latching"). The signaled source is always accepted and takes
// the word over; nothing takes over from it. Otherwise the first source latches, and:
// kLatchFirst: keeps the word for good. kLearn: a source that sent fewer than
// kConfirmPackets packets is handed over once it has been silent for kCandidateTicks (a
// scanner that sprayed first does not keep the stream), a confirmed one after
// handoverTicks of silence (media handover: a new NAT binding, another network). A source
// that is still sending is never displaced, so two senders cannot flap the stream.
// kLearnSameIp: kLearn, from the signaled IP only.
// RTCP-only ports: RTCP comes every few seconds, so their silences are measured in
// rtcpHandoverTicks instead.
// Inlined into relay() as it was before relay() had two callers (GCC then made it a call per
// packet; no measurable difference either way, docs/PERFORMANCE.md "SRTP").
[[gnu::always_inline]] inline bool acceptSource(std::atomic<uint64_t>& latch, const RelayTarget& t,
                                                const FrameView& v, uint32_t tick,
                                                const SharedContext& shared) {
  uint64_t source = encodeSource(v.srcIp, v.srcPort);
  uint64_t current = latch.load(std::memory_order_acquire);
  const bool learn = t.check != SourceCheck::kLatchFirst;
  if ((current & kSourceBits) == source) {
    if (learn) noteUse(latch, current, tick);
    return true;
  }
  if (t.check == SourceCheck::kLearnSameIp && v.srcIp != t.expectIp) return false;
  const uint64_t fresh = learn ? encodeUse(source, 1, tick) : source;
  if (current == 0) {
    if (latch.compare_exchange_strong(current, fresh, std::memory_order_acq_rel)) return true;
    if ((current & kSourceBits) == source) return true;  // another lcore latched the same source
  }
  if (isSignaled(t, v)) {
    // Losing this race means another lcore moved the word to this very source.
    latch.compare_exchange_strong(current, fresh, std::memory_order_acq_rel);
    return true;
  }
  if (!learn ||
      (t.expectPort != 0 && (current & kSourceBits) == encodeSource(t.expectIp, t.expectPort)))
    return false;
  const bool candidate = sourceSeen(current) < kConfirmPackets;
  uint32_t needed = t.kind == PortKind::kRtcp
                        ? (candidate || shared.handoverTicks != 0 ? shared.rtcpHandoverTicks : 0)
                        : (candidate ? kCandidateTicks : shared.handoverTicks);
  if (needed == 0 || ticksSilent(current, tick) < needed) return false;
  return latch.compare_exchange_strong(current, fresh, std::memory_order_acq_rel) ||
         (current & kSourceBits) == source;
}

// ---------------------------------------------------------------------------------------
// SRTP (dpdk/README.md, "SRTP"). Only packets whose target says so come here.

DropReason reasonOf(srtp::Status s) {
  switch (s) {
    case srtp::Status::kAuthFail:
      return DropReason::kSrtpAuth;
    case srtp::Status::kReplay:
      return DropReason::kSrtpReplay;
    default:
      return DropReason::kSrtpError;
  }
}

uint32_t ssrcOf(const uint8_t* payload, PayloadKind kind) {
  return rte_be_to_cpu_32(detail::load32(payload + (kind == PayloadKind::kRtcp ? 4 : 8)));
}

bool holds(const SrtpCrypto::Kind& k, int i) {
  return k.context[i] != nullptr || k.stream[i] != nullptr;
}

int findContext(const SrtpCrypto::Kind& k, uint32_t ssrc) {
  if (holds(k, 0) && k.ssrc[0] == ssrc) return 0;
  if (holds(k, 1) && k.ssrc[1] == ssrc) return 1;
  return -1;
}

// After a context or stream (`used`) served a packet: a learned one becomes the current one
// (so a stranger's SSRC, learned into the previous place, never displaces the stream's
// current context unless its packets authenticate and keep coming), and the RTP SSRC and
// ROC are reported for a later re-key: when a context starts serving, and after each wrap
// (the first 128 sequence numbers of each cycle).
void afterUse(SrtpCrypto& crypto, uint8_t kind, const void* used, uint32_t ssrc,
              const uint8_t* payload) {
  SrtpCrypto::Kind& k = crypto.kinds[kind];
  const bool learned = k.context[1] == used || k.stream[1] == used;
  if (learned) {
    std::swap(k.context[0], k.context[1]);
    std::swap(k.stream[0], k.stream[1]);
    std::swap(k.ssrc[0], k.ssrc[1]);
  }
  if (kind == kKindRtp && (learned || detail::loadHost16(payload + 2) < 128)) {
    const uint32_t roc = k.stream[0] != nullptr ? k.stream[0]->roc() : k.context[0]->roc(ssrc);
    crypto.reported.store(uint64_t{ssrc} << 32 | roc, std::memory_order_relaxed);
    crypto.hasReported.store(true, std::memory_order_release);
  }
}

// Asks the service thread for a context (unless one is already asked for). False: this lcore
// waits for too many already.
bool requestContext(LcoreContext& lc, const SrtpCrypto& c, uint32_t direction, uint8_t kind,
                    uint32_t ssrc) {
  for (uint8_t i = 0; i < lc.learningCount; ++i) {
    const LcoreContext::Learning& l = lc.learning[i];
    if (l.generation == c.generation && l.kind == kind && l.ssrc == ssrc) return true;
  }
  // One place stays free for the kFree that installing the answer may need.
  if (lc.learningCount == kSrtpMaxLearning || rte_ring_free_count(lc.srtp.toService) < 2)
    return false;
  SrtpMessage msg;
  msg.type = SrtpMessage::kCreate;
  msg.op = c.op;
  msg.kind = kind;
  msg.suite = c.suite;
  msg.direction = direction;
  msg.generation = c.generation;
  msg.ssrc = ssrc;
  // RFC 3711 3.3.1: a new SSRC starts at ROC 0; the SSRC the old keys served keeps its ROC.
  msg.roc = kind == kKindRtp && c.carry && c.carrySsrc == ssrc ? c.carryRoc : 0;
  msg.key = c.key;
  bool sent = rte_ring_sp_enqueue_elem(lc.srtp.toService, &msg, sizeof(msg)) == 0;
  explicit_bzero(msg.key.bytes.data(), msg.key.bytes.size());
  if (!sent) return false;
  lc.learning[lc.learningCount++] = {c.generation, ssrc, kind};
  return true;
}

void park(LcoreContext& lc, DirectionCounters& counters, rte_mbuf* m, uint32_t direction,
          uint32_t ssrc, uint8_t interface, uint8_t kind) {
  if (lc.parkedCount == kSrtpParked) return drop(lc, counters, m, DropReason::kSrtpError);
  LcoreContext::Parked& p = lc.parked[(lc.parkedHead + lc.parkedCount++) % kSrtpParked];
  p = {m, direction, ssrc, interface, kind};
}

// RSS gave this lcore a packet of a direction another lcore owns (its source changed: a new
// NAT binding): the owner relays it. hash.usr carries the interface and the hops made.
void handOff(LcoreContext& lc, DirectionCounters& counters, rte_mbuf* m, uint32_t owner,
             uint8_t interface, uint8_t hops) {
  // Owners change only when a slot is reused: two hops means a stream that went away.
  if (hops >= 2) return drop(lc, counters, m, DropReason::kSrtpError);
  m->hash.usr = interface | uint32_t{hops + 1u} << 8;
  if (rte_ring_mp_enqueue(lc.shared->handoff[owner - 1], m) != 0)
    drop(lc, counters, m, DropReason::kSrtpError);
}

void srtpRun(LcoreContext& lc);

// Queues an SRTP packet's unprotect job; it goes on through the relay when the batch runs.
void queueUnprotect(LcoreContext& lc, const RelayTarget& t, DirectionCounters& counters,
                    rte_mbuf* m, const FrameView& v, uint64_t now, uint32_t arrival,
                    uint8_t interface, uint8_t hops, SrtpCrypto& crypto, srtp::RtpStream& stream,
                    uint16_t payloadLength, const SrtpStep& step) {
  uint16_t id = 0;
  uint8_t* payload = rte_pktmbuf_mtod(m, uint8_t*) + v.payloadOffset;
  srtp::Status s = lc.rtpBatch->unprotect(stream, payload, payloadLength, id);
  if (s != srtp::Status::kOk) return drop(lc, counters, m, reasonOf(s));
  LcoreContext::Queued& q = lc.queued[lc.queuedCount++];
  q.m = m;
  q.t = &t;
  q.crypto = &crypto;
  q.stream = &stream;
  q.step = step;
  q.now = now;
  q.v = v;
  q.arrival = arrival;
  q.id = id;
  q.op = kOpUnprotect;
  q.interface = interface;
  q.hops = hops;
}

// Ownership, contexts, unprotect. False: the packet was handed off, parked, queued for the
// batch or dropped. Out of line: plain streams' relay() stays as small as before.
[[gnu::noinline]] bool srtpIngress(LcoreContext& lc, const RelayTarget& t,
                                   DirectionCounters& counters, rte_mbuf* m, const FrameView& v,
                                   PayloadKind kind, uint64_t now, uint32_t arrival,
                                   uint8_t interface, uint8_t hops, uint16_t& payloadLength,
                                   SrtpStep& step) {
  // Room for this packet's jobs, and for the protect each queued unprotect may add.
  if (lc.queuedCount >= kSrtpQueueLimit) srtpRun(lc);
  SrtpSlot& slot = lc.shared->srtp[t.direction];
  const uint8_t k = kind == PayloadKind::kRtcp ? kKindRtcp : kKindRtp;
  const uint32_t me = lc.queue + 1u;
  uint32_t owner = slot.owner[k].load(std::memory_order_acquire);
  if (owner != me && (owner != 0 || !slot.owner[k].compare_exchange_strong(
                                        owner, me, std::memory_order_acq_rel))) {
    handOff(lc, counters, m, owner, interface, hops);
    return false;
  }
  uint8_t* payload = rte_pktmbuf_mtod(m, uint8_t*) + v.payloadOffset;
  const uint32_t ssrc = ssrcOf(payload, kind);
  SrtpCrypto* crypto[2] = {nullptr, nullptr};
  int index[2] = {-1, -1};
  bool missing = false;
  for (uint8_t op = 0; op < 2; ++op) {
    if ((t.rtp.srtp & (op == kOpUnprotect ? kSrtpUnprotect : kSrtpProtect)) == 0) continue;
    crypto[op] = slot.crypto[op].load(std::memory_order_acquire);
    if (crypto[op] == nullptr) {  // an update is being published
      drop(lc, counters, m, DropReason::kSrtpError);
      return false;
    }
    index[op] = findContext(crypto[op]->kinds[k], ssrc);
    if (index[op] < 0) {
      missing = true;
      if (!requestContext(lc, *crypto[op], t.direction, k, ssrc)) {
        drop(lc, counters, m, DropReason::kSrtpError);
        return false;
      }
    }
  }
  if (missing) {
    park(lc, counters, m, t.direction, ssrc, interface, k);
    return false;
  }
  step.protect = crypto[kOpProtect];
  step.context = nullptr;
  step.stream = nullptr;
  if (step.protect != nullptr) {
    step.context = step.protect->kinds[k].context[index[kOpProtect]];
    step.stream = step.protect->kinds[k].stream[index[kOpProtect]];
  }
  step.kind = k;
  step.ssrc = ssrc;
  step.queued = false;
  step.id = 0;
  if (crypto[kOpUnprotect] != nullptr) {
    SrtpCrypto::Kind& uk = crypto[kOpUnprotect]->kinds[k];
    if (srtp::RtpStream* stream = uk.stream[index[kOpUnprotect]]; stream != nullptr) {
      queueUnprotect(lc, t, counters, m, v, now, arrival, interface, hops, *crypto[kOpUnprotect],
                     *stream, payloadLength, step);
      return false;
    }
    srtp::Context* c = uk.context[index[kOpUnprotect]];
    int length = payloadLength;
    srtp::Status s =
        k == kKindRtcp ? c->unprotectRtcp(payload, length) : c->unprotectRtp(payload, length);
    if (s != srtp::Status::kOk) {
      drop(lc, counters, m, reasonOf(s));
      return false;
    }
    payloadLength = static_cast<uint16_t>(length);
    afterUse(*crypto[kOpUnprotect], k, c, ssrc, payload);
  } else if ((m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) != RTE_MBUF_F_RX_L4_CKSUM_GOOD &&
             !udpChecksumValid(rte_pktmbuf_mtod(m, const uint8_t*), v.ipHeaderLength)) {
    // Protecting a corrupted datagram would authenticate the corruption (a NIC that checked
    // the sum spares the pass over the payload).
    drop(lc, counters, m, DropReason::kMalformed);
    return false;
  }
  return true;
}

// Egress: protect (with room for the tag), then the new lengths. False: dropped. On the fast
// path the protect job is queued (step.queued): the tag is written when the batch runs.
// Out of line: plain streams' relay() stays as small as before.
[[gnu::noinline]] bool srtpEgress(LcoreContext& lc, DirectionCounters& counters, rte_mbuf* m,
                                  uint8_t* frame, uint16_t payloadOffset, uint16_t& payloadLength,
                                  SrtpStep& step) {
  if (step.protect != nullptr) {
    uint8_t* payload = frame + payloadOffset;
    // The stream's own line says it: the object's first line stays out of cache.
    size_t trailer = step.stream != nullptr   ? step.stream->tagLength()
                     : step.kind == kKindRtcp ? srtp::rtcpTrailer(step.protect->suite)
                                              : srtp::rtpTrailer(step.protect->suite);
    // 2 KB mbufs always have room after a <= 1514-byte frame; a smaller buffer may not.
    // The fast path writes a little more than the tag (RtpBatch::kProtectRoom).
    const size_t room = step.stream != nullptr ? srtp::RtpBatch::kProtectRoom : trailer;
    if (rte_pktmbuf_tailroom(m) < room) {
      drop(lc, counters, m, DropReason::kSrtpError);
      return false;
    }
    if (step.stream != nullptr) {
      srtp::Status s = lc.rtpBatch->protect(*step.stream, payload, payloadLength, step.id);
      if (s != srtp::Status::kOk) {
        drop(lc, counters, m, reasonOf(s));
        return false;
      }
      step.queued = true;
      rte_pktmbuf_append(m, static_cast<uint16_t>(trailer));
      payloadLength = static_cast<uint16_t>(payloadLength + trailer);
      afterUse(*step.protect, step.kind, step.stream, step.ssrc, payload);
      setUdpPayloadLength(frame, payloadLength);
      return true;
    }
    srtp::Context* c = step.context;
    int length = payloadLength;
    srtp::Status s =
        step.kind == kKindRtcp ? c->protectRtcp(payload, length) : c->protectRtp(payload, length);
    if (s != srtp::Status::kOk || static_cast<size_t>(length - payloadLength) > trailer) {
      drop(lc, counters, m, reasonOf(s));
      return false;
    }
    rte_pktmbuf_append(m, static_cast<uint16_t>(length - payloadLength));
    payloadLength = static_cast<uint16_t>(length);
    afterUse(*step.protect, step.kind, c, step.ssrc, payload);
  }
  setUdpPayloadLength(frame, payloadLength);
  return true;
}

[[gnu::always_inline]] inline void send(LcoreContext& lc, DirectionCounters& counters, rte_mbuf* m,
                                        uint16_t bytes, uint8_t interface) {
  bump(counters.packets);
  bump(counters.bytes, bytes);
  bump(lc.counters.relayed);
  bump(lc.counters.relayedBytes, m->pkt_len);
  transmit(lc, interface, m);
}

// A protected packet, ready but for its tag (and its UDP checksum): sent when the batch runs.
void queueSend(LcoreContext& lc, const RelayTarget& t, rte_mbuf* m, const FrameView& v,
               const SrtpStep& step, uint8_t out, bool udpSum) {
  LcoreContext::Queued& q = lc.queued[lc.queuedCount++];
  q.m = m;
  q.t = &t;
  q.v = v;
  q.id = step.id;
  q.op = kOpProtect;
  q.out = out;
  q.udpSum = udpSum;
}

// relay() after the payload is plain: the source check, the route, the rewrite; protect.
[[gnu::always_inline]] inline void forward(LcoreContext& lc, const RelayTarget& t, rte_mbuf* m,
                                           const FrameView& v, PayloadKind kind, uint64_t now,
                                           uint32_t arrival, uint16_t payloadLength,
                                           SrtpStep& step) {
  const SharedContext& shared = *lc.shared;
  DirectionCounters& counters = lc.directions[t.direction];
  auto* frame = rte_pktmbuf_mtod(m, uint8_t*);
  const uint8_t* payload = frame + v.payloadOffset;
  bool accepted = t.check == SourceCheck::kStrict
                      ? isSignaled(t, v)
                      : acceptSource(shared.latches[t.srcLatch], t, v,
                                     static_cast<uint32_t>(now >> shared.latchTickShift), shared);
  if (!accepted) return drop(lc, counters, m, DropReason::kUnexpectedSource);
  // The peer is alive and its RTP says what the network did, relayed or not.
  counters.lastSeenTsc.store(now, std::memory_order_relaxed);
  if (kind == PayloadKind::kRtp) {
    counters.rtp.onPacket(readRtpHeader(payload), arrival);
    counters.lost.store(counters.rtp.lost, std::memory_order_relaxed);
    counters.jitter16.store(counters.rtp.jitter16, std::memory_order_relaxed);
  }

  const Egress& e = kind == PayloadKind::kRtcp ? t.rtcp : t.rtp;
  rte_be32_t dstIp = e.dstIp;
  rte_be16_t dstPort = e.dstPort;
  if (e.dstLatch != kNoSlot) {
    uint64_t learned = shared.latches[e.dstLatch].load(std::memory_order_acquire);
    if (learned != 0) {
      dstIp = sourceIp(learned);
      dstPort = sourcePort(learned);
    }
  }
  if (dstIp == 0 || dstPort == 0) return drop(lc, counters, m, DropReason::kNoRoute);
  const InterfaceContext& out = shared.interfaces[e.interface];
  rte_be32_t nextHop = ((dstIp ^ out.ip) & out.mask) == 0 ? dstIp : out.gateway;
  if (nextHop == 0) return drop(lc, counters, m, DropReason::kNoRoute);
  NeighbourTable::Resolution next = lc.neighbours.resolve(out.index, nextHop, now);
  if (next.mac == nullptr && drainInbox(lc, now) != 0) {
    // Another lcore may have learned it since this one last looked at its inbox.
    bool asked = next.sendRequest;
    next = lc.neighbours.resolve(out.index, nextHop, now);
    next.sendRequest = next.sendRequest || (asked && next.mac == nullptr);
  }
  if (next.sendRequest) requestNeighbour(lc, out, nextHop);
  if (next.mac == nullptr) return drop(lc, counters, m, DropReason::kNoRoute);

  uint16_t removed = v.ipHeaderLength > kIpv4Header ? stripIpOptions(frame, v.ipHeaderLength) : 0;
  if (removed) {
    rte_pktmbuf_adj(m, removed);
    frame = rte_pktmbuf_mtod(m, uint8_t*);
  }
  trimTo(m, v.frameLength - removed - (v.payloadLength - payloadLength));
  const bool srtp = t.rtp.srtp != 0;
  const bool udpSum = srtp && detail::load16(frame + kEthernetHeader + kIpv4Header + 6) != 0;
  if (srtp) [[unlikely]] {
    if (!srtpEgress(lc, counters, m, frame, static_cast<uint16_t>(v.payloadOffset - removed),
                    payloadLength, step))
      return;
  }
  Rewrite r;
  r.srcMac = out.mac;
  r.dstMac = *next.mac;
  r.srcIp = e.srcIp;
  r.dstIp = dstIp;
  r.srcPort = e.srcPort;
  r.dstPort = dstPort;
  rewriteUdp(frame, r, out.ipChecksumOffload);
  m->ol_flags = out.ipChecksumOffload ? RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM : 0;
  m->l2_len = kEthernetHeader;
  m->l3_len = kIpv4Header;
  m->hash.usr = t.direction + 1;
  if (srtp) [[unlikely]] {
    if (step.queued) return queueSend(lc, t, m, v, step, e.interface, udpSum);
    if (udpSum) setUdpChecksum(frame);  // the payload changed: an incremental update cannot tell
  }
  send(lc, counters, m, v.payloadLength, e.interface);
}

// Inlined into relayBurst, as it was when that was its only caller (reprocess is the other):
// a call per packet costs ~5% at 100,000 sessions.
[[gnu::always_inline]] inline void relay(LcoreContext& lc, const RelayTarget& t, rte_mbuf* m,
                                         const FrameView& v, uint64_t now, uint32_t arrival,
                                         uint8_t interface, uint8_t hops = 0) {
  const uint8_t* payload = rte_pktmbuf_mtod(m, const uint8_t*) + v.payloadOffset;
  PayloadKind kind = classifyPayload(payload, v.payloadLength, t.kind);
  if (kind == PayloadKind::kInvalid)
    return drop(lc, lc.directions[t.direction], m, DropReason::kMalformed);
  // SRTP: unprotected before the source check, so that only authentic packets latch.
  uint16_t payloadLength = v.payloadLength;
  SrtpStep step;
  if (t.rtp.srtp != 0) [[unlikely]] {
    if (!srtpIngress(lc, t, lc.directions[t.direction], m, v, kind, now, arrival, interface, hops,
                     payloadLength, step))
      return;
  }
  forward(lc, t, m, v, kind, now, arrival, payloadLength, step);
}

// One queued packet whose job has run.
void finishQueued(LcoreContext& lc, LcoreContext::Queued& q) {
  DirectionCounters& counters = lc.directions[q.t->direction];
  int length = 0;
  srtp::Status s = lc.rtpBatch->finish(q.id, length);
  if (s != srtp::Status::kOk) return drop(lc, counters, q.m, reasonOf(s));
  uint8_t* frame = rte_pktmbuf_mtod(q.m, uint8_t*);
  if (q.op == kOpProtect) {
    if (q.udpSum) setUdpChecksum(frame);
    return send(lc, counters, q.m, q.v.payloadLength, q.out);
  }
  afterUse(*q.crypto, kKindRtp, q.stream, q.step.ssrc, frame + q.v.payloadOffset);
  forward(lc, *q.t, q.m, q.v, PayloadKind::kRtp, q.now, q.arrival, static_cast<uint16_t>(length),
          q.step);
}

// Runs the batch: unprotected packets go on through the relay (queueing their protect jobs,
// which run next), protected ones are sent. Before anything that may free a context or
// stream (takeContexts) and before the quiescent state.
void srtpRun(LcoreContext& lc) {
  uint16_t begin = 0;
  while (begin < lc.queuedCount) {
    const uint16_t end = lc.queuedCount;
    lc.rtpBatch->run();
    for (uint16_t i = begin; i < end; ++i)
      finishQueued(lc, lc.queued[i]);
    begin = end;
  }
  lc.queuedCount = 0;
  if (lc.rtpBatch) lc.rtpBatch->reset();
}

// Stage one: classify a burst (ARP and ICMP are answered here), look its UDP frames up and
// start fetching their targets, counters and source latch words; stage two reads the
// targets a poll later.
void lookupBurst(LcoreContext& lc, const InterfaceContext& in, rte_mbuf** packets, uint16_t n,
                 uint64_t now, PendingBurst& out) {
  const HotArray<TargetSlot>* ports = lc.shared->ports;
  uint16_t count = 0;
  uint64_t hits = 0;

  bump(lc.counters.rxPackets, n);
  uint64_t bytes = 0;
  for (uint16_t i = 0; i < n && i < kPrefetchAhead; ++i)
    rte_prefetch0(rte_pktmbuf_mtod(packets[i], void*));
  for (uint16_t i = 0; i < n; ++i) {
    if (i + kPrefetchAhead < n) rte_prefetch0(rte_pktmbuf_mtod(packets[i + kPrefetchAhead], void*));
    rte_mbuf* m = packets[i];
    bytes += m->pkt_len;
    // Scatter is never enabled: a chained mbuf is a frame no media packet needs.
    if (m->nb_segs != 1) {
      drop(lc, m, DropReason::kMalformed);
      continue;
    }
    // Built where stage three reads it: copying a view just written field by field would
    // stall on store forwarding (wide loads over narrow stores), once per packet.
    FrameView& v = *new (&out.views[count]) FrameView(
        classifyFrame(rte_pktmbuf_mtod(m, const uint8_t*), m->data_len, in.local(), hintsOf(m)));
    switch (v.kind) {
      case FrameKind::kUdp: {
        // Every address the frame can be for has its array (classifyFrame matched it).
        const TargetSlot& slot =
            ports[portArray(in.index, v.localAddress)][rte_be_to_cpu_16(v.dstPort)];
        const RelayTarget* t = slot.target.load(std::memory_order_acquire);
        if (t != nullptr) {
          hits |= uint64_t{1} << count;
          rte_prefetch0(t);
          const uint32_t direction = slot.direction.load(std::memory_order_relaxed);
          rte_prefetch0(&lc.directions[direction & ~kSrtpHint]);
          if ((direction & kSrtpHint) != 0) [[unlikely]]
            rte_prefetch0(&lc.shared->srtp[direction & ~kSrtpHint]);
          uint32_t latch = slot.srcLatch.load(std::memory_order_relaxed);
          if (latch != kNoSlot) rte_prefetch0(&lc.shared->latches[latch]);
        }
        out.targets[count] = t;
        out.packets[count] = m;
        ++count;
        break;
      }
      case FrameKind::kArp:
        handleArp(lc, in, m, now);
        break;
      case FrameKind::kIcmpEcho:
        handleEcho(lc, in, m, v);
        break;
      case FrameKind::kIgnored:
        ignore(lc, m);
        break;
      case FrameKind::kMalformed:
        drop(lc, m, DropReason::kMalformed);
        break;
    }
  }
  bump(lc.counters.rxBytes, bytes);
  out.count = count;
  out.hits = hits;
  out.fetched = false;
  out.srtp = 0;
  out.arrivedTsc = now;
  out.interface = in.index;
}

// SRTP state is a chain (slot, crypto object, its contexts, the stream's keys): each stage
// of the pipeline fetches one more link, from the first stage on (kSrtpHint). The kind of
// port says RTP or RTCP (a muxed port's RTCP is fetched as RTP: a wasted line, rarely).
uint8_t likelyKind(const RelayTarget& t) {
  return t.kind == PortKind::kRtcp ? kKindRtcp : kKindRtp;
}

// Stage two: the slot has arrived; fetch its crypto objects' lines of this kind. Only where
// this lcore owns them: nobody else's pointers are read.
void fetchCrypto(LcoreContext& lc, const RelayTarget& t) {
  const SrtpSlot& slot = lc.shared->srtp[t.direction];
  const uint8_t k = likelyKind(t);
  if (slot.owner[k].load(std::memory_order_relaxed) != lc.queue + 1u) return;
  for (uint8_t op = 0; op < 2; ++op) {
    const SrtpCrypto* c = slot.crypto[op].load(std::memory_order_acquire);
    if (c != nullptr) rte_prefetch0(&c->kinds[k]);
  }
}

// Stage two and a half, a poll before the burst is relayed: the objects' lines have
// arrived; fetch the fast-path streams' keys and windows for the SSRC each packet carries.
void fetchSrtp(LcoreContext& lc, const PendingBurst& burst) {
  for (uint32_t bits = burst.srtp; bits != 0; bits &= bits - 1) {
    const int j = std::countr_zero(bits);
    const RelayTarget& t = *burst.targets[j];
    const SrtpSlot& slot = lc.shared->srtp[t.direction];
    const uint8_t k = likelyKind(t);
    if (k != kKindRtp || slot.owner[k].load(std::memory_order_relaxed) != lc.queue + 1u) continue;
    if (burst.views[j].payloadLength < 12) continue;
    const uint32_t ssrc =
        ssrcOf(rte_pktmbuf_mtod(burst.packets[j], const uint8_t*) + burst.views[j].payloadOffset,
               PayloadKind::kRtp);
    for (uint8_t op = 0; op < 2; ++op) {
      const SrtpCrypto* c = slot.crypto[op].load(std::memory_order_acquire);
      if (c == nullptr) continue;
      const int i = findContext(c->kinds[k], ssrc);
      if (i >= 0 && c->kinds[k].stream[i] != nullptr)
        c->kinds[k].stream[i]->prefetch(c->kinds[k].lines);
    }
  }
}

// Stage two, a poll later: the targets have arrived; start fetching the destination latch
// words they name (counters and source latches are on their way since stage one).
void fetchBurst(LcoreContext& lc, PendingBurst& burst) {
  const SharedContext& shared = *lc.shared;
  uint32_t srtp = 0;
  for (uint16_t j = 0; j < burst.count; ++j) {
    if ((burst.hits >> j & 1) == 0) continue;
    const RelayTarget* t = burst.targets[j];
    if (t->rtp.dstLatch != kNoSlot) rte_prefetch0(&shared.latches[t->rtp.dstLatch]);
    if (t->rtp.srtp != 0) [[unlikely]] {
      srtp |= 1u << j;
      fetchCrypto(lc, *t);
    }
  }
  burst.srtp = srtp;
  burst.fetched = true;
}

// Stage three, two polls later: everything is in cache; relay.
void relayBurst(LcoreContext& lc, PendingBurst& burst) {
  if (burst.count == 0) return;
  if (!burst.fetched) fetchBurst(lc, burst);
  // Times are the burst's arrival, not this later poll's: jitter and last-seen stay exact.
  const uint64_t now = burst.arrivedTsc;
  auto arrival = static_cast<uint32_t>(now / lc.shared->tscPer8kHzTick);
  for (uint16_t j = 0; j < burst.count; ++j) {
    if ((burst.hits >> j & 1) == 0) {
      drop(lc, burst.packets[j], DropReason::kNoSession);
      continue;
    }
    relay(lc, *burst.targets[j], burst.packets[j], burst.views[j], now, arrival, burst.interface);
  }
  if (lc.queuedCount != 0) [[unlikely]]
    srtpRun(lc);
  burst.count = 0;
  burst.fetched = false;
  burst.srtp = 0;
}

// The ring slot `back` places behind `filling` (1: the previous poll's burst).
uint8_t behind(uint8_t filling, uint8_t back) {
  return static_cast<uint8_t>((filling + kPipelineDepth - back) % kPipelineDepth);
}

// Relays what waits on one interface, oldest first (a stream's packets stay in order).
void relayInterface(LcoreContext& lc, uint8_t i) {
  for (uint8_t back = kPipelineDepth - 1; back >= 1; --back)
    relayBurst(lc, lc.pending[i][behind(lc.filling[i], back)]);
}

// Relays what waits on every interface: before a quiescent state, and at the end.
void relayPending(LcoreContext& lc) {
  for (uint8_t i = 0; i < lc.shared->interfaceCount; ++i)
    relayInterface(lc, i);
}

// A packet looked up again: handed over by another lcore, or parked for a context.
void reprocess(LcoreContext& lc, rte_mbuf* m, uint8_t interface, uint8_t hops) {
  const SharedContext& shared = *lc.shared;
  const InterfaceContext& in = shared.interfaces[interface];
  FrameView v =
      classifyFrame(rte_pktmbuf_mtod(m, const uint8_t*), m->data_len, in.local(), hintsOf(m));
  if (v.kind != FrameKind::kUdp) return drop(lc, m, DropReason::kMalformed);
  const RelayTarget* t =
      shared.ports[portArray(in.index, v.localAddress)][rte_be_to_cpu_16(v.dstPort)].target.load(
          std::memory_order_acquire);
  if (t == nullptr) return drop(lc, m, DropReason::kNoSession);
  uint64_t now = rte_rdtsc();
  relay(lc, *t, m, v, now, static_cast<uint32_t>(now / shared.tscPer8kHzTick), interface, hops);
}

// What other lcores handed over to this owner.
void drainHandoff(LcoreContext& lc) {
  rte_mbuf* packets[kBurst];
  for (unsigned round = 0; round < kHandoffRingSize / kBurst; ++round) {
    unsigned n = rte_ring_sc_dequeue_burst(lc.srtp.handoff, reinterpret_cast<void**>(packets),
                                           kBurst, nullptr);
    for (unsigned i = 0; i < n; ++i) {
      uint32_t usr = packets[i]->hash.usr;
      reprocess(lc, packets[i], static_cast<uint8_t>(usr), static_cast<uint8_t>(usr >> 8));
    }
    srtpRun(lc);
    if (n < kBurst) return;
  }
}

// The parked packets of one direction and kind go round again (in order); those for an SSRC
// whose context could not be made are dropped.
void unpark(LcoreContext& lc, uint32_t direction, uint8_t kind, bool failed, uint32_t ssrc) {
  const uint16_t n = lc.parkedCount;
  for (uint16_t i = 0; i < n; ++i) {
    LcoreContext::Parked p = lc.parked[lc.parkedHead];
    lc.parkedHead = static_cast<uint16_t>((lc.parkedHead + 1) % kSrtpParked);
    --lc.parkedCount;
    if (p.direction != direction || p.kind != kind) {
      lc.parked[(lc.parkedHead + lc.parkedCount++) % kSrtpParked] = p;
    } else if (failed && p.ssrc == ssrc) {
      drop(lc, lc.directions[direction], p.m, DropReason::kSrtpError);
    } else {
      reprocess(lc, p.m, p.interface, 0);
    }
  }
  srtpRun(lc);
}

// Contexts the service thread made: installed as the previous context of their object (if
// that object is still the published one), and the packets that waited go.
void takeContexts(LcoreContext& lc) {
  SrtpMessage msg;
  // Each answer may send one kFree: only taken while there is room for it.
  while (rte_ring_free_count(lc.srtp.toService) >= 1 &&
         rte_ring_sc_dequeue_elem(lc.srtp.fromService, &msg, sizeof(msg)) == 0) {
    for (uint8_t i = 0; i < lc.learningCount; ++i) {
      const LcoreContext::Learning& l = lc.learning[i];
      if (l.generation == msg.generation && l.kind == msg.kind && l.ssrc == msg.ssrc) {
        lc.learning[i] = lc.learning[--lc.learningCount];
        break;
      }
    }
    const bool failed = msg.context[0] == nullptr && msg.stream[0] == nullptr;
    srtpRun(lc);  // no queued packet may use what this answer displaces
    SrtpCrypto* c = lc.shared->srtp[msg.direction].crypto[msg.op].load(std::memory_order_acquire);
    SrtpMessage free;
    free.type = SrtpMessage::kFree;
    if (c != nullptr && c->generation == msg.generation) {
      SrtpCrypto::Kind& k = c->kinds[msg.kind];
      if (!failed) {
        free.context[0] = k.context[1];
        free.stream[0] = k.stream[1];
        k.context[1] = msg.context[0];
        k.stream[1] = msg.stream[0];
        k.ssrc[1] = msg.ssrc;
      }
    } else {
      free.context[0] = msg.context[0];  // the keys changed meanwhile
      free.stream[0] = msg.stream[0];
    }
    if (free.context[0] != nullptr || free.stream[0] != nullptr)
      rte_ring_sp_enqueue_elem(lc.srtp.toService, &free, sizeof(free));
    unpark(lc, msg.direction, msg.kind, failed, msg.ssrc);
  }
}

// At the drain interval, before the TX flush and the quiescent state.
void srtpWork(LcoreContext& lc) {
  if (lc.srtp.handoff == nullptr) return;
  drainHandoff(lc);
  takeContexts(lc);
}

}  // namespace

int lcoreMain(void* arg) {
  LcoreContext& lc = *static_cast<LcoreContext*>(arg);
  const SharedContext& shared = *lc.shared;
  rte_rcu_qsbr_thread_register(shared.rcu, lc.rcuThread);
  rte_rcu_qsbr_thread_online(shared.rcu, lc.rcuThread);
  rte_mbuf* packets[kBurst];
  uint64_t lastDrain = rte_rdtsc();
  while (!shared.stop->load(std::memory_order_relaxed)) {
    uint64_t now = rte_rdtsc();
    if (now - lastDrain >= shared.drainTsc) {
      relayPending(lc);
      srtpWork(lc);
      for (uint8_t i = 0; i < shared.interfaceCount; ++i)
        flush(lc, i);
      drainInbox(lc, now);
      // Quiescent only here, with nothing pending and the TX buffers empty: a pending burst
      // holds targets, and a buffered mbuf still names its direction's counters.
      rte_rcu_qsbr_quiescent(shared.rcu, lc.rcuThread);
      lastDrain = now;
    }
    // A three-stage pipeline (after l3fwd's and VPP's prefetching): each poll looks a new
    // burst up and starts fetching its targets, counters and source latch words, reads the
    // targets of the previous poll's burst and starts fetching the destination latch words
    // they name, and relays the burst looked up three polls ago. At 100,000 sessions every
    // one of those lines is a cache miss; this way each burst's misses overlap with the work
    // on three others instead of stalling it: the latch words and counters, fetched with the
    // target, get two polls to arrive (how the depth was chosen: docs/PERFORMANCE.md). A poll
    // that finds nothing relays what waits at once, so a lone packet is never held for
    // traffic that may not come.
    for (uint8_t i = 0; i < shared.interfaceCount; ++i) {
      const InterfaceContext& in = shared.interfaces[i];
      uint16_t n = rte_eth_rx_burst(in.port, lc.queue, packets, kBurst);
      if (n == 0) {
        relayInterface(lc, i);
        continue;
      }
      const uint8_t filling = lc.filling[i];
      lookupBurst(lc, in, packets, n, now, lc.pending[i][filling]);
      fetchBurst(lc, lc.pending[i][behind(filling, 1)]);
      if (const PendingBurst& next = lc.pending[i][behind(filling, 2)]; next.srtp != 0) [[unlikely]]
        fetchSrtp(lc, next);
      relayBurst(lc, lc.pending[i][behind(filling, 3)]);
      lc.filling[i] = behind(filling, 3);  // the slot just emptied
    }
  }
  relayPending(lc);
  for (uint8_t i = 0; i < shared.interfaceCount; ++i)
    flush(lc, i);
  for (; lc.parkedCount > 0; --lc.parkedCount) {
    rte_pktmbuf_free(lc.parked[lc.parkedHead].m);
    lc.parkedHead = static_cast<uint16_t>((lc.parkedHead + 1) % kSrtpParked);
  }
  rte_rcu_qsbr_thread_offline(shared.rcu, lc.rcuThread);
  rte_rcu_qsbr_thread_unregister(shared.rcu, lc.rcuThread);
  return 0;
}

}  // namespace sbc::dpdk

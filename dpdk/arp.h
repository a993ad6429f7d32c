#pragma once

// The media address behaves like a host on its link: it answers ARP for itself and resolves
// peers and gateways. Frames are built and read on plain bytes; the neighbour cache is a
// plain structure that each lcore owns (see dpdk/README.md, "ARP").

#include <rte_byteorder.h>
#include <rte_ether.h>

#include <algorithm>
#include <cstdint>
#include <memory>

namespace sbc::dpdk {

inline constexpr uint16_t kArpFrame = 42;  // Ethernet + ARP for IPv4; the NIC pads it

struct ArpView {
  uint16_t op = 0;  // RTE_ARP_OP_REQUEST or RTE_ARP_OP_REPLY (host order)
  rte_ether_addr senderMac;
  rte_be32_t senderIp = 0;
  rte_ether_addr targetMac;
  rte_be32_t targetIp = 0;
};

// Ethernet/IPv4 ARP requests and replies; false for anything else (RARP, other hardware).
bool parseArp(const uint8_t* frame, uint32_t length, ArpView& out);
// Turns a request for `ourIp` into its reply in place (the first kArpFrame bytes).
void makeArpReply(uint8_t* frame, const rte_ether_addr& ourMac, rte_be32_t ourIp);
// A broadcast who-has for `target`; writes and returns kArpFrame bytes.
uint16_t buildArpRequest(uint8_t* frame, const rte_ether_addr& ourMac, rte_be32_t ourIp,
                         rte_be32_t target);

// Next hops of one lcore, keyed by (interface, IPv4 address). Bounded: 4096 entries in
// open addressing with 8 probes, the stalest of a full probe window evicted. Times are TSC.
class NeighbourTable {
 public:
  struct Timing {
    uint64_t lifetime;      // an entry is usable this long after it was learned
    uint64_t refreshAfter;  // from then on, using it sends a request (still using the MAC)
    uint64_t retry;         // at most one request per next hop this often
  };

  struct Resolution {
    const rte_ether_addr* mac = nullptr;  // null: unknown, drop the packet (kNoRoute)
    bool sendRequest = false;             // send a who-has now
  };

  explicit NeighbourTable(Timing timing);

  Resolution resolve(uint8_t interface, rte_be32_t ip, uint64_t now);
  // A peer lcore's learning (it applied claim() already).
  void learn(uint8_t interface, rte_be32_t ip, const rte_ether_addr& mac, uint64_t now);

  // What an ARP packet says about its sender, and what came of it.
  enum class Claim : uint8_t {
    kLearned,    // a new entry, or a new MAC for one whose old MAC stopped answering
    kRefreshed,  // the MAC we know: its lifetime starts again
    kIgnored,    // nothing known, and this packet may not add it
    kConflict,   // another MAC for an address we know (or a static one): ignored, counted
  };
  // `create`: the packet may add an entry (not for others' ARP traffic: RFC 826's merge
  // refreshes only). `reply`: a reply to us, the only thing that may move a known entry, and
  // only once its MAC has not confirmed for refreshAfter + retry: we asked it (if it was in
  // use) and it did not answer. Until then a gratuitous ARP or a forged reply moves nothing.
  Claim claim(uint8_t interface, rte_be32_t ip, const rte_ether_addr& mac, uint64_t now,
              bool create, bool reply);
  // A static neighbour: always known, never asked for, never evicted, never relearned.
  // False when its probe window is full of static ones already.
  bool pin(uint8_t interface, rte_be32_t ip, const rte_ether_addr& mac);

  static constexpr size_t kCapacity = 4096;
  static constexpr size_t kProbes = 8;

 private:
  struct Entry {
    rte_be32_t ip = 0;
    uint8_t interface = 0;
    bool used = false;
    bool known = false;      // mac holds a learned address
    bool requested = false;  // a who-has went out at requestedAt
    bool pinned = false;     // static: see pin()
    rte_ether_addr mac{};
    uint64_t learnedAt = 0;
    uint64_t requestedAt = 0;
  };

  static size_t home(uint8_t interface, rte_be32_t ip) {
    // Fibonacci hashing of the address and interface; kCapacity is a power of two.
    uint64_t h = (uint64_t{ip} << 8 | interface) * 0x9e3779b97f4a7c15ull;
    return static_cast<size_t>(h >> 52) & (kCapacity - 1);
  }
  Entry* find(uint8_t interface, rte_be32_t ip);
  // The entry, a free one, or the stalest unpinned one (null: all eight are pinned).
  Entry* slotFor(uint8_t interface, rte_be32_t ip);

  Timing timing_;
  std::unique_ptr<Entry[]> entries_;
};

// Per packet: inline, for the worker loop.

inline NeighbourTable::Entry* NeighbourTable::slotFor(uint8_t interface, rte_be32_t ip) {
  size_t start = NeighbourTable::home(interface, ip);
  Entry* stalest = nullptr;
  for (size_t i = 0; i < kProbes; ++i) {
    Entry& e = entries_[(start + i) & (kCapacity - 1)];
    if (e.used && e.ip == ip && e.interface == interface) return &e;
    if (!e.used) return &e;
    if (e.pinned) continue;
    uint64_t age = std::max(e.learnedAt, e.requestedAt);
    if (!stalest || age < std::max(stalest->learnedAt, stalest->requestedAt)) stalest = &e;
  }
  if (stalest != nullptr) *stalest = Entry{};
  return stalest;
}

inline NeighbourTable::Resolution NeighbourTable::resolve(uint8_t interface, rte_be32_t ip,
                                                          uint64_t now) {
  Resolution r;
  Entry* slot = slotFor(interface, ip);
  if (slot == nullptr) return r;  // nowhere to keep it: unknown, and not worth asking
  Entry& e = *slot;
  if (e.pinned) {
    r.mac = &e.mac;
    return r;
  }
  if (!e.used) {
    e.used = true;
    e.ip = ip;
    e.interface = interface;
  }
  bool usable = e.known && now - e.learnedAt < timing_.lifetime;
  if (usable) r.mac = &e.mac;
  bool wanted = !usable || now - e.learnedAt >= timing_.refreshAfter;
  if (wanted && (!e.requested || now - e.requestedAt >= timing_.retry)) {
    e.requested = true;
    e.requestedAt = now;
    r.sendRequest = true;
  }
  return r;
}

}  // namespace sbc::dpdk

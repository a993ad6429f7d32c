#include "dpdk/arp.h"

#include <rte_arp.h>

#include <algorithm>
#include <cstring>

#include "dpdk/packet.h"

namespace sbc::dpdk {
namespace {

constexpr size_t kArpOffset = kEthernetHeader;

void copyMac(uint8_t* to, const rte_ether_addr& mac) {
  std::memcpy(to, mac.addr_bytes, RTE_ETHER_ADDR_LEN);
}

rte_ether_addr readMac(const uint8_t* from) {
  rte_ether_addr mac;
  std::memcpy(mac.addr_bytes, from, RTE_ETHER_ADDR_LEN);
  return mac;
}

void store16(uint8_t* p, uint16_t hostOrder) {
  rte_be16_t v = rte_cpu_to_be_16(hostOrder);
  std::memcpy(p, &v, sizeof(v));
}

uint16_t loadHost16(const uint8_t* p) {
  rte_be16_t v;
  std::memcpy(&v, p, sizeof(v));
  return rte_be_to_cpu_16(v);
}

// Offsets inside the ARP message (RFC 826 for Ethernet and IPv4).
constexpr size_t kOp = 6, kSha = 8, kSpa = 14, kTha = 18, kTpa = 24;

}  // namespace

bool parseArp(const uint8_t* frame, uint32_t length, ArpView& out) {
  if (length < kArpFrame || loadHost16(frame + 12) != RTE_ETHER_TYPE_ARP) return false;
  const uint8_t* arp = frame + kArpOffset;
  if (loadHost16(arp) != RTE_ARP_HRD_ETHER || loadHost16(arp + 2) != RTE_ETHER_TYPE_IPV4 ||
      arp[4] != RTE_ETHER_ADDR_LEN || arp[5] != 4) {
    return false;
  }
  out.op = loadHost16(arp + kOp);
  if (out.op != RTE_ARP_OP_REQUEST && out.op != RTE_ARP_OP_REPLY) return false;
  out.senderMac = readMac(arp + kSha);
  std::memcpy(&out.senderIp, arp + kSpa, 4);
  out.targetMac = readMac(arp + kTha);
  std::memcpy(&out.targetIp, arp + kTpa, 4);
  return true;
}

void makeArpReply(uint8_t* frame, const rte_ether_addr& ourMac, rte_be32_t ourIp) {
  uint8_t* arp = frame + kArpOffset;
  std::memcpy(frame, arp + kSha, RTE_ETHER_ADDR_LEN);  // back to the asker
  copyMac(frame + RTE_ETHER_ADDR_LEN, ourMac);
  store16(arp + kOp, RTE_ARP_OP_REPLY);
  std::memcpy(arp + kTha, arp + kSha, RTE_ETHER_ADDR_LEN + 4);  // their MAC and IP
  copyMac(arp + kSha, ourMac);
  std::memcpy(arp + kSpa, &ourIp, 4);
}

uint16_t buildArpRequest(uint8_t* frame, const rte_ether_addr& ourMac, rte_be32_t ourIp,
                         rte_be32_t target) {
  std::memset(frame, 0xff, RTE_ETHER_ADDR_LEN);
  copyMac(frame + RTE_ETHER_ADDR_LEN, ourMac);
  store16(frame + 12, RTE_ETHER_TYPE_ARP);
  uint8_t* arp = frame + kArpOffset;
  store16(arp, RTE_ARP_HRD_ETHER);
  store16(arp + 2, RTE_ETHER_TYPE_IPV4);
  arp[4] = RTE_ETHER_ADDR_LEN;
  arp[5] = 4;
  store16(arp + kOp, RTE_ARP_OP_REQUEST);
  copyMac(arp + kSha, ourMac);
  std::memcpy(arp + kSpa, &ourIp, 4);
  std::memset(arp + kTha, 0, RTE_ETHER_ADDR_LEN);
  std::memcpy(arp + kTpa, &target, 4);
  return kArpFrame;
}

NeighbourTable::NeighbourTable(Timing timing)
    : timing_(timing), entries_(std::make_unique<Entry[]>(kCapacity)) {}

NeighbourTable::Entry* NeighbourTable::find(uint8_t interface, rte_be32_t ip) {
  size_t start = NeighbourTable::home(interface, ip);
  for (size_t i = 0; i < kProbes; ++i) {
    Entry& e = entries_[(start + i) & (kCapacity - 1)];
    if (e.used && e.ip == ip && e.interface == interface) return &e;
  }
  return nullptr;
}

void NeighbourTable::learn(uint8_t interface, rte_be32_t ip, const rte_ether_addr& mac,
                           uint64_t now) {
  Entry* slot = slotFor(interface, ip);
  if (slot == nullptr || slot->pinned) return;
  Entry& e = *slot;
  e.used = true;
  e.ip = ip;
  e.interface = interface;
  e.known = true;
  e.mac = mac;
  e.learnedAt = now;
  e.requested = false;
}

NeighbourTable::Claim NeighbourTable::claim(uint8_t interface, rte_be32_t ip,
                                            const rte_ether_addr& mac, uint64_t now, bool create,
                                            bool reply) {
  Entry* e = find(interface, ip);
  if (e != nullptr && e->known) {
    bool same = rte_is_same_ether_addr(&e->mac, &mac);
    if (e->pinned) return same ? Claim::kIgnored : Claim::kConflict;
    if (!same && !(reply && now - e->learnedAt >= timing_.refreshAfter + timing_.retry))
      return Claim::kConflict;
    e->mac = mac;
    e->learnedAt = now;
    e->requested = false;
    return same ? Claim::kRefreshed : Claim::kLearned;
  }
  if (!create) return Claim::kIgnored;
  learn(interface, ip, mac, now);
  return Claim::kLearned;
}

bool NeighbourTable::pin(uint8_t interface, rte_be32_t ip, const rte_ether_addr& mac) {
  Entry* slot = slotFor(interface, ip);
  if (slot == nullptr) return false;
  *slot = Entry{};
  slot->used = true;
  slot->ip = ip;
  slot->interface = interface;
  slot->known = true;
  slot->pinned = true;
  slot->mac = mac;
  return true;
}

}  // namespace sbc::dpdk

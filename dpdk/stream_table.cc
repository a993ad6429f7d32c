#include "dpdk/stream_table.h"

#include <rte_malloc.h>

#include <algorithm>

namespace sbc::dpdk {

std::unique_ptr<StreamTable> StreamTable::create(const Capacity& capacity, std::string& error) {
  std::unique_ptr<StreamTable> t(new StreamTable());
  if (capacity.addresses.size() > kMaxInterfaces) {
    error = "the stream table takes at most " + std::to_string(kMaxInterfaces) + " interfaces";
    return nullptr;
  }
  for (size_t i = 0; i < capacity.addresses.size(); ++i) {
    for (uint8_t a = 0; a < capacity.addresses[i] && a < kMaxAddresses; ++a) {
      size_t at = portArray(static_cast<uint8_t>(i), a);
      t->ports_[at] = HotArray<TargetSlot>::create(kPortsPerAddress, SOCKET_ID_ANY);
      if (t->ports_[at].data() == nullptr) {
        error = "cannot allocate the port array of media address " + std::to_string(a) +
                " of interface " + std::to_string(i);
        return nullptr;
      }
    }
  }
  size_t rcuSize = rte_rcu_qsbr_get_memsize(capacity.readers);
  t->rcu_ = static_cast<rte_rcu_qsbr*>(rte_zmalloc("sbc_rcu", rcuSize, RTE_CACHE_LINE_SIZE));
  if (t->rcu_ == nullptr || rte_rcu_qsbr_init(t->rcu_, capacity.readers) != 0) {
    error = "cannot create the RCU state for " + std::to_string(capacity.readers) + " lcores";
    return nullptr;
  }
  t->latches_ = HotArray<std::atomic<uint64_t>>::create(capacity.latches, SOCKET_ID_ANY);
  if (t->latches_.data() == nullptr) {
    error = "cannot allocate " + std::to_string(capacity.latches) + " latch words";
    return nullptr;
  }
  // Handed out from the back: reversed so that slot 0 comes first (readable in tests).
  t->freeStreams_.resize(capacity.streams);
  t->freeLatches_.resize(capacity.latches);
  for (uint32_t i = 0; i < capacity.streams; ++i)
    t->freeStreams_[i] = capacity.streams - 1 - i;
  for (uint32_t i = 0; i < capacity.latches; ++i)
    t->freeLatches_[i] = capacity.latches - 1 - i;
  return t;
}

StreamTable::~StreamTable() {
  for (const Retired& r : retired_)
    apply(r);
  for (const HotArray<TargetSlot>& ports : ports_) {
    for (size_t p = 0; p < ports.size(); ++p)
      delete ports[p].target.load(std::memory_order_relaxed);
  }
  rte_free(rcu_);
}

TargetSlot* StreamTable::slotOf(const StreamKey& key) const {
  if (key.interface >= kMaxInterfaces || key.address >= kMaxAddresses) return nullptr;
  const HotArray<TargetSlot>& ports = ports_[portArray(key.interface, key.address)];
  return ports.data() != nullptr ? &ports[rte_be_to_cpu_16(key.port)] : nullptr;
}

const RelayTarget* StreamTable::find(const StreamKey& key) const {
  const TargetSlot* slot = slotOf(key);
  return slot != nullptr ? slot->target.load(std::memory_order_acquire) : nullptr;
}

bool StreamTable::publish(const StreamKey& key, std::unique_ptr<RelayTarget> target) {
  TargetSlot* slot = slotOf(key);
  if (slot == nullptr) return false;
  slot->direction.store(target->direction | (target->rtp.srtp != 0 ? kSrtpHint : 0),
                        std::memory_order_relaxed);
  slot->srcLatch.store(target->srcLatch, std::memory_order_relaxed);
  // Release: an lcore that loads the pointer sees the target's fields.
  const RelayTarget* old = slot->target.exchange(target.release(), std::memory_order_acq_rel);
  if (old != nullptr) retire(Retired{0, Retired::Kind::kTarget, old, 0, {}});
  return true;
}

void StreamTable::remove(const StreamKey& key) {
  TargetSlot* slot = slotOf(key);
  if (slot == nullptr) return;
  const RelayTarget* old = slot->target.exchange(nullptr, std::memory_order_acq_rel);
  if (old != nullptr) retire(Retired{0, Retired::Kind::kTarget, old, 0, {}});
}

std::optional<uint32_t> StreamTable::allocateStream() {
  if (freeStreams_.empty()) return std::nullopt;
  uint32_t slot = freeStreams_.back();
  freeStreams_.pop_back();
  return slot;
}

std::optional<uint32_t> StreamTable::allocateLatch() {
  if (freeLatches_.empty()) return std::nullopt;
  uint32_t slot = freeLatches_.back();
  freeLatches_.pop_back();
  latches_[slot].store(0, std::memory_order_relaxed);
  return slot;
}

void StreamTable::retireStream(uint32_t slot) {
  retire(Retired{0, Retired::Kind::kStream, nullptr, slot, {}});
}

void StreamTable::retireLatch(uint32_t slot) {
  retire(Retired{0, Retired::Kind::kLatch, nullptr, slot, {}});
}

void StreamTable::retire(std::function<void()> free) {
  Retired r;
  r.kind = Retired::Kind::kCallback;
  r.free = std::move(free);
  retire(std::move(r));
}

void StreamTable::retire(Retired r) {
  r.token = rte_rcu_qsbr_start(rcu_);
  retired_.push_back(std::move(r));
}

void StreamTable::apply(const Retired& r) {
  switch (r.kind) {
    case Retired::Kind::kTarget:
      delete r.target;
      break;
    case Retired::Kind::kStream:
      freeStreams_.push_back(r.slot);
      break;
    case Retired::Kind::kLatch:
      freeLatches_.push_back(r.slot);
      break;
    case Retired::Kind::kCallback:
      r.free();
      break;
  }
}

void StreamTable::reclaim() {
  while (!retired_.empty() && rte_rcu_qsbr_check(rcu_, retired_.front().token, false) == 1) {
    apply(retired_.front());
    retired_.pop_front();
  }
}

void StreamTable::synchronize() {
  if (retired_.empty()) return;
  rte_rcu_qsbr_check(rcu_, retired_.back().token, true);
  reclaim();
}

}  // namespace sbc::dpdk

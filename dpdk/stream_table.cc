#include "dpdk/stream_table.h"

#include <rte_errno.h>
#include <rte_malloc.h>

#include <algorithm>

namespace sbc::dpdk {

std::unique_ptr<StreamTable> StreamTable::create(const Capacity& capacity, std::string& error) {
  static std::atomic<unsigned> instances{0};
  std::unique_ptr<StreamTable> t(new StreamTable());
  std::string name = "sbc_streams_" + std::to_string(instances++);
  // Deleted keys hold their slot until a grace period passes: room for that churn.
  t->keyCapacity_ = capacity.keys;
  uint32_t entries = capacity.keys + capacity.keys / 8 + 64;
  rte_hash_parameters p{};
  p.name = name.c_str();
  p.entries = entries;
  p.key_len = sizeof(StreamKey);
  p.socket_id = SOCKET_ID_ANY;
  // Lock-free readers with a single writer; extendable buckets so that a key always fits
  // while there are free slots (no cuckoo-path failures under load).
  p.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
  t->hash_ = rte_hash_create(&p);
  if (t->hash_ == nullptr) {
    error = "cannot create the stream table (" + std::to_string(entries) +
            " keys): " + rte_strerror(rte_errno);
    return nullptr;
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
  if (hash_ != nullptr) {
    const void* key;
    void* data;
    uint32_t next = 0;
    while (rte_hash_iterate(hash_, &key, &data, &next) >= 0)
      delete static_cast<const RelayTarget*>(data);
    rte_hash_free(hash_);
  }
  rte_free(rcu_);
}

const RelayTarget* StreamTable::find(const StreamKey& key) const {
  void* data = nullptr;
  if (rte_hash_lookup_data(hash_, &key, &data) < 0) return nullptr;
  return static_cast<const RelayTarget*>(data);
}

bool StreamTable::publish(const StreamKey& key, std::unique_ptr<RelayTarget> target) {
  const RelayTarget* old = find(key);
  if (old == nullptr && freeKeys() == 0) return false;
  if (rte_hash_add_key_data(hash_, &key, target.get()) < 0) return false;
  target.release();
  if (old != nullptr) {
    retire(Retired{0, Retired::Kind::kTarget, old, 0, 0});
  } else {
    ++liveKeys_;
  }
  return true;
}

void StreamTable::remove(const StreamKey& key) {
  const RelayTarget* old = find(key);
  int32_t position = rte_hash_del_key(hash_, &key);
  if (position < 0) return;
  --liveKeys_;
  ++retiredKeys_;
  retire(Retired{0, Retired::Kind::kKey, nullptr, position, 0});
  retire(Retired{0, Retired::Kind::kTarget, old, 0, 0});
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
  retire(Retired{0, Retired::Kind::kStream, nullptr, 0, slot});
}

void StreamTable::retireLatch(uint32_t slot) {
  retire(Retired{0, Retired::Kind::kLatch, nullptr, 0, slot});
}

void StreamTable::retire(Retired r) {
  r.token = rte_rcu_qsbr_start(rcu_);
  retired_.push_back(r);
}

void StreamTable::apply(const Retired& r) {
  switch (r.kind) {
    case Retired::Kind::kTarget:
      delete r.target;
      break;
    case Retired::Kind::kKey:
      rte_hash_free_key_with_position(hash_, r.position);
      --retiredKeys_;
      break;
    case Retired::Kind::kStream:
      freeStreams_.push_back(r.slot);
      break;
    case Retired::Kind::kLatch:
      freeLatches_.push_back(r.slot);
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

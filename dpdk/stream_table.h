#pragma once

// The session table as the lcores see it: an rte_hash from StreamKey to an immutable
// RelayTarget, read lock-free (RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF) by every lcore and
// written only by the control thread. Nothing it unpublishes is freed while an lcore may
// still hold it: targets, key slots, stream slots and latch slots are retired with an RCU
// QSBR token and reclaimed once every lcore has reported a quiescent state since.

#include <rte_hash.h>
#include <rte_rcu_qsbr.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dpdk/hot_array.h"
#include "dpdk/relay_target.h"

namespace sbc::dpdk {

class StreamTable {
 public:
  struct Capacity {
    uint32_t streams = 0;  // stream slots (two directions each)
    uint32_t keys = 0;     // live keys (4 per stream at most)
    uint32_t latches = 0;  // latch words
    unsigned readers = 0;  // lcores reporting quiescent states
  };

  static std::unique_ptr<StreamTable> create(const Capacity& capacity, std::string& error);
  // Lcores must have stopped: everything left is freed at once.
  ~StreamTable();

  StreamTable(const StreamTable&) = delete;
  StreamTable& operator=(const StreamTable&) = delete;

  const rte_hash* hash() const { return hash_; }
  rte_rcu_qsbr* rcu() const { return rcu_; }
  std::atomic<uint64_t>* latches() const { return latches_.data(); }

  // The control thread is the only writer; it reads the table like an lcore does.
  const RelayTarget* find(const StreamKey& key) const;
  // Adds the key, or replaces its target (retiring the old one). Only adding can fail
  // (the table is full); replacing never allocates.
  bool publish(const StreamKey& key, std::unique_ptr<RelayTarget> target);
  void remove(const StreamKey& key);

  // A slot from the free list; latch words come back zeroed. Stream slots come back with
  // stale counters: the caller resets them (it owns the per-lcore arrays).
  std::optional<uint32_t> allocateStream();
  std::optional<uint32_t> allocateLatch();
  void retireStream(uint32_t slot);
  void retireLatch(uint32_t slot);

  size_t freeStreams() const { return freeStreams_.size(); }
  size_t freeLatches() const { return freeLatches_.size(); }
  size_t freeKeys() const { return keyCapacity_ - liveKeys_ - retiredKeys_; }

  // Frees what no lcore can reach any more; never waits.
  void reclaim();
  // Waits for one grace period (the lcores report every 100 us), then reclaims everything.
  void synchronize();

 private:
  StreamTable() = default;

  struct Retired {
    enum class Kind : uint8_t { kTarget, kKey, kStream, kLatch };
    uint64_t token = 0;
    Kind kind = Kind::kTarget;
    const RelayTarget* target = nullptr;
    int32_t position = 0;
    uint32_t slot = 0;
  };
  void retire(Retired r);
  void apply(const Retired& r);

  rte_hash* hash_ = nullptr;
  rte_rcu_qsbr* rcu_ = nullptr;
  HotArray<std::atomic<uint64_t>> latches_;
  std::vector<uint32_t> freeStreams_;
  std::vector<uint32_t> freeLatches_;
  std::deque<Retired> retired_;  // tokens only grow: the front is always the oldest
  size_t keyCapacity_ = 0;
  size_t liveKeys_ = 0;
  size_t retiredKeys_ = 0;
};

}  // namespace sbc::dpdk

#pragma once

// The session table as the lcores see it: per media address, an array indexed by local UDP
// port of pointers to immutable RelayTargets (with prefetch hints, see TargetSlot). A key
// names its address and port, so a lookup is one load from a 1 MB array (cache-resident)
// instead of a hash table's buckets and key slot: at 100,000 sessions those were two more
// cache misses per packet.
// Every lcore reads it without locks (acquire loads); only the control thread writes it
// (release stores). Nothing it unpublishes is freed while an lcore may still hold it:
// targets, stream slots and latch slots are retired with an RCU QSBR token and reclaimed
// once every lcore has reported a quiescent state since.

#include <rte_rcu_qsbr.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
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
    uint32_t streams = 0;            // stream slots (two directions each)
    uint32_t latches = 0;            // latch words
    unsigned readers = 0;            // lcores reporting quiescent states
    std::vector<uint8_t> addresses;  // media addresses per interface: one port array each
  };

  static std::unique_ptr<StreamTable> create(const Capacity& capacity, std::string& error);
  // Lcores must have stopped: everything left is freed at once.
  ~StreamTable();

  StreamTable(const StreamTable&) = delete;
  StreamTable& operator=(const StreamTable&) = delete;

  // The port arrays, at portArray(interface, address); empty where no address is.
  const HotArray<TargetSlot>* ports() const { return ports_; }
  rte_rcu_qsbr* rcu() const { return rcu_; }
  std::atomic<uint64_t>* latches() const { return latches_.data(); }

  // The control thread is the only writer; it reads the table like an lcore does.
  const RelayTarget* find(const StreamKey& key) const;
  // Adds the key, or replaces its target (retiring the old one). Fails only for a key on an
  // address the table has no array for; never allocates.
  bool publish(const StreamKey& key, std::unique_ptr<RelayTarget> target);
  void remove(const StreamKey& key);

  // A slot from the free list; latch words come back zeroed. Stream slots come back with
  // stale counters: the caller resets them (it owns the per-lcore arrays).
  std::optional<uint32_t> allocateStream();
  std::optional<uint32_t> allocateLatch();
  void retireStream(uint32_t slot);
  void retireLatch(uint32_t slot);
  // Runs `free` on the control thread once no lcore can reach what it frees (SRTP objects).
  void retire(std::function<void()> free);

  size_t freeStreams() const { return freeStreams_.size(); }
  size_t freeLatches() const { return freeLatches_.size(); }

  // Frees what no lcore can reach any more; never waits.
  void reclaim();
  // Waits for one grace period (the lcores report every 100 us), then reclaims everything.
  void synchronize();

 private:
  StreamTable() = default;

  struct Retired {
    enum class Kind : uint8_t { kTarget, kStream, kLatch, kCallback };
    uint64_t token = 0;
    Kind kind = Kind::kTarget;
    const RelayTarget* target = nullptr;
    uint32_t slot = 0;
    std::function<void()> free;
  };
  void retire(Retired r);
  void apply(const Retired& r);

  TargetSlot* slotOf(const StreamKey& key) const;

  HotArray<TargetSlot> ports_[kPortArrays];  // empty where no media address is
  rte_rcu_qsbr* rcu_ = nullptr;
  HotArray<std::atomic<uint64_t>> latches_;
  std::vector<uint32_t> freeStreams_;
  std::vector<uint32_t> freeLatches_;
  std::deque<Retired> retired_;  // tokens only grow: the front is always the oldest
};

}  // namespace sbc::dpdk

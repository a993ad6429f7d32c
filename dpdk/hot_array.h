#pragma once

// Arrays that the lcores index per packet (direction counters, latch words): at 100,000
// sessions they span tens of megabytes, and on 4 KB pages almost every access is a TLB miss
// too (a two-dimensional page walk under a hypervisor). With hugepages they come from
// DPDK's memory on the lcore's NUMA socket (else any socket); without them (--no-huge labs,
// or hugepages sized for the mempools only) they are anonymous mappings on 2 MB boundaries
// that ask for transparent huge pages.

#include <rte_eal.h>
#include <rte_malloc.h>
#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <type_traits>

namespace sbc::dpdk {

template <typename T>
class HotArray {
  static_assert(std::is_trivially_destructible_v<T>, "elements are never destroyed");

 public:
  HotArray() = default;
  HotArray(HotArray&& other) noexcept { swap(other); }
  HotArray& operator=(HotArray&& other) noexcept {
    HotArray(std::move(other)).swap(*this);
    return *this;
  }
  HotArray(const HotArray&) = delete;
  HotArray& operator=(const HotArray&) = delete;
  ~HotArray() { release(); }

  // Value-initialised elements; empty (data() == nullptr) when the memory is not there.
  static HotArray create(size_t count, int socket) {
    HotArray a;
    size_t bytes = count * sizeof(T);
    if (bytes == 0) return a;
    void* p = nullptr;
    if (rte_eal_has_hugepages()) {
      // The lcore's socket, else any: hugepages sized for the mempools may not hold these
      // too, and then they come from ordinary memory below rather than failing the start.
      size_t align = alignof(T) > 64 ? alignof(T) : 64;
      p = rte_zmalloc_socket("sbc_hot", bytes, align, socket);
      if (p == nullptr) p = rte_zmalloc_socket("sbc_hot", bytes, align, SOCKET_ID_ANY);
      a.dpdk_ = p != nullptr;
    }
    if (p == nullptr) {
      constexpr size_t kHuge = size_t{2} << 20;
      a.mapped_ = (bytes + kHuge - 1) / kHuge * kHuge + kHuge;
      void* m =
          mmap(nullptr, a.mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (m == MAP_FAILED) return HotArray();
      a.base_ = m;
      auto aligned = (reinterpret_cast<uintptr_t>(m) + kHuge - 1) & ~(kHuge - 1);
      p = reinterpret_cast<void*>(aligned);
      // A hint: the kernel may say no (THP "never"), and the array still works.
      madvise(p, a.mapped_ - (aligned - reinterpret_cast<uintptr_t>(m)), MADV_HUGEPAGE);
    }
    a.data_ = static_cast<T*>(p);
    a.count_ = count;
    for (size_t i = 0; i < count; ++i)
      new (&a.data_[i]) T();
    return a;
  }

  T* data() const { return data_; }
  size_t size() const { return count_; }
  T& operator[](size_t i) const { return data_[i]; }

 private:
  void swap(HotArray& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(count_, o.count_);
    std::swap(base_, o.base_);
    std::swap(mapped_, o.mapped_);
    std::swap(dpdk_, o.dpdk_);
  }
  void release() {
    if (dpdk_ && data_ != nullptr) rte_free(data_);
    if (base_ != nullptr) munmap(base_, mapped_);
    data_ = nullptr;
    base_ = nullptr;
  }

  T* data_ = nullptr;
  size_t count_ = 0;
  void* base_ = nullptr;  // the mapping, when not from DPDK
  size_t mapped_ = 0;
  bool dpdk_ = false;
};

}  // namespace sbc::dpdk

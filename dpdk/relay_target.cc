#include "dpdk/relay_target.h"

#include <sys/mman.h>

#include <cstdint>
#include <mutex>
#include <new>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define SBC_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define SBC_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define SBC_POISON(p, n) ((void)(p), (void)(n))
#define SBC_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace sbc::dpdk {
namespace {

// RelayTargets side by side in 32 MB chunks (half a million targets) that ask for
// transparent huge pages (as HotArray's do); only what is used is ever touched. Handed out
// in allocation order and reused last-freed first through a list kept in the freed slots
// themselves, so the pool allocates nothing on the heap and release() never allocates.
// Chunks are never returned: the pool is as large as the most targets ever held at once.
// Freed targets are poisoned in the ASan build, so a read after the grace period still
// fails there.
class TargetPool {
 public:
  static TargetPool& instance() {
    static TargetPool* pool = new TargetPool;  // never destroyed: targets may outlive statics
    return *pool;
  }

  void* allocate() {
    std::lock_guard lock(mutex_);
    void* p;
    if (free_ != nullptr) {
      p = free_;
      SBC_UNPOISON(p, sizeof(RelayTarget));
      free_ = *static_cast<void**>(p);
    } else {
      if (next_ == end_) grow();
      p = next_;
      next_ += sizeof(RelayTarget);
      SBC_UNPOISON(p, sizeof(RelayTarget));
    }
    return p;
  }

  void release(void* p) noexcept {
    std::lock_guard lock(mutex_);
    *static_cast<void**>(p) = free_;
    free_ = p;
    SBC_POISON(p, sizeof(RelayTarget));
  }

 private:
  static constexpr size_t kHuge = size_t{2} << 20;
  static constexpr size_t kChunk = size_t{32} << 20;

  void grow() {
    // One huge page more than a chunk, then trimmed to a chunk on a 2 MB boundary.
    void* m =
        mmap(nullptr, kChunk + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) throw std::bad_alloc();
    auto base = reinterpret_cast<uintptr_t>(m);
    uintptr_t aligned = (base + kHuge - 1) & ~(kHuge - 1);
    if (aligned > base) munmap(m, aligned - base);
    if (uintptr_t tail = base + kChunk + kHuge - (aligned + kChunk); tail > 0)
      munmap(reinterpret_cast<void*>(aligned + kChunk), tail);
    // A hint: the kernel may say no (THP "never"), and the pool still works.
    madvise(reinterpret_cast<void*>(aligned), kChunk, MADV_HUGEPAGE);
    next_ = reinterpret_cast<char*>(aligned);
    end_ = next_ + kChunk;
    SBC_POISON(next_, kChunk);
  }

  std::mutex mutex_;
  void* free_ = nullptr;  // last freed; each freed slot begins with the next one's address
  char* next_ = nullptr;
  char* end_ = nullptr;
};

}  // namespace

void* RelayTarget::operator new(std::size_t size) {
  // Slots of one target each, at multiples of 64 from a 2 MB boundary: aligned.
  static_assert(sizeof(RelayTarget) % alignof(RelayTarget) == 0);
  if (size != sizeof(RelayTarget)) throw std::bad_alloc();  // nothing derives from it
  return TargetPool::instance().allocate();
}

void RelayTarget::operator delete(void* p) noexcept {
  if (p != nullptr) TargetPool::instance().release(p);
}

}  // namespace sbc::dpdk

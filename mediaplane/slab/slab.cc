#include "mediaplane/slab/slab.h"

#include <sys/mman.h>

#include <cstdint>
#include <new>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define SBC_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define SBC_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define SBC_POISON(p, n) ((void)(p), (void)(n))
#define SBC_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace sbc::mediaplane {

namespace {
constexpr size_t kHuge = size_t{2} << 20;
constexpr size_t kChunk = size_t{32} << 20;
}  // namespace

Slab::Slab(size_t slotSize) : slot_size_(slotSize) {
  if (slotSize == 0 || slotSize % 64 != 0 || slotSize > kChunk) throw std::bad_alloc();
}

void* Slab::allocate() {
  std::lock_guard lock(mutex_);
  void* p;
  if (free_ != nullptr) {
    p = free_;
    SBC_UNPOISON(p, slot_size_);
    free_ = *static_cast<void**>(p);
  } else {
    if (next_ == nullptr || static_cast<size_t>(end_ - next_) < slot_size_) grow();
    p = next_;
    next_ += slot_size_;
    SBC_UNPOISON(p, slot_size_);
  }
  return p;
}

void Slab::release(void* p) noexcept {
  if (p == nullptr) return;
  std::lock_guard lock(mutex_);
  *static_cast<void**>(p) = free_;
  free_ = p;
  SBC_POISON(p, slot_size_);
}

bool Slab::owns(const void* p) const {
  std::lock_guard lock(mutex_);
  const char* c = static_cast<const char*>(p);
  for (const char* chunk : chunks_)
    if (c >= chunk && c < chunk + kChunk) return true;
  return false;
}

void Slab::grow() {
  chunks_.reserve(chunks_.size() + 1);  // before the mapping: nothing to undo if it throws
  // One huge page more than a chunk, then trimmed to a chunk on a 2 MB boundary.
  void* m =
      mmap(nullptr, kChunk + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) throw std::bad_alloc();
  auto base = reinterpret_cast<uintptr_t>(m);
  uintptr_t aligned = (base + kHuge - 1) & ~(kHuge - 1);
  if (aligned > base) munmap(m, aligned - base);
  if (uintptr_t tail = base + kChunk + kHuge - (aligned + kChunk); tail > 0)
    munmap(reinterpret_cast<void*>(aligned + kChunk), tail);
  // A hint: the kernel may say no (THP "never"), and the slab still works.
  madvise(reinterpret_cast<void*>(aligned), kChunk, MADV_HUGEPAGE);
  next_ = reinterpret_cast<char*>(aligned);
  end_ = next_ + kChunk;
  chunks_.push_back(next_);
  SBC_POISON(next_, kChunk);
}

}  // namespace sbc::mediaplane

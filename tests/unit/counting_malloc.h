#pragma once

// Counting allocator for the no-allocation tests: every malloc/calloc/realloc/aligned
// allocation of the process, C and C++ (operator new calls malloc), libraries' included,
// goes through these and then to glibc's, counted per thread in t_allocations. Include it in
// ONE translation unit of a test binary (it defines the C library's functions). Not under
// AddressSanitizer, which owns malloc itself: SBC_COUNT_MALLOC is 0 there, and a test that
// needs the count says it was skipped.

#include <cerrno>
#include <cstddef>

#if defined(__SANITIZE_ADDRESS__)
#define SBC_COUNT_MALLOC 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SBC_COUNT_MALLOC 0
#endif
#endif
#ifndef SBC_COUNT_MALLOC
#define SBC_COUNT_MALLOC 1
#endif

#if SBC_COUNT_MALLOC
extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);
void __libc_free(void*);
}
namespace {
thread_local unsigned long t_allocations = 0;
}
extern "C" {
void* malloc(size_t n) {
  ++t_allocations;
  return __libc_malloc(n);
}
void* calloc(size_t n, size_t size) {
  ++t_allocations;
  return __libc_calloc(n, size);
}
void* realloc(void* p, size_t n) {
  ++t_allocations;
  return __libc_realloc(p, n);
}
void* aligned_alloc(size_t alignment, size_t n) {
  ++t_allocations;
  return __libc_memalign(alignment, n);
}
int posix_memalign(void** p, size_t alignment, size_t n) {
  ++t_allocations;
  *p = __libc_memalign(alignment, n);
  return *p != nullptr ? 0 : ENOMEM;
}
void free(void* p) {
  __libc_free(p);
}
}
#endif

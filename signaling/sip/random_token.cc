#include "signaling/sip/random_token.h"

#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "signaling/sip/via.h"

namespace sbc::sip {
namespace {

// Refilled 256 bytes at a time: about one getrandom() per 10 branches or tags.
class Pool {
 public:
  void take(std::span<uint8_t> out) {
    size_t done = 0;
    while (done < out.size()) {
      if (used_ == sizeof(bytes_)) refill();
      size_t n = std::min(out.size() - done, sizeof(bytes_) - used_);
      std::memcpy(out.data() + done, bytes_ + used_, n);
      // Bytes handed out are wiped: a later memory disclosure cannot replay them.
      std::memset(bytes_ + used_, 0, n);
      used_ += n;
      done += n;
    }
  }

 private:
  void refill() {
    size_t got = 0;
    while (got < sizeof(bytes_)) {
      // Requests of up to 256 bytes are never short once the pool is initialized; a
      // signal may still interrupt the first call at boot.
      ssize_t n = getrandom(bytes_ + got, sizeof(bytes_) - got, 0);
      if (n > 0) {
        got += size_t(n);
      } else if (n < 0 && errno != EINTR) {
        // No kernel CSPRNG (ENOSYS before Linux 3.17): nothing safe to fall back to, and
        // predictable branches are the defect this file exists to prevent.
        std::fprintf(stderr, "getrandom failed: %s\n", std::strerror(errno));
        std::abort();
      }
    }
    used_ = 0;
  }

  uint8_t bytes_[256] = {};
  size_t used_ = sizeof(bytes_);
};

thread_local Pool tPool;

}  // namespace

void randomBytes(std::span<uint8_t> out) {
  tPool.take(out);
}

std::string randomToken(size_t n) {
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  constexpr unsigned kAlphabet = sizeof(kChars) - 1;
  // Bytes from 252 up are redrawn: 252 = 7 * 36, so the rest maps without bias.
  constexpr unsigned kLimit = 256 - 256 % kAlphabet;
  std::string s(n, 'x');
  uint8_t buf[32];
  size_t avail = 0;
  size_t next = 0;
  for (char& c : s) {
    for (;;) {
      if (next == avail) {
        avail = std::min(sizeof(buf), n + 4);
        randomBytes(std::span<uint8_t>(buf, avail));
        next = 0;
      }
      uint8_t b = buf[next++];
      if (b < kLimit) {
        c = kChars[b % kAlphabet];
        break;
      }
    }
  }
  return s;
}

std::string randomBranch() {
  std::string branch(kMagicCookie);
  branch += randomToken(22);
  return branch;
}

}  // namespace sbc::sip

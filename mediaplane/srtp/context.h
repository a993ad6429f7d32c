#pragma once

// libsrtp (the product's SRTP library) behind a small value-returning interface: one
// Context is one libsrtp session for one direction of one SSRC, RTP and RTCP. Used by the
// DPDK relay's lcores (dpdk/), by rtp-probe and by the benchmarks. Not thread-safe, like
// libsrtp itself: one context is only ever touched by one thread at a time.
//
// Creating and destroying a context allocates; with Engine::kOpenssl, protect and unprotect
// never do when the context names its SSRC (libsrtp clones a stream, with malloc, when an
// "any SSRC" context meets a new one: only tools may use those). libsrtp's NSS crypto
// (kLibsrtpBuiltIn on Debian) allocates on every packet: not for lcores.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "mediaplane/api/media_plane.h"

namespace sbc::srtp {

using mediaplane::SrtpMasterKey;
using mediaplane::SrtpSuite;

// Which implementation of AES-CM and HMAC-SHA1 libsrtp runs. Debian builds libsrtp on NSS;
// kOpenssl plugs OpenSSL's into libsrtp through its own srtp_replace_cipher_type /
// srtp_replace_auth_type, about 10x faster for AES-CM/HMAC-SHA1 (README.md here: figures).
enum class Engine : uint8_t { kLibsrtpBuiltIn, kOpenssl };

// Once per process, before the first context (idempotent for the same engine). Returns an
// error message, or "" on success. The first call decides the engine for the process.
std::string initialize(Engine engine = Engine::kOpenssl);
Engine engine();

// Tests and benchmarks only: makes `engine` the one for the contexts created from now on
// (initializing libsrtp first if needed). Contexts that exist keep running the engine they
// were created with (each libsrtp cipher holds its own implementation). Not safe while
// another thread creates contexts. Returns an error message, or "".
std::string switchEngine(Engine engine);

enum class Status : uint8_t { kOk, kAuthFail, kReplay, kError };

enum class Direction : uint8_t { kProtect, kUnprotect };

// Bytes protect adds: the RTP tag; for RTCP, the 4-byte SRTCP index plus the tag.
size_t rtpTrailer(SrtpSuite suite);
size_t rtcpTrailer(SrtpSuite suite);
// Whether this process's libsrtp can run the suite (checked once at initialize()).
bool supported(SrtpSuite suite);

class Context {
 public:
  // `ssrc`: the one SSRC this context serves (no allocation on the packet path); nullopt:
  // any SSRC (libsrtp allocates a stream per new SSRC). `roc`: the rollover counter to start
  // from (a re-key carries it over, RFC 3711 3.3.1); applies to `ssrc` only. Replay
  // protection is always on. Returns null and sets `error` on failure (initialize() not
  // run yet is one); `error` never holds key material.
  static std::unique_ptr<Context> create(SrtpSuite suite, const SrtpMasterKey& key,
                                         Direction direction, std::optional<uint32_t> ssrc,
                                         uint32_t roc, std::string& error);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  // In place. `length` is the packet's length in and out; protect needs rtpTrailer() or
  // rtcpTrailer() bytes of room after it.
  Status protectRtp(uint8_t* packet, int& length);
  Status unprotectRtp(uint8_t* packet, int& length);
  Status protectRtcp(uint8_t* packet, int& length);
  Status unprotectRtcp(uint8_t* packet, int& length);

  // The rollover counter of `ssrc` as libsrtp holds it (0 when it has no stream for it).
  // For the context's own SSRC, never less than the `roc` it was created with: libsrtp
  // applies that one with the first packet, and a context re-keyed again before any packet
  // must still carry it over.
  uint32_t roc(uint32_t ssrc) const;
  SrtpSuite suite() const { return suite_; }
  Direction direction() const { return direction_; }

 private:
  Context() = default;
  void* session_ = nullptr;  // srtp_t: kept opaque so that users need no libsrtp header
  SrtpSuite suite_ = SrtpSuite::kAesCm128HmacSha1_80;
  Direction direction_ = Direction::kProtect;
  bool has_ssrc_ = false;
  uint32_t ssrc_ = 0;
  uint32_t initial_roc_ = 0;
};

}  // namespace sbc::srtp

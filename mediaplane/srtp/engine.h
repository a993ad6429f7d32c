#pragma once

// Internal to sbc::srtp: the implementations of libsrtp's crypto kernel types this library
// can install (context.cc chooses; openssl_engine.cc has the OpenSSL ones).

#include <cstdint>
#include <string>

namespace sbc::srtp::detail {

// Makes libsrtp's crypto kernel run OpenSSL's AES-CM (128, 256), HMAC-SHA1 and, where
// faster, AES-GCM for contexts created from now on. libsrtp checks each against its
// built-in one's known answers before it takes it. Returns an error message, or "".
std::string installOpensslTypes();

// Puts back the types libsrtp had at srtp_init() (saved by saveBuiltInTypes()).
std::string installBuiltInTypes();

// Once, right after srtp_init(), before any replacement.
void saveBuiltInTypes();

// How many times this thread entered an OpenSSL-engine cipher or MAC (tests: which engine
// a context really runs).
uint64_t opensslCallsOnThisThread();

}  // namespace sbc::srtp::detail

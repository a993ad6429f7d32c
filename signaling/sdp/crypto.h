#pragma once

// SDES (RFC 4568) a=crypto lines for SRTP, read strictly and written by the SBC: the
// attribute value "<tag> <suite> inline:<base64 key||salt>[|lifetime][|MKI:len] [params]".
//
// A line the SBC cannot run is *unusable*, not an error for the whole description: an
// offer lists alternatives and the answerer picks the first it can use (RFC 4568 §7.1.1).
// Unusable: an unknown suite, a key of the wrong length or malformed base64, an MKI, more
// than one key, a lifetime below 2^31 packets (the SBC never re-keys on its own), and any
// session parameter but WSH (UNENCRYPTED_*, UNAUTHENTICATED_SRTP, KDR, FEC_*, unknown
// ones: RFC 4568 §6.3.7 has the answerer refuse what it does not apply).
//
// Reasons are fixed texts: none ever contains key material, so they may go in a log line
// or a Warning. Nothing here throws.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "mediaplane/api/media_plane.h"

namespace sbc::sdp {

// A usable a=crypto line.
struct SdesCrypto {
  uint32_t tag = 0;  // 1*9DIGIT
  mediaplane::SrtpSuite suite = mediaplane::SrtpSuite::kAesCm128HmacSha1_80;
  mediaplane::SrtpMasterKey key;  // key || salt, srtpMasterKeyLength(suite) bytes
};

struct SdesLine {
  // nullptr: `crypto` holds the line. Else why the line cannot be used.
  const char* unusable = nullptr;
  SdesCrypto crypto;
  // The tag and suite as written, for messages (0 / empty when malformed that far).
  uint32_t tag = 0;
  std::string_view suite{};

  bool usable() const { return unusable == nullptr; }
};

// Reads the value of an a=crypto attribute (the text after "a=crypto:").
SdesLine parseSdesCrypto(std::string_view value);

// "<tag> <suite> inline:<base64 key||salt>": the value of an a=crypto line.
std::string formatSdesCrypto(const SdesCrypto& c);

// RFC 4648 base64 with padding.
std::string base64Encode(std::span<const uint8_t> bytes);
// Strict RFC 4648 base64: the alphabet, padding to a multiple of 4 and zero unused bits.
// Decodes into `out` and gives the byte count in `length`; false (and `out` untouched
// past what fits) when malformed or longer than `out`.
bool base64Decode(std::string_view text, std::span<uint8_t> out, size_t& length);

}  // namespace sbc::sdp

#pragma once

// URIs as they appear in SIP: SIP/SIPS URIs (RFC 3261 §19.1), tel URIs (RFC 3966) and
// any other absoluteURI, which is checked for its generic syntax only. All fields are
// views into the parsed text, exactly as written (still %-escaped).

#include <cstdint>
#include <string>
#include <string_view>

#include "signaling/sip/params.h"

namespace sbc::sip {

enum class UriScheme : uint8_t { kSip, kSips, kTel, kOther };
enum class HostType : uint8_t { kNone, kHostname, kIPv4, kIPv6 };

struct Uri {
  std::string_view text;    // the whole URI
  std::string_view scheme;  // as written
  UriScheme kind = UriScheme::kOther;
  std::string_view user;  // sip/sips: user part; tel: the subscriber number
  std::string_view password;
  bool hasUserInfo = false;
  bool hasPassword = false;
  std::string_view host;  // IPv6 references keep their brackets
  HostType hostType = HostType::kNone;
  uint16_t port = 0;
  bool hasPort = false;
  ParamList params;          // ;uri-parameters (tel: its par list)
  std::string_view headers;  // after '?', without it
  bool hasHeaders = false;
  std::string_view opaque;  // everything after "scheme:" (useful for other schemes)

  bool isSip() const { return kind == UriScheme::kSip || kind == UriScheme::kSips; }
};

// Parses a complete URI. Returns nullptr on success, else a reason a person understands.
const char* parseUri(std::string_view text, Uri& out);

// Host validation shared with Via sent-by and maddr/received parameters.
HostType classifyHost(std::string_view host);
bool isIPv4(std::string_view s);
bool isIPv6(std::string_view s);  // without brackets

// Scans from `i` while characters are in `cls` or valid %HEX escapes. Returns the index
// after the run, or npos for a malformed escape.
size_t scanUriChars(std::string_view s, size_t i, uint16_t cls);

// Single-pass %HEX decoding (RFC 4475 §3.1.1.3: "%2541" decodes to "%41", not "A").
std::string unescape(std::string_view s);

}  // namespace sbc::sip

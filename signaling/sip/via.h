#pragma once

// One Via value (RFC 3261 §20.42, §18.2.1; rport from RFC 3581).

#include <cstdint>
#include <string_view>

#include "signaling/sip/params.h"
#include "signaling/sip/uri.h"

namespace sbc::sip {

struct Via {
  std::string_view text;
  std::string_view protocolName;     // "SIP"
  std::string_view protocolVersion;  // "2.0"
  std::string_view transport;        // UDP, TCP, TLS, SCTP, WS, ... as written
  std::string_view sentBy;           // host[:port] as written
  std::string_view host;             // sent-by host (IPv6 keeps brackets)
  HostType hostType = HostType::kNone;
  uint16_t port = 0;
  bool hasPort = false;
  ParamList params;
  std::string_view branch;
  bool hasBranch = false;
  std::string_view received;
  std::string_view maddr;
  bool hasRport = false;
  uint16_t rport = 0;  // 0 when present without a value (a request for it)
  int ttl = -1;        // -1 when absent

  // RFC 3261 branches start with the magic cookie; others are RFC 2543 style.
  bool hasMagicCookie() const;
};

// Parses one via-parm (split the header into values first). nullptr or a reason.
const char* parseVia(std::string_view value, Via& out);

// Parses the first via-parm of a Via header value, which may go on with ", via-parm...".
// The cheap way to the top Via, without splitting the whole list.
const char* parseFirstVia(std::string_view value, Via& out);

inline constexpr std::string_view kMagicCookie = "z9hG4bK";

}  // namespace sbc::sip

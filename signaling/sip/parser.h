#pragma once

// From bytes to a Message: the start line, the header lines (folding, compact names,
// LWS around the colon) and the body, framed by the transport's rules (RFC 3261 §7.5,
// §18.3). Syntax of individual header values is left to the typed accessors and to
// validate(): a parse succeeds when the message can be framed and split into fields.

#include <cstddef>
#include <string_view>

#include "signaling/sip/message.h"
#include "signaling/sip/status.h"

namespace sbc::sip {

enum class Framing : uint8_t {
  // A whole UDP datagram: a missing Content-Length means "to the end of the datagram",
  // bytes after Content-Length are not part of the message.
  kDatagram,
  // Exactly one message cut from a stream by StreamFramer: Content-Length is required.
  kStream,
  // The start line and header section only, the body not framed: for answering a message
  // whose framing failed (bad Content-Length on a stream).
  kHeaders,
};

struct Limits {
  size_t maxMessageBytes = 65535;  // 513 Message Too Large above this
  size_t maxHeaders = 128;         // header lines; 513 above this
  size_t maxBodyBytes = 32768;     // 413 Request Entity Too Large above this
};

// Parses `bytes` into `out`, reusing its buffers. On failure `out` holds whatever was
// read before the error (enough, when the start line and headers parsed, to answer it).
Status parseMessage(std::string_view bytes, Framing framing, const Limits& limits, Message& out);

}  // namespace sbc::sip

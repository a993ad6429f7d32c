#pragma once

// Cuts SIP messages out of a byte stream (TCP now, TLS later) by Content-Length
// (RFC 3261 §18.3), with RFC 5626 CRLF keep-alives. Memory is bounded by the Limits:
// a peer that never finishes its headers (slowloris) or announces a huge body gets an
// error, and the connection is closed by the transport.

#include <string>
#include <string_view>

#include "signaling/sip/parser.h"
#include "signaling/sip/status.h"

namespace sbc::sip {

class StreamFramer {
 public:
  explicit StreamFramer(const Limits& limits = {}) : limits_(limits) {}

  enum class Result : uint8_t {
    kNeedMore,   // feed more bytes
    kMessage,    // message() holds one complete message until the next call
    kKeepAlive,  // a CRLFCRLF ping was consumed: answer with CRLF (RFC 5626 §3.5.1)
    kError,      // the stream cannot be framed any more: error() says why; close it
  };

  void append(std::string_view bytes) { buffer_.append(bytes); }
  Result next();

  std::string_view message() const { return message_; }
  const Status& error() const { return error_; }
  size_t buffered() const { return buffer_.size() - consumed_; }
  // The bytes not handed out yet (after an error: what the failed message had sent).
  std::string_view pending() const { return std::string_view(buffer_).substr(consumed_); }

 private:
  Result fail(uint16_t code, std::string reason);

  Limits limits_;
  std::string buffer_;
  size_t consumed_ = 0;  // bytes of buffer_ already handed out
  size_t scanned_ = 0;   // how far the search for the end of headers got (from consumed_)
  std::string_view message_;
  Status error_;
  bool failed_ = false;
};

}  // namespace sbc::sip

#include "signaling/sip/stream_framer.h"

#include <cstring>

#include "signaling/sip/charset.h"
#include "signaling/sip/fields.h"
#include "signaling/sip/header_id.h"

namespace sbc::sip {
namespace {

// Finds the empty line that ends the header section: returns the index just after it,
// or npos. Accepts bare LF line ends like the parser does.
size_t findHeaderEnd(std::string_view s, size_t from) {
  for (size_t i = from; i < s.size(); ++i) {
    const char* lf = static_cast<const char*>(std::memchr(s.data() + i, '\n', s.size() - i));
    if (!lf) return std::string_view::npos;
    i = static_cast<size_t>(lf - s.data());
    if (i + 1 < s.size() && s[i + 1] == '\n') return i + 2;
    if (i + 2 < s.size() && s[i + 1] == '\r' && s[i + 2] == '\n') return i + 3;
  }
  return std::string_view::npos;
}

enum class LengthScan : uint8_t { kFound, kMissing, kInvalid, kConflict };

// Reads Content-Length (full or compact name) from a complete header section.
LengthScan scanContentLength(std::string_view headers, uint64_t& length) {
  bool found = false;
  size_t p = headers.find('\n');  // skip the start line
  while (p != std::string_view::npos && p + 1 < headers.size()) {
    size_t b = p + 1;
    size_t e = headers.find('\n', b);
    std::string_view line = headers.substr(b, e == std::string_view::npos ? headers.npos : e - b);
    p = e;
    size_t nameEnd = 0;
    while (nameEnd < line.size() && is(line[nameEnd], kToken))
      ++nameEnd;
    if (nameEnd == 0 || lookupHeader(line.substr(0, nameEnd)) != HeaderId::kContentLength) continue;
    size_t colon = line.find(':', nameEnd);
    if (colon == std::string_view::npos) return LengthScan::kInvalid;
    std::string_view value = trimLws(line.substr(colon + 1));
    // A folded value continues on the next lines.
    while (e != std::string_view::npos && e + 1 < headers.size() && isWsp(headers[e + 1])) {
      size_t next = headers.find('\n', e + 1);
      std::string_view more = trimLws(
          headers.substr(e + 1, next == std::string_view::npos ? headers.npos : next - e - 1));
      if (value.empty()) value = more;
      e = next;
      p = next;
    }
    uint64_t v = 0;
    if (parseNumber(value, 0xffffffffULL, v)) return LengthScan::kInvalid;
    if (found && v != length) return LengthScan::kConflict;
    length = v;
    found = true;
  }
  return found ? LengthScan::kFound : LengthScan::kMissing;
}

}  // namespace

StreamFramer::Result StreamFramer::fail(uint16_t code, std::string reason) {
  failed_ = true;
  error_ = Status::error(code, std::move(reason));
  return Result::kError;
}

StreamFramer::Result StreamFramer::next() {
  if (failed_) return Result::kError;
  message_ = {};
  // Drop what was handed out before, so the buffer holds at most one message plus
  // whatever the peer sent ahead of it.
  if (consumed_ > 0) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  std::string_view s(buffer_);

  // CRLFs between messages: a double one is a keep-alive ping, a single one is a pong
  // or noise (RFC 3261 §7.5, RFC 5626 §3.5.1).
  if (s.size() >= 4 && s.substr(0, 4) == "\r\n\r\n") {
    consumed_ = 4;
    scanned_ = 0;
    return Result::kKeepAlive;
  }
  size_t lead = 0;
  while (lead < s.size() && (s[lead] == '\r' || s[lead] == '\n'))
    ++lead;
  if (lead == s.size()) {
    // Only line ends so far: keep up to a ping's worth to see what it becomes.
    if (lead > 4) consumed_ = lead;
    return Result::kNeedMore;
  }
  if (lead > 0) {
    consumed_ = lead;
    scanned_ = 0;
    return next();
  }

  size_t headerEnd = findHeaderEnd(s, scanned_);
  if (headerEnd == std::string_view::npos) {
    scanned_ = s.size() > 3 ? s.size() - 3 : 0;
    if (s.size() > limits_.maxMessageBytes) {
      return fail(513,
                  "header section exceeds " + std::to_string(limits_.maxMessageBytes) + " bytes");
    }
    return Result::kNeedMore;
  }

  uint64_t length = 0;
  switch (scanContentLength(s.substr(0, headerEnd), length)) {
    case LengthScan::kFound:
      break;
    case LengthScan::kMissing:
      message_ = s.substr(0, headerEnd);
      return fail(400, "missing Content-Length on a stream transport");
    case LengthScan::kInvalid:
      message_ = s.substr(0, headerEnd);
      return fail(400, "invalid Content-Length");
    case LengthScan::kConflict:
      message_ = s.substr(0, headerEnd);
      return fail(400, "conflicting Content-Length values");
  }
  if (length > limits_.maxBodyBytes) {
    message_ = s.substr(0, headerEnd);
    return fail(413, "body of " + std::to_string(length) + " bytes exceeds the limit of " +
                         std::to_string(limits_.maxBodyBytes));
  }
  uint64_t total = headerEnd + length;
  if (total > limits_.maxMessageBytes) {
    message_ = s.substr(0, headerEnd);
    return fail(513, "message of " + std::to_string(total) + " bytes exceeds the limit of " +
                         std::to_string(limits_.maxMessageBytes));
  }
  if (s.size() < total) {
    scanned_ = headerEnd - 3;  // the header end is known; resume near it
    return Result::kNeedMore;
  }
  message_ = s.substr(0, static_cast<size_t>(total));
  consumed_ = static_cast<size_t>(total);
  scanned_ = 0;
  return Result::kMessage;
}

}  // namespace sbc::sip

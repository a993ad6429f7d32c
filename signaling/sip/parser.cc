#include "signaling/sip/parser.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>

#include "signaling/sip/charset.h"

namespace sbc::sip {
namespace {

// SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT, "SIP" case-insensitive.
bool isSipVersion(std::string_view v) {
  if (v.size() < 7 || !iequals(v.substr(0, 4), "SIP/")) return false;
  size_t dot = findByte(v, '.', 4);
  if (dot == std::string_view::npos || dot == 4 || dot + 1 == v.size()) return false;
  for (size_t i = 4; i < v.size(); ++i) {
    if (i != dot && !isDigit(v[i])) return false;
  }
  return true;
}

std::string quoted(std::string_view s, size_t max = 40) {
  std::string out = "'";
  for (char c : s.substr(0, max))
    out.push_back((c >= 0x20 && c < 0x7f) ? c : '?');
  if (s.size() > max) out += "...";
  return out + "'";
}

// RFC 3261 §25.1: a header value is TEXT-UTF8 and LWS; a control character has no place in
// it (a NUL in Subject would otherwise be relayed to the other leg), except escaped as a
// quoted-pair ("\" %x00-09 / %x0B-0C / %x0E-7F, RFC 4475 §3.1.1.2). CR and LF occur only as
// the CRLF of a folded line. Returns the first offending byte, or null.
const char* controlCharacterIn(const char* b, const char* e) {
  // Eight bytes at a time: most values hold no byte below 0x20, no DEL and no backslash, and
  // the per-byte rules below run only from the first word that does.
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  auto below = [](uint64_t x, uint64_t n) { return (x - kOnes * n) & ~x & kHigh; };
  while (e - b >= 8) {
    uint64_t x;
    std::memcpy(&x, b, 8);
    if (below(x, 0x20) | below(x ^ (kOnes * 0x7f), 1) | below(x ^ (kOnes * '\\'), 1)) break;
    b += 8;
  }
  bool escaped = false;
  for (; b < e; ++b) {
    unsigned char c = static_cast<unsigned char>(*b);
    bool control = (c < 0x20 && c != '\t') || c == 0x7f;
    if (escaped) {
      escaped = false;
      if (c != '\r' && c != '\n') continue;
    } else if (c == '\\') {
      escaped = true;
      continue;
    }
    if (!control) continue;
    if (c == '\n' || (c == '\r' && b[1] == '\n')) continue;
    return b;
  }
  return nullptr;
}

}  // namespace

Status parseMessage(std::string_view bytes, Framing framing, const Limits& limits, Message& m) {
  m.clear();
  // RFC 3261 §7.5: CRLFs before the start line are ignored (keep-alives, stream noise).
  size_t skip = 0;
  while (skip < bytes.size() && (bytes[skip] == '\r' || bytes[skip] == '\n'))
    ++skip;
  bytes.remove_prefix(skip);
  if (bytes.empty()) return Status::error(400, "empty message");
  if (bytes.size() > limits.maxMessageBytes) {
    return Status::error(513, "message of " + std::to_string(bytes.size()) +
                                  " bytes exceeds the limit of " +
                                  std::to_string(limits.maxMessageBytes));
  }
  m.raw_.assign(bytes.data(), bytes.size());
  const char* base = m.raw_.data();
  const size_t n = m.raw_.size();
  auto span = [base](const char* b, size_t len) {
    return Span{static_cast<uint32_t>(b - base), static_cast<uint32_t>(len)};
  };

  // Start line.
  const char* nl = static_cast<const char*>(std::memchr(base, '\n', n));
  if (!nl) return Status::error(400, "start line not terminated by CRLF");
  size_t lineEnd = static_cast<size_t>(nl - base) + 1;
  size_t contentEnd = lineEnd - 1;
  if (contentEnd > 0 && base[contentEnd - 1] == '\r') --contentEnd;
  std::string_view line(base, contentEnd);
  m.startLine_ = span(base, lineEnd);

  if (line.size() >= 4 && iequals(line.substr(0, 4), "SIP/")) {
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
    m.kind_ = Message::Kind::kResponse;
    size_t sp = findByte(line, ' ');
    std::string_view version = line.substr(0, sp);
    if (sp == std::string_view::npos || !isSipVersion(version))
      return Status::error(400, "malformed Status-Line");
    m.version_ = span(version.data(), version.size());
    std::string_view rest = line.substr(sp + 1);
    if (rest.size() < 3 || !isDigit(rest[0]) || !isDigit(rest[1]) || !isDigit(rest[2]) ||
        (rest.size() > 3 && rest[3] != ' ')) {
      return Status::error(400, "Status-Code is not three digits");
    }
    m.status_ = (rest[0] - '0') * 100 + (rest[1] - '0') * 10 + (rest[2] - '0');
    if (m.status_ < 100 || m.status_ > 699)
      return Status::error(400, "Status-Code outside 100-699");
    std::string_view reason = rest.size() > 3 ? rest.substr(4) : std::string_view{};
    for (char c : reason) {
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) {
        return Status::error(400, "control character in Reason-Phrase");
      }
    }
    m.reason_ = span(reason.data(), reason.size());
  } else {
    // Request-Line = Method SP Request-URI SP SIP-Version, single spaces (RFC 3261 §7.1).
    m.kind_ = Message::Kind::kRequest;
    size_t sp1 = 0;
    while (sp1 < line.size() && is(line[sp1], kToken))
      ++sp1;
    if (sp1 == 0 || sp1 >= line.size() || line[sp1] != ' ') {
      return Status::error(400,
                           "malformed Request-Line: method is not a token followed by one space");
    }
    std::string_view method = line.substr(0, sp1);
    size_t sp2 = findByte(line, ' ', sp1 + 1);
    if (sp2 == std::string_view::npos)
      return Status::error(400, "Request-Line without SIP-Version");
    std::string_view uri = line.substr(sp1 + 1, sp2 - sp1 - 1);
    std::string_view version = line.substr(sp2 + 1);
    if (uri.empty()) return Status::error(400, "extra whitespace in Request-Line");
    if (findByte(version, ' ') != std::string_view::npos ||
        findByte(version, '\t') != std::string_view::npos) {
      return Status::error(400, "whitespace inside the Request-URI or after the SIP-Version");
    }
    if (!isSipVersion(version))
      return Status::error(400, "malformed SIP-Version " + quoted(version));
    if (uri.front() == '<') return Status::error(400, "Request-URI must not be enclosed in <>");
    m.method_ = span(method.data(), method.size());
    m.methodId_ = methodFromName(method);
    m.uri_ = span(uri.data(), uri.size());
    m.version_ = span(version.data(), version.size());
  }

  // Header fields, until the empty line.
  size_t p = lineEnd;
  int contentLengthLines = 0;
  while (true) {
    if (p >= n) return Status::error(400, "header section not terminated by an empty line");
    if (base[p] == '\n' || (base[p] == '\r' && p + 1 < n && base[p + 1] == '\n')) {
      size_t len = base[p] == '\n' ? 1 : 2;
      m.headerEnd_ = span(base + p, len);
      p += len;
      break;
    }
    if (isWsp(base[p])) return Status::error(400, "line folding before the first header field");
    // Field indexes are 16-bit (Message::first_), hence the hard ceiling.
    if (m.fields_.size() >= std::min<size_t>(limits.maxHeaders, 60000)) {
      return Status::error(513,
                           "more than " + std::to_string(limits.maxHeaders) + " header fields");
    }
    size_t nameEnd = p;
    while (nameEnd < n && is(base[nameEnd], kToken))
      ++nameEnd;
    size_t colon = nameEnd;
    while (colon < n && isWsp(base[colon]))
      ++colon;  // HCOLON = *( SP / HTAB ) ":" SWS
    if (nameEnd == p || colon >= n || base[colon] != ':') {
      const char* e = static_cast<const char*>(std::memchr(base + p, '\n', n - p));
      if (!e) return Status::error(400, "header section not terminated by an empty line");
      std::string_view bad(base + p, static_cast<size_t>(e - (base + p)));
      return Status::error(400, "malformed header line " + quoted(trimLws(bad)));
    }
    // The logical line ends at the first LF not followed by SP/HTAB (folding).
    size_t q = colon + 1;
    size_t lf;
    while (true) {
      const char* e = static_cast<const char*>(std::memchr(base + q, '\n', n - q));
      if (!e) return Status::error(400, "header section not terminated by an empty line");
      lf = static_cast<size_t>(e - base);
      if (lf + 1 < n && isWsp(base[lf + 1])) {
        q = lf + 1;
        continue;
      }
      break;
    }
    size_t vb = colon + 1;
    size_t ve = lf;
    while (vb < ve && isLws(base[vb]))
      ++vb;
    while (ve > vb && isLws(base[ve - 1]))
      --ve;

    if (controlCharacterIn(base + vb, base + ve)) {
      return Status::error(400, "control character in header field " +
                                    quoted(std::string_view(base + p, nameEnd - p)));
    }
    HeaderId id = lookupHeader(std::string_view(base + p, nameEnd - p));
    uint16_t& first = m.first_[static_cast<size_t>(id)];
    if (first == Message::kNone) first = static_cast<uint16_t>(m.fields_.size());
    contentLengthLines += id == HeaderId::kContentLength;
    m.fields_.push_back(HeaderField{id, false, false, span(base + p, nameEnd - p),
                                    span(base + vb, ve - vb), span(base + p, lf + 1 - p)});
    p = lf + 1;
  }

  if (framing == Framing::kHeaders) {
    m.body_ = span(base + p, 0);
    m.rawEnd_ = static_cast<uint32_t>(p);
    return Status();
  }

  // Body, framed by Content-Length.
  const size_t available = n - p;
  bool haveLength = contentLengthLines > 0;
  uint64_t length = 0;
  if (haveLength) {
    bool firstSeen = false;
    for (size_t i = m.first_[static_cast<size_t>(HeaderId::kContentLength)]; i < m.fields_.size();
         ++i) {
      const HeaderField& f = m.fields_[i];
      if (f.id != HeaderId::kContentLength) continue;
      uint64_t v = 0;
      std::string_view text = m.value(f);
      if (parseNumber(text, 0xffffffffULL, v)) {
        return Status::error(400, "invalid Content-Length " + quoted(text));
      }
      if (firstSeen && v != length) {
        return Status::error(400, "conflicting Content-Length values " + std::to_string(length) +
                                      " and " + std::to_string(v));
      }
      firstSeen = true;
      length = v;
    }
  }
  if (framing == Framing::kStream && !haveLength) {
    return Status::error(400, "missing Content-Length on a stream transport");
  }
  if (!haveLength) length = available;  // RFC 3261 §18.3: UDP body runs to the end
  if (length > limits.maxBodyBytes) {
    return Status::error(413, "body of " + std::to_string(length) + " bytes exceeds the limit of " +
                                  std::to_string(limits.maxBodyBytes));
  }
  if (length > available) {
    return Status::error(400, "Content-Length " + std::to_string(length) + " exceeds the " +
                                  std::to_string(available) + " body bytes received");
  }
  if (framing == Framing::kStream && length != available) {
    return Status::error(400, "Content-Length does not match the framed body");
  }
  m.body_ = span(base + p, static_cast<size_t>(length));
  m.rawEnd_ = static_cast<uint32_t>(p + length);
  return Status();
}

}  // namespace sbc::sip

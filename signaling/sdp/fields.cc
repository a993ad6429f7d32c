#include "signaling/sdp/fields.h"

#include <arpa/inet.h>

#include <array>
#include <charconv>
#include <cstring>

namespace sbc::sdp {
namespace {

bool isWsp(char c) {
  return c == ' ' || c == '\t';
}
bool isDigit(char c) {
  return c >= '0' && c <= '9';
}
bool isAlnum(char c) {
  return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && isWsp(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && isWsp(s.back()))
    s.remove_suffix(1);
  return s;
}

// Splits into at most N fields; returns the number of fields found (which may exceed N).
template <size_t N>
size_t splitFields(std::string_view value, std::array<std::string_view, N>& out) {
  size_t n = 0;
  for (std::string_view f = nextField(value); !f.empty(); f = nextField(value)) {
    if (n < N) out[n] = f;
    ++n;
  }
  return n;
}

// 1*DIGIT not above `max`.
bool parseUint(std::string_view s, uint64_t max, uint64_t& out) {
  if (s.empty()) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (!isDigit(c)) return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
    if (v > max) return false;  // also stops long inputs before the multiply overflows
  }
  out = v;
  return true;
}

bool isAllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!isDigit(c)) return false;
  }
  return true;
}

bool isDottedQuad(std::string_view s) {
  int parts = 0;
  while (true) {
    size_t dot = s.find('.');
    std::string_view part = s.substr(0, dot);
    uint64_t v = 0;
    if (part.size() > 3 || !parseUint(part, 255, v)) return false;
    ++parts;
    if (dot == std::string_view::npos) break;
    s.remove_prefix(dot + 1);
  }
  return parts == 4;
}

// A DNS name as RFC 4566 allows in place of an address (FQDN): letters, digits, '-' and '.'.
bool isHostname(std::string_view s) {
  if (s.empty() || !isAlnum(s.front()) || s.back() == '-') return false;
  for (char c : s) {
    if (!isAlnum(c) && c != '-' && c != '.') return false;
  }
  return s.find("..") == std::string_view::npos;
}

bool isIp6(std::string_view s) {
  char buf[INET6_ADDRSTRLEN];
  if (s.size() >= sizeof(buf)) return false;
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  in6_addr addr;
  return inet_pton(AF_INET6, buf, &addr) == 1;
}

// proto = token *("/" token)
bool isProto(std::string_view s) {
  if (s.empty()) return false;
  while (true) {
    size_t slash = s.find('/');
    if (!isToken(s.substr(0, slash))) return false;
    if (slash == std::string_view::npos) return true;
    s.remove_prefix(slash + 1);
  }
}

const char* checkNetAddrType(std::string_view netType, std::string_view addrType) {
  if (netType != "IN") return "network type must be IN";
  if (addrType != "IP4" && addrType != "IP6") return "address type must be IP4 or IP6";
  return nullptr;
}

void appendUint(std::string& out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, r.ptr);
}

}  // namespace

std::string_view nextField(std::string_view& rest) {
  size_t b = 0;
  while (b < rest.size() && isWsp(rest[b]))
    ++b;
  size_t e = b;
  while (e < rest.size() && !isWsp(rest[e]))
    ++e;
  std::string_view f = rest.substr(b, e - b);
  rest.remove_prefix(e);
  return f;
}

std::string_view directionName(Direction d) {
  switch (d) {
    case Direction::kSendRecv:
      return "sendrecv";
    case Direction::kSendOnly:
      return "sendonly";
    case Direction::kRecvOnly:
      return "recvonly";
    case Direction::kInactive:
      return "inactive";
  }
  return "sendrecv";
}

std::optional<Direction> directionFromName(std::string_view name) {
  if (name == "sendrecv") return Direction::kSendRecv;
  if (name == "sendonly") return Direction::kSendOnly;
  if (name == "recvonly") return Direction::kRecvOnly;
  if (name == "inactive") return Direction::kInactive;
  return std::nullopt;
}

bool isToken(std::string_view s) {
  if (s.empty()) return false;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    bool ok = c == 0x21 || (c >= 0x23 && c <= 0x27) || c == 0x2a || c == 0x2b || c == 0x2d ||
              c == 0x2e || (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) ||
              (c >= 0x5e && c <= 0x7e);
    if (!ok) return false;
  }
  return true;
}

const char* checkLineText(std::string_view text) {
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (c == 0) return "NUL byte in value";
    if ((c < 0x20 && c != '\t') || c == 0x7f) return "control character in value";
  }
  return nullptr;
}

const char* checkAddress(std::string_view addrType, std::string_view address) {
  if (address.empty()) return "address missing";
  if (addrType == "IP4") {
    bool numeric = true;
    for (char c : address) {
      numeric = numeric && (isDigit(c) || c == '.');
    }
    if (numeric) return isDottedQuad(address) ? nullptr : "IP4 address is not a dotted quad";
    return isHostname(address) ? nullptr : "IP4 address is neither a dotted quad nor a hostname";
  }
  if (address.find(':') != std::string_view::npos) {
    return isIp6(address) ? nullptr : "invalid IP6 address";
  }
  return isHostname(address) ? nullptr : "IP6 address is neither an IPv6 address nor a hostname";
}

const char* checkConnection(const Connection& c) {
  std::string text = formatConnection(c);
  if (const char* err = checkLineText(text)) return err;
  Connection back;
  if (const char* err = parseConnection(text, back)) return err;
  // A '/' or blank inside a field would parse "fine" into other fields.
  if (back.netType != c.netType || back.addrType != c.addrType || back.address != c.address) {
    return "address must not contain '/' or blanks";
  }
  if (back.ttl != c.ttl || back.addressCount != c.addressCount) {
    return c.addrType == "IP6" ? "an IP6 address takes no ttl" : "an IP4 address count needs a ttl";
  }
  return nullptr;
}

const char* parseOrigin(std::string_view value, Origin& out) {
  std::array<std::string_view, 6> f;
  if (splitFields(value, f) != 6) {
    return "needs 6 fields: username sess-id sess-version nettype addrtype address";
  }
  if (!isAllDigits(f[1])) return "sess-id must be a number";
  if (!isAllDigits(f[2])) return "sess-version must be a number";
  if (!isToken(f[3])) return "nettype is not a token";
  if (!isToken(f[4])) return "addrtype is not a token";
  out = Origin{f[0], f[1], f[2], f[3], f[4], f[5]};
  return nullptr;
}

const char* parseConnection(std::string_view value, Connection& out) {
  std::array<std::string_view, 3> f;
  if (splitFields(value, f) != 3) return "needs 3 fields: nettype addrtype address";
  if (const char* err = checkNetAddrType(f[0], f[1])) return err;
  Connection c;
  c.netType = f[0];
  c.addrType = f[1];
  std::string_view rest = f[2];
  size_t slash = rest.find('/');
  c.address = rest.substr(0, slash);
  if (const char* err = checkAddress(c.addrType, c.address)) return err;
  if (slash != std::string_view::npos) {
    rest.remove_prefix(slash + 1);
    size_t slash2 = rest.find('/');
    uint64_t v = 0;
    if (c.addrType == "IP4") {
      if (!parseUint(rest.substr(0, slash2), 255, v)) return "ttl must be a number 0-255";
      c.ttl = static_cast<uint32_t>(v);
      if (slash2 != std::string_view::npos) {
        if (!parseUint(rest.substr(slash2 + 1), UINT32_MAX, v) || v == 0) {
          return "number of addresses must be a positive number";
        }
        c.addressCount = static_cast<uint32_t>(v);
      }
    } else {
      if (slash2 != std::string_view::npos) return "an IP6 address takes no ttl";
      if (!parseUint(rest, UINT32_MAX, v) || v == 0) {
        return "number of addresses must be a positive number";
      }
      c.addressCount = static_cast<uint32_t>(v);
    }
  }
  out = c;
  return nullptr;
}

const char* parseMediaField(std::string_view value, MediaField& out) {
  MediaField m;
  m.type = nextField(value);
  std::string_view port = nextField(value);
  m.proto = nextField(value);
  if (m.proto.empty()) return "needs media, port, proto and at least one format";
  if (!isToken(m.type)) return "media type is not a token";
  size_t slash = port.find('/');
  uint64_t v = 0;
  if (!parseUint(port.substr(0, slash), 65535, v)) return "port must be a number 0-65535";
  m.port = static_cast<uint16_t>(v);
  if (slash != std::string_view::npos) {
    if (!parseUint(port.substr(slash + 1), UINT32_MAX, v) || v == 0) {
      return "number of ports must be a positive number";
    }
    m.portCount = static_cast<uint32_t>(v);
  }
  if (!isProto(m.proto)) return "proto is not a token";
  for (std::string_view f = nextField(value); !f.empty(); f = nextField(value)) {
    if (!isToken(f)) return "format is not a token";
    m.formats.push_back(f);
  }
  if (m.formats.empty()) return "needs at least one format";
  out = std::move(m);
  return nullptr;
}

const char* parseRtpMap(std::string_view value, RtpMap& out) {
  std::array<std::string_view, 2> f;
  if (splitFields(value, f) != 2) {
    return "needs <payload type> <encoding name>/<clock rate>[/<encoding parameters>]";
  }
  uint64_t v = 0;
  if (!parseUint(f[0], 127, v)) return "payload type must be a number 0-127";
  RtpMap r;
  r.payloadType = static_cast<uint8_t>(v);
  std::string_view rest = f[1];
  size_t slash = rest.find('/');
  r.encoding = rest.substr(0, slash);
  if (!isToken(r.encoding)) return "encoding name missing or not a token";
  if (slash == std::string_view::npos) return "clock rate missing";
  rest.remove_prefix(slash + 1);
  size_t slash2 = rest.find('/');
  if (!parseUint(rest.substr(0, slash2), UINT32_MAX, v) || v == 0) {
    return "clock rate must be a positive number";
  }
  r.clockRate = static_cast<uint32_t>(v);
  if (slash2 != std::string_view::npos) {
    if (!parseUint(rest.substr(slash2 + 1), UINT32_MAX, v) || v == 0) {
      return "encoding parameters (channels) must be a positive number";
    }
    r.channels = static_cast<uint32_t>(v);
  }
  out = r;
  return nullptr;
}

const char* parseRtcp(std::string_view value, Rtcp& out) {
  std::array<std::string_view, 4> f;
  size_t n = splitFields(value, f);
  if (n != 1 && n != 4) return "needs <port> [IN <addrtype> <address>]";
  uint64_t v = 0;
  if (!parseUint(f[0], 65535, v)) return "port must be a number 0-65535";
  Rtcp r;
  r.port = static_cast<uint16_t>(v);
  if (n == 4) {
    if (const char* err = checkNetAddrType(f[1], f[2])) return err;
    if (const char* err = checkAddress(f[2], f[3])) return err;
    r.netType = f[1];
    r.addrType = f[2];
    r.address = f[3];
  }
  out = r;
  return nullptr;
}

const char* parseCrypto(std::string_view value, Crypto& out) {
  Crypto c;
  std::string_view rest = value;
  std::string_view tag = nextField(rest);
  c.suite = nextField(rest);
  c.keyParams = nextField(rest);
  c.sessionParams = trim(rest);
  uint64_t v = 0;
  if (tag.size() > 9 || !parseUint(tag, 999999999, v)) {
    return "tag must be a number of 1 to 9 digits";
  }
  c.tag = static_cast<uint32_t>(v);
  if (c.suite.empty()) return "crypto-suite missing";
  if (!isToken(c.suite)) return "crypto-suite is not a token";
  if (c.keyParams.empty()) return "key-params missing";
  // key-params = key-param *(";" key-param); key-param = key-method ":" key-info
  std::string_view keys = c.keyParams;
  while (true) {
    size_t semi = keys.find(';');
    std::string_view kp = keys.substr(0, semi);
    size_t colon = kp.find(':');
    if (colon == 0 || colon == std::string_view::npos || colon + 1 == kp.size()) {
      return "key-params must be <key-method>:<key-info> (e.g. inline:<key>)";
    }
    if (semi == std::string_view::npos) break;
    keys.remove_prefix(semi + 1);
  }
  out = c;
  return nullptr;
}

const char* parseFmtp(std::string_view value, std::string_view& format, std::string_view& params) {
  std::string_view rest = value;
  std::string_view f = nextField(rest);
  if (f.empty() || !isToken(f) || (!value.empty() && isWsp(value.front()))) {
    return "format missing";
  }
  format = f;
  params = trim(rest);
  return nullptr;
}

std::string formatOrigin(const Origin& o) {
  std::string s;
  s.reserve(o.username.size() + o.sessionId.size() + o.sessionVersion.size() + o.netType.size() +
            o.addrType.size() + o.address.size() + 5);
  s.append(o.username).append(" ").append(o.sessionId).append(" ").append(o.sessionVersion);
  s.append(" ").append(o.netType).append(" ").append(o.addrType).append(" ").append(o.address);
  return s;
}

std::string formatConnection(const Connection& c) {
  std::string s;
  s.reserve(c.netType.size() + c.addrType.size() + c.address.size() + 16);
  s.append(c.netType).append(" ").append(c.addrType).append(" ").append(c.address);
  if (c.ttl) {
    s += '/';
    appendUint(s, *c.ttl);
  }
  if (c.addressCount) {
    s += '/';
    appendUint(s, *c.addressCount);
  }
  return s;
}

std::string formatMediaField(const MediaField& m) {
  std::string s;
  s.append(m.type).append(" ");
  appendUint(s, m.port);
  if (m.portCount) {
    s += '/';
    appendUint(s, *m.portCount);
  }
  s.append(" ").append(m.proto);
  for (std::string_view f : m.formats) {
    s.append(" ").append(f);
  }
  return s;
}

std::string formatRtpMap(const RtpMap& r) {
  std::string s;
  appendUint(s, r.payloadType);
  s.append(" ").append(r.encoding).append("/");
  appendUint(s, r.clockRate);
  if (r.channels) {
    s += '/';
    appendUint(s, *r.channels);
  }
  return s;
}

std::string formatRtcp(const Rtcp& r) {
  std::string s;
  appendUint(s, r.port);
  if (!r.netType.empty() || !r.addrType.empty() || !r.address.empty()) {
    s.append(" ").append(r.netType).append(" ").append(r.addrType).append(" ").append(r.address);
  }
  return s;
}

std::string formatCrypto(const Crypto& c) {
  std::string s;
  appendUint(s, c.tag);
  s.append(" ").append(c.suite).append(" ").append(c.keyParams);
  if (!c.sessionParams.empty()) s.append(" ").append(c.sessionParams);
  return s;
}

Attribute splitAttribute(std::string_view lineValue) {
  Attribute a;
  size_t colon = lineValue.find(':');
  if (colon == std::string_view::npos) {
    // Flags are compared by name: tolerate the trailing blanks some endpoints leave.
    a.name = trim(lineValue);
    return a;
  }
  a.name = lineValue.substr(0, colon);
  a.value = lineValue.substr(colon + 1);
  a.hasValue = true;
  return a;
}

const char* checkAttribute(std::string_view name, std::string_view value) {
  if (name == "rtpmap") {
    RtpMap r;
    return parseRtpMap(value, r);
  }
  if (name == "rtcp") {
    Rtcp r;
    return parseRtcp(value, r);
  }
  if (name == "crypto") {
    Crypto c;
    return parseCrypto(value, c);
  }
  return nullptr;
}

bool isIceAttribute(std::string_view name) {
  static constexpr std::string_view kIce[] = {
      "ice-ufrag",  "ice-pwd",   "ice-options",       "ice-lite",          "ice-mismatch",
      "ice-pacing", "candidate", "remote-candidates", "end-of-candidates",
  };
  for (std::string_view n : kIce) {
    if (n == name) return true;
  }
  return false;
}

}  // namespace sbc::sdp

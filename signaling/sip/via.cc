#include "signaling/sip/via.h"

#include "signaling/sip/charset.h"

namespace sbc::sip {
namespace {

// Reads a token at `i` (after LWS). Returns the index after it; `tok` is set.
size_t readToken(std::string_view s, size_t i, std::string_view& tok) {
  i = skipLwsAt(s, i);
  size_t t = i;
  while (t < s.size() && is(s[t], kToken))
    ++t;
  tok = s.substr(i, t - i);
  return t;
}

// SLASH = SWS "/" SWS
bool readSlash(std::string_view s, size_t& i) {
  size_t k = skipLwsAt(s, i);
  if (k >= s.size() || s[k] != '/') return false;
  i = k + 1;
  return true;
}

bool parsePort(std::string_view s, uint16_t& port) {
  if (s.empty() || s.size() > 5) return false;
  uint32_t v = 0;
  for (char c : s) {
    if (!isDigit(c)) return false;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v > 65535) return false;
  port = static_cast<uint16_t>(v);
  return true;
}

const char* parseViaPrefix(std::string_view value, Via& out, size_t& consumed);

}  // namespace

bool Via::hasMagicCookie() const {
  return branch.size() >= kMagicCookie.size() &&
         branch.substr(0, kMagicCookie.size()) == kMagicCookie;
}

const char* parseVia(std::string_view value, Via& out) {
  value = trimLws(value);
  size_t consumed = 0;
  if (const char* err = parseViaPrefix(value, out, consumed)) return err;
  return consumed == value.size() ? nullptr : "unexpected text after Via parameters";
}

const char* parseFirstVia(std::string_view value, Via& out) {
  size_t consumed = 0;
  return parseViaPrefix(value, out, consumed);
}

namespace {

// Parses one via-parm at the start of `value` and stops at the end or at a ',' that
// starts the next one; `consumed` is where it stopped.
const char* parseViaPrefix(std::string_view value, Via& out, size_t& consumed) {
  out = Via{};
  value = trimLws(value);
  out.text = value;
  size_t i = readToken(value, 0, out.protocolName);
  if (out.protocolName.empty() || !readSlash(value, i)) return "malformed sent-protocol";
  i = readToken(value, i, out.protocolVersion);
  if (out.protocolVersion.empty() || !readSlash(value, i)) return "malformed sent-protocol";
  size_t afterTransport = readToken(value, i, out.transport);
  if (out.transport.empty()) return "missing transport";
  i = skipLwsAt(value, afterTransport);
  if (i == afterTransport) return "missing sent-by";

  size_t hostEnd = i;
  if (hostEnd < value.size() && value[hostEnd] == '[') {
    hostEnd = findByte(value, ']', hostEnd);
    if (hostEnd == std::string_view::npos) return "unterminated IPv6 reference in sent-by";
    ++hostEnd;
  } else {
    while (hostEnd < value.size() && !isLws(value[hostEnd]) && value[hostEnd] != ':' &&
           value[hostEnd] != ';') {
      ++hostEnd;
    }
  }
  out.host = value.substr(i, hostEnd - i);
  out.hostType = classifyHost(out.host);
  if (out.hostType == HostType::kNone)
    return out.host.empty() ? "missing sent-by" : "invalid sent-by host";
  i = hostEnd;

  size_t k = skipLwsAt(value, i);
  if (k < value.size() && value[k] == ':') {  // COLON = SWS ":" SWS
    size_t p = skipLwsAt(value, k + 1);
    size_t e = p;
    while (e < value.size() && isDigit(value[e]))
      ++e;
    if (!parsePort(value.substr(p, e - p), out.port)) return "invalid sent-by port";
    out.hasPort = true;
    i = e;
  }
  out.sentBy = value.substr(out.host.data() - value.data(),
                            i - static_cast<size_t>(out.host.data() - value.data()));

  std::string_view rest = value.substr(i);
  if (const char* err = readParams(rest, ParamSyntax::kHeader, out.params)) return err;
  size_t end = value.size() - rest.size();
  rest = skipLws(rest);
  if (!rest.empty() && rest[0] != ',') return "unexpected text after Via parameters";
  out.text = value.substr(0, end);
  consumed = value.size() - rest.size();

  const char* err = nullptr;
  out.params.forEach([&](const Param& p) {
    if (err) return;
    if (iequals(p.name, "branch")) {
      if (!p.hasValue || !allOf(p.value, kToken)) err = "invalid branch";
      out.branch = p.value;
      out.hasBranch = true;
    } else if (iequals(p.name, "received")) {
      if (!p.hasValue || !(isIPv4(p.value) || isIPv6(p.value))) err = "invalid received parameter";
      out.received = p.value;
    } else if (iequals(p.name, "maddr")) {
      if (!p.hasValue || classifyHost(p.value) == HostType::kNone) err = "invalid maddr parameter";
      out.maddr = p.value;
    } else if (iequals(p.name, "ttl")) {
      uint16_t ttl = 0;
      if (!p.hasValue || p.value.size() > 3 || !parsePort(p.value, ttl) || ttl > 255) {
        err = "invalid ttl parameter";
      }
      out.ttl = ttl;
    } else if (iequals(p.name, "rport")) {
      out.hasRport = true;
      if (p.hasValue && !parsePort(p.value, out.rport)) err = "invalid rport parameter";
    }
  });
  return err;
}

}  // namespace

}  // namespace sbc::sip

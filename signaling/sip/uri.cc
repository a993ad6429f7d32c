#include "signaling/sip/uri.h"

#include <arpa/inet.h>

#include <cstring>

#include "signaling/sip/charset.h"

namespace sbc::sip {
namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = toLower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool isHostname(std::string_view s) {
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);  // a fully qualified name
  if (s.empty()) return false;
  // One pass over the labels: alphanumerics and inner '-', no empty label.
  size_t labelStart = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '.') {
      if (i == labelStart || s[labelStart] == '-' || s[i - 1] == '-') return false;
      if (i == s.size()) {
        // toplabel starts with a letter: that is what tells a name from a bad IPv4 address.
        return !isDigit(s[labelStart]);
      }
      labelStart = i + 1;
    } else if (!is(s[i], kAlnum) && s[i] != '-') {
      return false;
    }
  }
  return false;
}

// hname "=" hvalue *( "&" hname "=" hvalue ), RFC 3261 §25.1.
bool isUriHeaders(std::string_view s) {
  size_t i = 0;
  while (true) {
    size_t n = scanUriChars(s, i, kHnvUnreserved | kUnreserved);
    if (n == std::string_view::npos || n == i || n >= s.size() || s[n] != '=') return false;
    size_t v = scanUriChars(s, n + 1, kHnvUnreserved | kUnreserved);
    if (v == std::string_view::npos) return false;
    if (v == s.size()) return true;
    if (s[v] != '&') return false;
    i = v + 1;
  }
}

const char* parseSipUri(std::string_view rest, Uri& out) {
  size_t at = findByte(rest, '@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    size_t colon = findByte(userinfo, ':');
    out.user = userinfo.substr(0, colon);
    out.hasUserInfo = true;
    size_t u = scanUriChars(out.user, 0, kUnreserved | kUserUnreserved);
    if (out.user.empty() || u != out.user.size()) return "invalid user part in URI";
    if (colon != std::string_view::npos) {
      out.password = userinfo.substr(colon + 1);
      out.hasPassword = true;
      if (scanUriChars(out.password, 0, kUnreserved | kPasswordExtra) != out.password.size()) {
        return "invalid password in URI";
      }
    }
    rest.remove_prefix(at + 1);
  }

  size_t hostEnd;
  if (!rest.empty() && rest[0] == '[') {
    hostEnd = findByte(rest, ']');
    if (hostEnd == std::string_view::npos) return "unterminated IPv6 reference in URI";
    ++hostEnd;
  } else {
    // Up to the next delimiter, so that a bad character reads as a bad host.
    hostEnd = 0;
    while (hostEnd < rest.size() && rest[hostEnd] != ':' && rest[hostEnd] != ';' &&
           rest[hostEnd] != '?')
      ++hostEnd;
  }
  out.host = rest.substr(0, hostEnd);
  out.hostType = classifyHost(out.host);
  if (out.hostType == HostType::kNone)
    return out.host.empty() ? "missing host in URI" : "invalid host in URI";
  rest.remove_prefix(hostEnd);

  if (!rest.empty() && rest[0] == ':') {
    size_t p = 1;
    uint32_t port = 0;
    while (p < rest.size() && isDigit(rest[p]) && p <= 6)
      port = port * 10 + static_cast<uint32_t>(rest[p++] - '0');
    if (p == 1 || port > 65535 || (p < rest.size() && isDigit(rest[p])))
      return "invalid port in URI";
    out.port = static_cast<uint16_t>(port);
    out.hasPort = true;
    rest.remove_prefix(p);
  }

  if (const char* err = readParams(rest, ParamSyntax::kUri, out.params)) return err;

  if (!rest.empty() && rest[0] == '?') {
    out.headers = rest.substr(1);
    out.hasHeaders = true;
    if (!isUriHeaders(out.headers)) return "invalid headers in URI";
    rest = {};
  }
  if (!rest.empty()) return "unexpected character in URI";
  return nullptr;
}

// RFC 3966: global-number ("+" digits) or local-number (hex digits, '*', '#'), with
// visual separators, followed by ;parameters.
const char* parseTelUri(std::string_view rest, Uri& out) {
  size_t semi = findByte(rest, ';');
  std::string_view number = rest.substr(0, semi);
  out.user = number;
  bool global = !number.empty() && number[0] == '+';
  bool anyDigit = false;
  for (size_t i = global ? 1 : 0; i < number.size(); ++i) {
    char c = number[i];
    bool separator = c == '-' || c == '.' || c == '(' || c == ')';
    bool digit = global ? isDigit(c) : (is(c, kHex) || c == '*' || c == '#');
    if (!digit && !separator) return "invalid tel URI number";
    anyDigit |= digit;
  }
  if (!anyDigit) return "tel URI without a number";
  if (semi == std::string_view::npos) return nullptr;
  rest.remove_prefix(semi);
  if (const char* err = readParams(rest, ParamSyntax::kUri, out.params)) return err;
  if (!rest.empty()) return "unexpected character in tel URI";
  return nullptr;
}

}  // namespace

size_t scanUriChars(std::string_view s, size_t i, uint16_t cls) {
  while (i < s.size()) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size() || hexValue(s[i + 1]) < 0 || hexValue(s[i + 2]) < 0) {
        return std::string_view::npos;
      }
      i += 3;
    } else if (is(c, cls)) {
      ++i;
    } else {
      break;
    }
  }
  return i;
}

bool isIPv4(std::string_view s) {
  int parts = 0;
  size_t i = 0;
  while (true) {
    size_t start = i;
    unsigned value = 0;
    while (i < s.size() && isDigit(s[i]) && i - start < 3)
      value = value * 10 + static_cast<unsigned>(s[i++] - '0');
    if (i == start || value > 255) return false;
    ++parts;
    if (i == s.size()) return parts == 4;
    if (s[i] != '.' || parts == 4) return false;
    ++i;
  }
}

bool isIPv6(std::string_view s) {
  char buf[INET6_ADDRSTRLEN + 1];
  if (s.empty() || s.size() >= sizeof(buf)) return false;
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  unsigned char addr[16];
  return inet_pton(AF_INET6, buf, addr) == 1;
}

HostType classifyHost(std::string_view host) {
  if (host.empty()) return HostType::kNone;
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return HostType::kNone;
    return isIPv6(host.substr(1, host.size() - 2)) ? HostType::kIPv6 : HostType::kNone;
  }
  if (isDigit(host.back()) && isIPv4(host)) return HostType::kIPv4;
  return isHostname(host) ? HostType::kHostname : HostType::kNone;
}

const char* parseUri(std::string_view text, Uri& out) {
  out = Uri{};
  out.text = text;
  size_t colon = 0;
  while (colon < text.size() && (is(text[colon], kAlnum) || text[colon] == '+' ||
                                 text[colon] == '-' || text[colon] == '.')) {
    ++colon;
  }
  if (colon == 0 || colon >= text.size() || text[colon] != ':' || isDigit(text[0])) {
    return "URI without a scheme";
  }
  out.scheme = text.substr(0, colon);
  out.opaque = text.substr(colon + 1);
  if (iequals(out.scheme, "sip")) {
    out.kind = UriScheme::kSip;
  } else if (iequals(out.scheme, "sips")) {
    out.kind = UriScheme::kSips;
  } else if (iequals(out.scheme, "tel")) {
    out.kind = UriScheme::kTel;
  } else {
    // absoluteURI: only the generic characters are checked (RFC 3261 §25.1 uric).
    if (out.opaque.empty()) return "empty URI after the scheme";
    size_t i = 0;
    while (i != std::string_view::npos && i < out.opaque.size()) {
      i = scanUriChars(out.opaque, i, kUnreserved | kUserUnreserved | kHnvUnreserved);
      if (i < out.opaque.size() && out.opaque[i] != '@')
        break;  // '@' is the one reserved char left
      if (i < out.opaque.size()) ++i;
    }
    if (i != out.opaque.size()) return "invalid character in URI";
    return nullptr;
  }
  if (out.kind == UriScheme::kTel) return parseTelUri(out.opaque, out);
  return parseSipUri(out.opaque, out);
}

std::string unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hexValue(s[i + 1]) >= 0 && hexValue(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hexValue(s[i + 1]) * 16 + hexValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace sbc::sip

#include "signaling/sip/address.h"

#include "signaling/sip/charset.h"

namespace sbc::sip {
namespace {

// After the URI: header parameters, then nothing but LWS.
const char* readTrailer(std::string_view rest, NameAddr& out) {
  if (const char* err = readParams(rest, ParamSyntax::kHeader, out.params)) return err;
  if (skipLwsAt(rest, 0) != rest.size()) return "unexpected text after address";
  return nullptr;
}

// Finds where a token display name (*(token LWS)) ends in '<'. Returns npos when the
// value is not of that form, which makes it an addr-spec.
size_t findTokenDisplayEnd(std::string_view v, size_t& displayEnd) {
  size_t i = 0;
  while (true) {
    size_t t = i;
    while (t < v.size() && is(v[t], kToken))
      ++t;
    if (t == i) return std::string_view::npos;
    displayEnd = t;
    size_t k = skipLwsAt(v, t);
    if (k < v.size() && v[k] == '<') return k;  // "name<uri>" is tolerated (RFC 4475 §3.1.1.6)
    if (k == t) return std::string_view::npos;
    i = k;
  }
}

}  // namespace

const char* parseNameAddr(std::string_view value, AddressForm form, NameAddr& out) {
  out = NameAddr{};
  value = trimLws(value);
  out.text = value;
  if (value.empty()) return "empty address";
  if (form == AddressForm::kContact && value[0] == '*') {
    out.star = true;
    return skipLwsAt(value, 1) == value.size() ? nullptr : "unexpected text after '*'";
  }

  size_t open = std::string_view::npos;
  if (value[0] == '"') {
    size_t len = 0;
    if (const char* err = scanQuotedString(value, len)) return err;
    out.displayName = value.substr(0, len);
    open = skipLwsAt(value, len);
    if (open >= value.size() || value[open] != '<')
      return "quoted display name not followed by <URI>";
  } else if (value[0] == '<') {
    open = 0;
  } else {
    size_t displayEnd = 0;
    open = findTokenDisplayEnd(value, displayEnd);
    if (open != std::string_view::npos) out.displayName = value.substr(0, displayEnd);
  }

  if (open == std::string_view::npos) {
    // addr-spec: the URI ends at the first ';' or LWS, and may not carry headers or
    // params of its own, which is why such URIs must be written in <> (RFC 3261 §20).
    if (form == AddressForm::kNameAddrOnly) return "URI must be enclosed in <>";
    size_t end = 0;
    while (end < value.size() && value[end] != ';' && !isLws(value[end]))
      ++end;
    std::string_view uriText = value.substr(0, end);
    if (findByte(uriText, '?') != std::string_view::npos)
      return "a URI with headers must be enclosed in <>";
    if (const char* err = parseUri(uriText, out.uri)) {
      return value.find('<') != std::string_view::npos
                 ? "display name must be a token sequence or a quoted string"
                 : err;
    }
    return readTrailer(value.substr(end), out);
  }

  out.angleBrackets = true;
  size_t close = findByte(value, '>', open + 1);
  if (close == std::string_view::npos) return "missing '>' after URI";
  std::string_view uriText = value.substr(open + 1, close - open - 1);
  if (uriText.empty()) return "empty URI in <>";
  if (isLws(uriText.front()) || isLws(uriText.back())) return "whitespace inside <> around the URI";
  if (const char* err = parseUri(uriText, out.uri)) return err;
  return readTrailer(value.substr(close + 1), out);
}

}  // namespace sbc::sip

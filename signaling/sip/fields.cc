#include "signaling/sip/fields.h"

namespace sbc::sip {

const char* parseNumber(std::string_view value, uint64_t max, uint64_t& out) {
  if (value.empty()) return "missing number";
  uint64_t v = 0;
  for (char c : value) {
    if (!isDigit(c)) return "not a number";
    v = v * 10 + static_cast<uint64_t>(c - '0');
    if (v > max) return "number out of range";  // checked per digit: no overflow
  }
  out = v;
  return nullptr;
}

const char* parseCSeq(std::string_view value, CSeq& out) {
  value = trimLws(value);
  size_t i = 0;
  while (i < value.size() && isDigit(value[i]))
    ++i;
  if (i == 0) return "CSeq without a sequence number";
  uint64_t number = 0;
  // RFC 3261 §8.1.1.5: a 32-bit unsigned value.
  if (parseNumber(value.substr(0, i), 0xffffffffULL, number)) return "CSeq number out of range";
  size_t m = i;
  while (m < value.size() && isLws(value[m]))
    ++m;
  if (m == i) return "CSeq without a method";
  std::string_view method = value.substr(m);
  if (!allOf(method, kToken)) return "invalid CSeq method";
  out.number = static_cast<uint32_t>(number);
  out.method = method;
  return nullptr;
}

bool isCallId(std::string_view value) {
  size_t at = findByte(value, '@');
  if (at == std::string_view::npos) return allOf(value, kWord);
  return allOf(value.substr(0, at), kWord) && allOf(value.substr(at + 1), kWord);
}

bool isSipDate(std::string_view v) {
  // "Sat, 13 Nov 2010 23:29:00 GMT": fixed layout, 29 bytes.
  static constexpr std::string_view kDays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (v.size() != 29) return false;
  auto digits = [&](size_t at, size_t n) {
    for (size_t k = at; k < at + n; ++k) {
      if (!isDigit(v[k])) return false;
    }
    return true;
  };
  bool dayOk = false;
  for (auto d : kDays)
    dayOk |= v.substr(0, 3) == d;
  bool monthOk = false;
  for (auto m : kMonths)
    monthOk |= v.substr(8, 3) == m;
  return dayOk && v.substr(3, 2) == ", " && digits(5, 2) && v[7] == ' ' && monthOk &&
         v[11] == ' ' && digits(12, 4) && v[16] == ' ' && digits(17, 2) && v[19] == ':' &&
         digits(20, 2) && v[22] == ':' && digits(23, 2) && v.substr(25) == " GMT";
}

bool MediaType::matches(std::string_view t, std::string_view s) const {
  return (type == "*" || iequals(type, t)) && (subtype == "*" || iequals(subtype, s));
}

const char* parseMediaType(std::string_view value, bool allowWildcards, MediaType& out) {
  out = MediaType{};
  value = trimLws(value);
  size_t i = 0;
  while (i < value.size() && is(value[i], kToken))
    ++i;
  out.type = value.substr(0, i);
  size_t k = i;
  while (k < value.size() && isLws(value[k]))
    ++k;
  if (out.type.empty() || k >= value.size() || value[k] != '/') return "malformed media type";
  ++k;
  while (k < value.size() && isLws(value[k]))
    ++k;
  size_t s = k;
  while (k < value.size() && is(value[k], kToken))
    ++k;
  out.subtype = value.substr(s, k - s);
  if (out.subtype.empty()) return "malformed media type";
  if (!allowWildcards && (out.type == "*" || out.subtype == "*")) return "wildcard in a media type";
  if (out.type == "*" && out.subtype != "*") return "malformed media range";
  std::string_view rest = value.substr(k);
  if (const char* err = readParams(rest, ParamSyntax::kHeader, out.params)) return err;
  if (!trimLws(rest).empty()) return "unexpected text after media type";
  return nullptr;
}

}  // namespace sbc::sip

#pragma once

// Character classes of the RFC 3261 §25 grammar, as 256-entry tables so that the
// hot loops of the parser test a byte with one load.

#include <array>
#include <cstdint>
#include <string_view>

namespace sbc::sip {

enum CharClass : uint16_t {
  kAlnum = 1 << 0,
  kToken = 1 << 1,            // token: alphanum / -.!%*_+`'~
  kWord = 1 << 2,             // word (Call-ID): token chars plus ()<>:\"/[]?{}
  kUnreserved = 1 << 3,       // alphanum / mark
  kUserUnreserved = 1 << 4,   // &=+$,;?/
  kPasswordExtra = 1 << 5,    // &=+$,
  kParamUnreserved = 1 << 6,  // []/:&+$
  kHnvUnreserved = 1 << 7,    // []/?:+$
  kHostChar = 1 << 8,         // alphanum - .
  kHex = 1 << 9,
  kDigit = 1 << 10,
  kWsp = 1 << 11,      // SP / HTAB
  kLws = 1 << 12,      // SP / HTAB / CR / LF: folded values keep their CRLF
  kTelChar = 1 << 13,  // characters of tel: subscriber and its params
};

namespace detail {
constexpr std::array<uint16_t, 256> makeCharTable() {
  std::array<uint16_t, 256> t{};
  auto add = [&t](std::string_view chars, uint16_t cls) {
    for (char c : chars)
      t[static_cast<unsigned char>(c)] |= cls;
  };
  for (int c = '0'; c <= '9'; ++c)
    t[c] |= kAlnum | kDigit | kHex;
  for (int c = 'a'; c <= 'z'; ++c)
    t[c] |= kAlnum;
  for (int c = 'A'; c <= 'Z'; ++c)
    t[c] |= kAlnum;
  for (int c = 'a'; c <= 'f'; ++c)
    t[c] |= kHex;
  for (int c = 'A'; c <= 'F'; ++c)
    t[c] |= kHex;
  for (int c = 0; c < 256; ++c) {
    if (t[c] & kAlnum) t[c] |= kToken | kWord | kUnreserved | kHostChar | kTelChar;
  }
  add("-.!%*_+`'~", kToken | kWord);
  add("()<>:\\\"/[]?{}", kWord);
  add("-_.!~*'()", kUnreserved);  // mark
  add("&=+$,;?/", kUserUnreserved);
  add("&=+$,", kPasswordExtra);
  add("[]/:&+$", kParamUnreserved);
  add("[]/?:+$", kHnvUnreserved);
  add("-.", kHostChar);
  add(" \t", kWsp | kLws);
  add("\r\n", kLws);
  add("-.()+*#;=%[]/:&$!~_'", kTelChar);
  return t;
}
}  // namespace detail

inline constexpr std::array<uint16_t, 256> kCharTable = detail::makeCharTable();

inline bool is(char c, uint16_t cls) {
  return kCharTable[static_cast<unsigned char>(c)] & cls;
}
inline bool isDigit(char c) {
  return c >= '0' && c <= '9';
}
inline bool isWsp(char c) {
  return c == ' ' || c == '\t';
}
inline bool isLws(char c) {
  return is(c, kLws);
}

inline char toLower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

// ASCII case-insensitive equality: SIP header names, parameter names, schemes and
// transport tokens compare this way (RFC 3261 §7.3.1, §19.1.4).
inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (toLower(a[i]) != toLower(b[i])) return false;
  }
  return true;
}

// True when every byte of `s` is in class `cls` (and `s` is not empty).
inline bool allOf(std::string_view s, uint16_t cls) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!is(c, cls)) return false;
  }
  return true;
}

// A plain loop: header fields and URIs are short, and for a few dozen bytes this beats
// a call into libc's vectorized memchr.
inline size_t findByte(std::string_view s, char c, size_t from = 0) {
  for (size_t i = from; i < s.size(); ++i) {
    if (s[i] == c) return i;
  }
  return std::string_view::npos;
}

inline std::string_view trimLws(std::string_view s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && isLws(s[b]))
    ++b;
  while (e > b && isLws(s[e - 1]))
    --e;
  return s.substr(b, e - b);
}

// Index of the first non-LWS byte at or after `i`.
inline size_t skipLwsAt(std::string_view s, size_t i) {
  while (i < s.size() && isLws(s[i]))
    ++i;
  return i;
}

inline std::string_view skipLws(std::string_view s) {
  size_t b = 0;
  while (b < s.size() && isLws(s[b]))
    ++b;
  return s.substr(b);
}

}  // namespace sbc::sip

#pragma once

// Small header-value grammars: CSeq, numbers, Call-ID, Date, media types, and the
// splitting of comma-separated lists (RFC 3261 §7.3.1, §20, §25.1).

#include <cstdint>
#include <string_view>

#include "signaling/sip/charset.h"
#include "signaling/sip/params.h"

namespace sbc::sip {

struct CSeq {
  uint32_t number = 0;
  std::string_view method;
};

// Every parser here returns nullptr on success, else a reason a person understands.
const char* parseCSeq(std::string_view value, CSeq& out);

// 1*DIGIT (leading zeros allowed) not above `max`.
const char* parseNumber(std::string_view value, uint64_t max, uint64_t& out);

// callid = word [ "@" word ]
bool isCallId(std::string_view value);

// rfc1123-date = wkday "," SP date1 SP time SP "GMT" (RFC 3261 §20.17).
bool isSipDate(std::string_view value);

struct MediaType {
  std::string_view type;
  std::string_view subtype;
  ParamList params;
  bool matches(std::string_view t, std::string_view s) const;  // honours "*" ranges
};

// m-type "/" m-subtype *(";" m-parameter). `allowWildcards` for Accept's media-range.
const char* parseMediaType(std::string_view value, bool allowWildcards, MediaType& out);

// Calls f(item) for each element of a comma-separated list, trimmed of LWS. Commas
// inside quoted-strings and <...> do not split. f returns nullptr to go on, or a reason
// that stops the walk and is returned. Empty elements are an error.
template <class F>
const char* forEachListItem(std::string_view value, F&& f) {
  size_t start = 0;
  bool quoted = false;
  bool angle = false;
  for (size_t i = 0; i <= value.size(); ++i) {
    if (i < value.size()) {
      char c = value[i];
      if (quoted) {
        if (c == '\\') {
          ++i;
        } else if (c == '"') {
          quoted = false;
        }
        continue;
      }
      if (c == '"') {
        quoted = true;
        continue;
      }
      if (c == '<') angle = true;
      if (c == '>') angle = false;
      if (c != ',' || angle) continue;
    }
    std::string_view item = trimLws(value.substr(start, i - start));
    if (item.empty()) return "empty element in list";
    if (const char* err = f(item)) return err;
    start = i + 1;
  }
  if (quoted) return "unterminated quoted string";
  return nullptr;
}

}  // namespace sbc::sip

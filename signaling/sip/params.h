#pragma once

// `;name[=value]` parameter lists. Two grammars share this code:
//  - header parameters (Via, From/To/Contact, Content-Type): SEMI and EQUAL allow LWS
//    around them and a value is a token, a host or a quoted-string (RFC 3261 §25.1);
//  - URI parameters: no whitespace, names and values are paramchar with %HEX escapes.
// A ParamList keeps the validated text and answers lookups by scanning it again, so a
// parsed header costs no allocation.

#include <optional>
#include <string_view>

namespace sbc::sip {

enum class ParamSyntax : uint8_t { kHeader, kUri };

struct Param {
  std::string_view name;
  std::string_view value;  // as written: quoted-strings keep their quotes
  bool hasValue = false;
};

class ParamList {
 public:
  ParamList() = default;
  ParamList(std::string_view text, ParamSyntax syntax) : text_(text), syntax_(syntax) {}

  // The value of the first parameter named `name` (case-insensitive): empty for a
  // parameter without value, nullopt when absent.
  std::optional<std::string_view> get(std::string_view name) const;
  bool has(std::string_view name) const { return get(name).has_value(); }

  // Calls f(const Param&) for each parameter in order.
  template <class F>
  void forEach(F&& f) const;

  std::string_view text() const { return text_; }
  bool empty() const { return text_.empty(); }

 private:
  std::string_view text_;  // starts at the first ';' (or empty)
  ParamSyntax syntax_ = ParamSyntax::kHeader;
};

// Reads one parameter: `in` starts at the separator (`;`, with LWS around it for header
// syntax). On success `in` is advanced past the parameter. Returns nullptr, or a reason.
const char* readParam(std::string_view& in, ParamSyntax syntax, Param& out);

// Reads every `;param` at the start of `in` and returns the list; stops (without error)
// at the first character that cannot start another parameter (`,`, `>`, `?`, end).
const char* readParams(std::string_view& in, ParamSyntax syntax, ParamList& out);

// A quoted-string with its quotes, starting at in[0] == '"'. Sets `len` to its length.
const char* scanQuotedString(std::string_view in, size_t& len);

template <class F>
void ParamList::forEach(F&& f) const {
  std::string_view rest = text_;
  Param p;
  while (!rest.empty() && readParam(rest, syntax_, p) == nullptr)
    f(p);
}

}  // namespace sbc::sip

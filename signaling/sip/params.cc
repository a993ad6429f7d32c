#include "signaling/sip/params.h"

#include "signaling/sip/charset.h"
#include "signaling/sip/uri.h"

namespace sbc::sip {
namespace {

size_t scanClass(std::string_view s, size_t i, uint16_t cls) {
  while (i < s.size() && is(s[i], cls))
    ++i;
  return i;
}

}  // namespace

const char* scanQuotedString(std::string_view in, size_t& len) {
  // qdtext is any byte but '"', '\\', CR/LF outside folding; quoted-pair escapes any
  // byte but CR and LF (RFC 3261 §25.1).
  for (size_t i = 1; i < in.size(); ++i) {
    char c = in[i];
    if (c == '"') {
      len = i + 1;
      return nullptr;
    }
    if (c == '\\') {
      if (i + 1 >= in.size() || in[i + 1] == '\r' || in[i + 1] == '\n') {
        return "bad escape in quoted string";
      }
      ++i;
    } else if ((c == '\r' || c == '\n') && !(i + 1 < in.size() && isLws(in[i + 1]))) {
      return "line break in quoted string";
    }
  }
  return "unterminated quoted string";
}

const char* readParam(std::string_view& in, ParamSyntax syntax, Param& out) {
  out = Param{};
  if (syntax == ParamSyntax::kUri) {
    if (in.empty() || in[0] != ';') return "expected ';'";
    size_t n = scanUriChars(in, 1, kParamUnreserved | kUnreserved);
    if (n == std::string_view::npos) return "bad %-escape in URI parameter";
    if (n == 1) return "empty URI parameter";
    out.name = in.substr(1, n - 1);
    if (n < in.size() && in[n] == '=') {
      size_t v = scanUriChars(in, n + 1, kParamUnreserved | kUnreserved);
      if (v == std::string_view::npos) return "bad %-escape in URI parameter";
      if (v == n + 1) return "URI parameter without value after '='";
      out.value = in.substr(n + 1, v - n - 1);
      out.hasValue = true;
      n = v;
    }
    in.remove_prefix(n);
    return nullptr;
  }

  size_t i = skipLwsAt(in, 0);
  if (i >= in.size() || in[i] != ';') return "expected ';'";
  i = skipLwsAt(in, i + 1);
  size_t nameEnd = scanClass(in, i, kToken);
  if (nameEnd == i) return "empty parameter";
  out.name = in.substr(i, nameEnd - i);
  size_t j = skipLwsAt(in, nameEnd);
  if (j < in.size() && in[j] == '=') {
    j = skipLwsAt(in, j + 1);
    if (j < in.size() && in[j] == '"') {
      size_t len = 0;
      if (const char* err = scanQuotedString(in.substr(j), len)) return err;
      out.value = in.substr(j, len);
      j += len;
    } else {
      // gen-value = token / host; host adds ':' '[' ']' for IPv6 references.
      size_t v = j;
      while (v < in.size() && (is(in[v], kToken) || in[v] == ':' || in[v] == '[' || in[v] == ']')) {
        ++v;
      }
      if (v == j) return "parameter without value after '='";
      out.value = in.substr(j, v - j);
      j = v;
    }
    out.hasValue = true;
    in.remove_prefix(j);
  } else {
    in.remove_prefix(nameEnd);
  }
  return nullptr;
}

const char* readParams(std::string_view& in, ParamSyntax syntax, ParamList& out) {
  std::string_view start = in;
  // Header syntax allows LWS before ';'; the list text starts at the ';'.
  size_t lead = syntax == ParamSyntax::kHeader ? skipLwsAt(in, 0) : 0;
  if (lead >= in.size() || in[lead] != ';') {
    out = ParamList({}, syntax);
    return nullptr;
  }
  std::string_view rest = in.substr(lead);
  const char* listBegin = rest.data();
  while (true) {
    size_t next = syntax == ParamSyntax::kHeader ? skipLwsAt(rest, 0) : 0;
    if (next >= rest.size() || rest[next] != ';') break;
    Param p;
    if (const char* err = readParam(rest, syntax, p)) return err;
  }
  out =
      ParamList(std::string_view(listBegin, static_cast<size_t>(rest.data() - listBegin)), syntax);
  in = start.substr(static_cast<size_t>(rest.data() - start.data()));
  return nullptr;
}

std::optional<std::string_view> ParamList::get(std::string_view name) const {
  std::string_view rest = text_;
  Param p;
  while (!rest.empty() && readParam(rest, syntax_, p) == nullptr) {
    if (iequals(p.name, name)) return p.value;
  }
  return std::nullopt;
}

}  // namespace sbc::sip

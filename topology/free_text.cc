#include "topology/free_text.h"

#include "signaling/sip/charset.h"
#include "signaling/sip/fields.h"
#include "signaling/sip/params.h"

namespace sbc::topology {
namespace {

bool isDigits(std::string_view s) {
  if (s.empty() || s.size() > 9) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// reason-value = protocol *(SEMI reason-params) (RFC 3326 §2): keeps the protocol and its
// cause, drops reason-text and extensions. An element without a valid cause goes.
std::optional<std::string> reason(std::string_view value) {
  std::string out;
  const char* err = sip::forEachListItem(value, [&](std::string_view item) -> const char* {
    size_t semi = item.find(';');
    std::string_view protocol = sip::trimLws(item.substr(0, semi));
    if (protocol.empty() || !sip::allOf(protocol, sip::kToken) || semi == item.npos) return nullptr;
    std::string_view rest = item.substr(semi);
    sip::ParamList params;
    if (sip::readParams(rest, sip::ParamSyntax::kHeader, params) || !rest.empty()) return nullptr;
    std::optional<std::string_view> cause = params.get("cause");
    if (!cause || !isDigits(*cause)) return nullptr;
    if (!out.empty()) out += ", ";
    out.append(protocol).append(";cause=").append(*cause);
    return nullptr;
  });
  if (err || out.empty()) return std::nullopt;
  return out;
}

// sess-uuid = 32LHEX. Version 1 UUIDs (time and the maker's MAC address) do not cross.
bool isSessionUuid(std::string_view s) {
  if (s.size() != 32) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return s[12] != '1';
}

// session-id-value = sess-uuid *(SEMI sess-id-param) (RFC 7989 §5): keeps the UUID and
// remote=, drops generic parameters.
std::optional<std::string> sessionId(std::string_view value) {
  size_t semi = value.find(';');
  std::string_view uuid = sip::trimLws(value.substr(0, semi));
  if (!isSessionUuid(uuid)) return std::nullopt;
  std::string out(uuid);
  if (semi == value.npos) return out;
  std::string_view rest = value.substr(semi);
  sip::ParamList params;
  if (sip::readParams(rest, sip::ParamSyntax::kHeader, params) || !rest.empty())
    return std::nullopt;
  std::optional<std::string_view> remote = params.get("remote");
  if (remote && isSessionUuid(*remote)) out.append(";remote=").append(*remote);
  return out;
}

}  // namespace

std::optional<std::string> crossingValue(sip::HeaderId id, std::string_view name,
                                         std::string_view value) {
  if (id == sip::HeaderId::kReason) return reason(value);
  if (id == sip::HeaderId::kUnknown && sip::iequals(name, "Session-ID")) return sessionId(value);
  return std::string(value);
}

}  // namespace sbc::topology

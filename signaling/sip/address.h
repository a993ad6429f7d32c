#pragma once

// name-addr / addr-spec values: From, To, Contact, Route, Record-Route, Reply-To,
// P-Asserted-Identity... (RFC 3261 §20.10, §25.1).

#include <string_view>

#include "signaling/sip/params.h"
#include "signaling/sip/uri.h"

namespace sbc::sip {

struct NameAddr {
  std::string_view text;         // the whole value
  std::string_view displayName;  // as written: a quoted-string keeps its quotes
  Uri uri;
  bool angleBrackets = false;
  bool star = false;  // Contact: *
  ParamList params;   // header parameters after the URI (tag, expires, q, ...)

  std::string_view tag() const { return params.get("tag").value_or(std::string_view{}); }
  bool hasTag() const { return params.has("tag"); }
};

enum class AddressForm : uint8_t {
  kNameAddrOrSpec,  // From, To, Contact
  kNameAddrOnly,    // Route, Record-Route, Path: angle brackets required
  kContact,         // like kNameAddrOrSpec, and "*" is allowed
};

// Parses one value (not a comma-separated list: split first with forEachListItem).
// Returns nullptr on success, else a reason.
const char* parseNameAddr(std::string_view value, AddressForm form, NameAddr& out);

}  // namespace sbc::sip

#pragma once

// What the SBC says it can do on a leg. A B2BUA is the user agent of both dialogs: the far
// side's Allow and Supported describe the far side, not the SBC (and list its equipment's
// feature set), so they never cross (topology/header_filter.cc); each message the B2BUA
// relays carries the SBC's own, once.

#include <string_view>

#include "signaling/sip/message.h"

namespace sbc::b2bua {

// Option tags whose meaning crosses the SBC end to end: the session timer's Session-Expires
// and Min-SE cross (the default whitelist) and its refreshes are relayed. A leg hears one
// only when the far side supports it too. 100rel is negotiated per leg (call_setup.cc).
inline constexpr std::string_view kEndToEndOptions[] = {"timer"};

// Gives `out` (a message the B2BUA built for one leg from `far`, the other leg's message)
// the SBC's Allow where RFC 3261 §20.5 and RFC 3311 want it (INVITE, UPDATE and OPTIONS
// requests, their 2xx, an INVITE's 1xx, any 405), and a Supported with the end-to-end tags
// `far` supports (requests but ACK and CANCEL, 1xx/2xx responses). Any Allow or Supported
// `out` already had is replaced: each appears at most once.
void presentCapabilities(const sip::Message& far, sip::Message& out);

// Puts `tag` first in out's Supported (one line; added when absent): an option the B2BUA
// negotiates on this leg itself (100rel).
void addSupported(sip::Message& out, std::string_view tag);

}  // namespace sbc::b2bua

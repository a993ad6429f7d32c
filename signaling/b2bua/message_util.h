#pragma once

// Small SIP helpers the B2BUA's units share. Private to signaling/b2bua.

#include <optional>
#include <string>
#include <string_view>

#include "signaling/sip/message.h"
#include "signaling/transport/transport.h"

namespace sbc::b2bua {

inline constexpr std::string_view kAllow =
    "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO, PRACK, NOTIFY, REFER";
// Option tags the B2BUA supports itself (its OPTIONS answer): reliable provisionals per
// leg. Not `timer`: the SBC refreshes no session itself (capabilities.cc passes `timer`
// on only where the far side supports it).
inline constexpr std::string_view kSupported = "100rel";

// Random lower-case letters and digits from the OS CSPRNG (tags, Call-IDs).
std::string randomToken(size_t n);
bool hasOptionTag(const sip::Message& m, sip::HeaderId id, std::string_view tag);
bool isSdp(const sip::Message& m);
// Where the requests of a leg go: a URI's host must be an IP literal (the SBC does no DNS
// on the call path); nullopt otherwise, and the leg's known peer address is used.
std::optional<transport::Endpoint> endpointOf(std::string_view uriText,
                                              transport::Protocol fallback);

}  // namespace sbc::b2bua

#pragma once

// Headers of the default whitelist whose grammar has room for free text or identifiers
// that can name the far side: Reason's `text=` (RFC 3326: "Call completed elsewhere by
// pbx3.internal", a switch's name, a Q.850 diagnostic) and Session-ID's generic
// parameters (RFC 7989; a version 1 UUID also carries the MAC address of its maker).
// copyAllowedHeaders passes what crosses through here: the meaning stays (protocol and
// cause, the session UUIDs), the text stays behind.

#include <optional>
#include <string>
#include <string_view>

#include "signaling/sip/header_id.h"

namespace sbc::topology {

// The value a crossing header line carries into the other realm: `value` itself for
// headers without free text, a reduced value for Reason and Session-ID, or nullopt to
// drop the line (nothing valid is left).
std::optional<std::string> crossingValue(sip::HeaderId id, std::string_view name,
                                         std::string_view value);

}  // namespace sbc::topology

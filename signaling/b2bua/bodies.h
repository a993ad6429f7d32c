#pragma once

// Bodies crossing the legs (issue 14, defect 11): SDP is anchored wherever it is (a plain
// body or a part of a multipart one), other types cross only into realms that allow them
// (topology::Realm::bodies), and a multipart body is taken apart and rebuilt from what
// is left, or sent as a plain body when one part is left. The B2BUA's side of it is
// B2bua::Impl::crossBody (bodies.cc). Private to signaling/b2bua.

#include <optional>
#include <string_view>

#include "signaling/sip/fields.h"
#include "signaling/sip/message.h"
#include "signaling/sip/multipart.h"
#include "topology/realm.h"

namespace sbc::b2bua {

// Bounds on a multipart body: SDP and ISUP need two parts.
inline constexpr sip::MultipartLimits kMultipartLimits{};

// The SDP a message carries: its body when it is SDP, or the first SDP part of a
// well-formed multipart body; nullopt when there is none.
std::optional<std::string_view> sdpBody(const sip::Message& m);

// Whether a body part of this type may cross into `realm` (its `bodies` list; SDP is
// handled apart and never asked).
bool bodyAllowed(const topology::Realm& realm, const sip::MediaType& type);

}  // namespace sbc::b2bua

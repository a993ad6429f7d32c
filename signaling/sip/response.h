#pragma once

// Building responses to a request (RFC 3261 §8.2.6): the same Via lines, From, To, Call-ID
// and CSeq, a To tag when the responder creates one, and the standard reason phrases.

#include <string_view>

#include "signaling/sip/message.h"

namespace sbc::sip {

// The standard reason phrase of a status code (RFC 3261 §21 and extensions), or a class
// default ("Client Error") for codes without one.
std::string_view reasonPhrase(int status);

// A response to `request`. `toTag` is added to To when the request's To has no tag (and
// `toTag` is not empty). `reason` empty means the standard phrase. Content-Length: 0.
Message makeResponse(const Message& request, int status, std::string_view reason = {},
                     std::string_view toTag = {});

}  // namespace sbc::sip

#pragma once

// Multipart bodies (RFC 2046 §5.1): taken apart so that the B2BUA can rewrite the SDP
// part and drop the parts a realm may not see (SIP-I's ISUP, RFC 3204), and put back
// together. Bounded: a part count and a part header size; the body itself is bounded by
// the message limits. Errors are reasons (the B2BUA answers 400); nothing throws.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "signaling/sip/fields.h"

namespace sbc::sip {

struct MultipartLimits {
  size_t maxParts = 8;               // SDP + ISUP + a few: more is an attack, not a call
  size_t maxPartHeaderBytes = 1024;  // the header section of one part
};

// One body part: views into the body it was parsed from (or, to build, into the
// caller's strings).
struct BodyPart {
  std::string_view contentType;         // its Content-Type value; empty: none (text/plain)
  std::string_view contentDisposition;  // empty when absent
  std::string_view body;
};

// The boundary parameter of a multipart Content-Type, unquoted and checked against
// RFC 2046's bchars (1 to 70, not ending in a space). nullptr, or the reason.
const char* multipartBoundary(const MediaType& contentType, std::string_view& boundary);

// Splits a multipart body at `boundary`: preamble and epilogue are ignored, each part's
// headers end at an empty line, the close delimiter must be there. Each part's
// Content-Type is checked. nullptr, or the reason.
const char* parseMultipart(std::string_view body, std::string_view boundary,
                           const MultipartLimits& limits, std::vector<BodyPart>& out);

// A multipart body of `parts` (each with its Content-Type and, when set, its
// Content-Disposition), closed. `boundary` must not occur in any part's body.
std::string buildMultipart(const std::vector<BodyPart>& parts, std::string_view boundary);

}  // namespace sbc::sip

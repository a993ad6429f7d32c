#pragma once

// What an SBC does with a message it received: accept it, answer it with an error
// (requests), or drop it silently (responses, which are never answered). The checks are
// those RFC 3261 §8.2 and §16.3 ask of a UAS/proxy and the RFC 4475 torture cases
// exercise: mandatory and single-instance headers, header syntax, value ranges, CSeq
// method, version (505), URI scheme (416), extensions (420), body type (415), Accept
// (406) and Max-Forwards (483).

#include <string>
#include <string_view>
#include <vector>

#include "signaling/sip/message.h"
#include "signaling/sip/parser.h"

namespace sbc::sip {

struct ValidationPolicy {
  // Option tags accepted in Require (anything else is answered with 420).
  std::vector<std::string> supportedOptions = {"100rel", "timer"};
  // Body types accepted on the methods that carry session descriptions
  // (INVITE, ACK, PRACK, UPDATE); anything else is answered with 415.
  std::vector<std::string> sessionBodyTypes = {"application/sdp", "multipart/mixed"};
  // This element forwards requests, so Max-Forwards 0 is answered with 483.
  bool forwarding = true;
};

struct Verdict {
  enum class Action : uint8_t { kAccept, kReject, kDrop };
  Action action = Action::kAccept;
  uint16_t status = 0;  // the response to send, for kReject
  std::string reason;   // why, for a person (and the reason phrase of the response)
  std::vector<std::string> unsupported;  // option tags for the Unsupported header (420)

  bool accepted() const { return action == Action::kAccept; }
};

// Semantic checks of a parsed message.
Verdict validate(const Message& m, const ValidationPolicy& policy);

// Parses and validates, the whole way a transport takes a message in.
Verdict check(std::string_view bytes, Framing framing, const Limits& limits,
              const ValidationPolicy& policy, Message& out);

std::string_view actionName(Verdict::Action a);

}  // namespace sbc::sip

#include "topology/realm.h"

namespace sbc::topology {

std::string_view transportName(Transport t) {
  return t == Transport::kTcp ? "tcp" : "udp";
}

std::string_view srtpModeName(SrtpMode m) {
  switch (m) {
    case SrtpMode::kOff:
      return "off";
    case SrtpMode::kOptional:
      return "optional";
    case SrtpMode::kRequired:
      return "required";
  }
  return "?";
}

std::vector<std::string> defaultHeaderWhitelist() {
  // End-to-end semantics without addresses in them: capabilities, session timer, event
  // packages, call meta-data. docs/CONFIG.md explains each choice.
  return {"Accept",     "Accept-Encoding", "Accept-Language", "Allow-Events", "Session-Expires",
          "Min-SE",     "Expires",         "Min-Expires",     "Retry-After",  "Subject",
          "Priority",   "Privacy",         "Reason",          "Event",        "Subscription-State",
          "Session-ID", "Info-Package",    "Recv-Info"};
}

std::vector<std::string> defaultBodyTypes() {
  // INFO DTMF (tests/scenarios/info_dtmf): digits and durations, no addresses.
  return {"application/dtmf-relay", "application/dtmf"};
}

}  // namespace sbc::topology

#include "topology/realm.h"

#include <array>

#include "signaling/sip/charset.h"

namespace sbc::topology {

namespace {

// As SDP spells them (RFC 3551, RFC 4733, RFC 7587, ...).
constexpr auto kCodecNames = std::to_array<std::string_view>(
    {"PCMU", "PCMA", "G722", "G729", "opus", "telephone-event", "CN", "red", "GSM", "G723",
     "G726-32", "G728", "iLBC", "AMR", "AMR-WB", "speex", "L16", "EVS", "SILK"});

}  // namespace

std::span<const std::string_view> knownCodecNames() {
  return kCodecNames;
}

std::optional<std::string_view> canonicalCodecName(std::string_view name) {
  for (std::string_view known : kCodecNames)
    if (sip::iequals(known, name)) return known;
  return std::nullopt;
}

bool carriesNoAudio(std::string_view codecName) {
  return sip::iequals(codecName, "telephone-event") || sip::iequals(codecName, "CN") ||
         sip::iequals(codecName, "red");
}

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

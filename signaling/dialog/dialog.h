#pragma once

// Dialog state of one leg (RFC 3261 §12): identifiers, CSeq spaces, remote target and
// route set, and the construction of requests inside the dialog. It knows nothing of the
// other leg: the B2BUA holds two of these per call.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "signaling/sip/message.h"
#include "signaling/transport/transport.h"

namespace sbc::dialog {

// Our side of a leg: the listener we send from and the address we advertise in Via and
// Contact on it.
struct LocalAddress {
  transport::ListenerId listener = 0;
  transport::Protocol protocol = transport::Protocol::kUdp;
  std::string host;  // advertised address (IPv6 in brackets)
  uint16_t port = 5060;

  std::string via(std::string_view branch) const;  // "SIP/2.0/UDP host:port;branch=...;rport"
  std::string contact() const;                     // "<sip:host:port>" (+ ;transport=tcp)
};

struct Dialog {
  enum class State : uint8_t { kEarly, kConfirmed, kTerminated };
  State state = State::kEarly;
  std::string callId;
  std::string localTag;
  std::string remoteTag;
  std::string localUri;   // what we write in From (without tag), e.g. "Alice" <sip:a@h>
  std::string remoteUri;  // what we write in To (without tag)
  uint32_t localCseq = 0;
  uint32_t remoteCseq = 0;
  bool haveRemoteCseq = false;
  std::string remoteTarget;           // the peer's Contact URI
  std::vector<std::string> routeSet;  // Route values for our requests, in order
};

// The UAS side of a dialog created by `request` (received) and our To tag (§12.1.1).
Dialog fromRequest(const sip::Message& request, std::string localTag);

// Completes the UAC side of a dialog from a dialog-creating response (§12.1.2): remote tag,
// remote target, route set (Record-Route reversed). Confirmed for 2xx, early for 1xx.
void applyResponse(Dialog& d, const sip::Message& response);

// Checks a request received in the dialog (§12.2.2): false when its CSeq is lower than the
// last one (answer 500). Takes a new remote target from INVITE/UPDATE Contact (target
// refresh, §12.2.2 / RFC 3311).
bool acceptRequest(Dialog& d, const sip::Message& request);

// A request inside the dialog (§12.2.1.1): Request-URI and Route from the route set and
// remote target (loose routing), From/To with tags, Call-ID, CSeq (the next local number,
// or `cseq` when given, as ACK and CANCEL reuse the INVITE's), Max-Forwards, our Via and,
// for target-refresh methods, our Contact.
sip::Message makeRequest(Dialog& d, std::string_view method, const LocalAddress& local,
                         std::string_view branch, uint32_t maxForwards, uint32_t cseq = 0);

// The URI the next request goes to: the first route, or the remote target.
std::string_view nextHop(const Dialog& d);

// The address part of a name-addr or addr-spec value, without parameters outside <>.
std::string uriOf(std::string_view nameAddr);

}  // namespace sbc::dialog

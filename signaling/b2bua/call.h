#pragma once

// A call as the B2BUA holds it: two legs, each with its own dialog, plus what is in flight
// between them. Private to signaling/b2bua.

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "signaling/b2bua/b2bua.h"
#include "signaling/b2bua/call_state.h"
#include "signaling/b2bua/media_anchor.h"
#include "signaling/b2bua/sdp_origin.h"

namespace sbc::b2bua {

enum class Side : uint8_t { kA = 0, kB = 1 };
constexpr Side other(Side s) {
  return s == Side::kA ? Side::kB : Side::kA;
}
constexpr size_t index(Side s) {
  return static_cast<size_t>(s);
}
constexpr const char* sideName(Side s) {
  return s == Side::kA ? "A" : "B";
}

// A message we send again on a timer until the peer acknowledges it: our 2xx to an INVITE
// (until ACK, RFC 3261 §13.3.1.4) or a reliable provisional (until PRACK, RFC 3262 §3).
struct Retransmission {
  std::unique_ptr<sip::Message> message;  // null when idle
  transport::Destination to;
  timer::Duration interval{0};
  timer::TimePoint deadline;
  timer::TimerId timer = 0;
  uint32_t cseq = 0;  // the INVITE's CSeq (2xx) or the RSeq (reliable 1xx)
};

// Where a leg's offer/answer exchanges stand, as far as the B2BUA must act on them.
struct Negotiation {
  transaction::TransactionId pendingClientOffer = 0;   // our INVITE/UPDATE not yet final
  transaction::TransactionId pendingServerInvite = 0;  // their re-INVITE not yet final
  // A 2xx to an INVITE we sent on this leg carried the offer (late offer): its ACK must
  // carry the answer, which comes in the other leg's ACK. The INVITE's CSeq.
  std::optional<uint32_t> ackOwesAnswer;
};

struct Leg {
  dialog::Dialog dialog;
  RealmContext* realm = nullptr;
  dialog::LocalAddress local;
  transport::Destination peer;  // where this leg's peer was last seen (A) or the trunk (B)
  bool preferPeer = false;      // send in-dialog requests to `peer` (endpoints behind NAT)
  // An untrusted realm (peer_flow.h): requests go to `peer` whatever the route set or
  // Contact say, and in-dialog requests are taken only from it.
  bool pinned = false;
  SdpOrigin origin;
  Retransmission ok;  // our 2xx awaiting the ACK
  Negotiation negotiation;
};

// A reliable provisional from B relayed reliably to A with an RSeq of A's leg.
struct ReliableProvisional {
  uint32_t aRseq = 0;
  uint32_t bRseq = 0;
  uint32_t bCseq = 0;
  std::string bTag;
  Retransmission resend;
};

// Where the offer of the initial INVITE is: in our INVITE to B (the answer comes in B's
// 2xx), or late (B's 2xx carries the offer, and the answer goes in our ACK).
enum class InitialOffer : uint8_t { kInInvite, kLate };

struct Call {
  uint64_t id = 0;
  CallState state = CallState::kCalling;  // written by the call's transition() only
  std::array<Leg, 2> legs;
  transaction::TransactionId aInvite = 0;        // the caller's INVITE, until its final response
  transaction::TransactionId bInvite = 0;        // our INVITE, until its final response
  std::unique_ptr<sip::Message> bInviteRequest;  // kept for CANCEL until the final response
  std::optional<Outcome> outcome;                // set once, when the set-up's result is known
  InitialOffer initialOffer = InitialOffer::kLate;
  uint32_t nextRseq = 1;
  std::deque<ReliableProvisional> reliable;  // a deque: timers point into its elements
  timer::TimerId noAnswerTimer = 0;
  timer::TimerId timerC = 0;  // leg B silent too long (RFC 3261 §16.6 step 11)
  timer::TimerId cancelGuardTimer = 0;
  std::vector<transaction::TransactionId> servers;  // open server transactions
  std::vector<transaction::TransactionId> clients;  // open client transactions
  timer::TimePoint started;
  timer::TimePoint answered{};  // the epoch until the 200
  CallMedia media;
  int trunkSlot = -1;  // the route's concurrent-call slot (admission::CallAdmission)

  Leg& leg(Side s) { return legs[index(s)]; }
};

}  // namespace sbc::b2bua

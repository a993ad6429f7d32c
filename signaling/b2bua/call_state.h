#pragma once

// A call's progress as the B2BUA sees it (RFC 3261 §13.2.2, §9.1, from the outbound leg's
// INVITE). Leg A's INVITE stays unanswered until leg B's does; CANCEL may go to B only once
// B has sent a provisional (§9.1), so a cancel that comes earlier waits for one.
//
//   Calling ──1xx, no To tag──► Proceeding ──1xx with To tag / relay──► Early
//      │ └─────────────── 1xx with To tag / relay ─────────────────────────► │
//      │                          │                                          │
//      │ cancel                   │ cancel / send CANCEL                     │ cancel /
//      ▼                          ▼                                          │ send CANCEL
//   CancelPending ──1xx / send CANCEL──► Cancelling ◄─────────────────────────┘
//
//   Calling, Proceeding, Early ──2xx / confirm (ACK B, 2xx to A)──► Confirmed
//   CancelPending, Cancelling ──2xx / ACK and BYE leg B, 487 to A──► (then end)
//   every state but Ended ──end (failure, BYE, timeout, shutdown) / tear down──► Ended
//
// Within a state: Early takes more 1xx (relayed; forks share A's early dialog), Proceeding
// more tagless ones, CancelPending and Cancelling another cancel, Cancelling every 1xx
// (nothing relayed). Anything else is refused: the state stays and no action is taken (a
// 2xx in Confirmed is another fork's, which the B2BUA answers outside the machine; a cancel
// after the answer is too late, §9.1). On a late offer "ACK B" waits for A's ACK.

#include <cstdint>
#include <optional>

namespace sbc::b2bua {

enum class CallState : uint8_t {
  kCalling,        // our INVITE is out on leg B; nothing heard back
  kProceeding,     // B sent a provisional without a dialog (100, or no To tag)
  kEarly,          // B sent a provisional with a To tag: relayed to A (early dialog)
  kCancelPending,  // cancelled before B's first provisional: the CANCEL waits for one
  kCancelling,     // our CANCEL is out; B's final response ends the call
  kConfirmed,      // B answered and the 2xx went to A
  kEnded,          // torn down; the call is about to be forgotten
};

enum class CallEvent : uint8_t {
  kProvisional,       // a 1xx to our INVITE without a To tag (or a 100)
  kEarlyProvisional,  // a 1xx to our INVITE with a To tag
  kAnswered,          // a 2xx to our INVITE, through its transaction
  kCancel,            // the call must not be answered: A's CANCEL, A's BYE while early,
                      // the no-answer timer, A unreachable, shutdown
  kEnd,               // teardown begins
};

// What the B2BUA does because of a transition; the machine itself sends nothing.
enum class CallAction : uint8_t {
  kNone,
  kRelayProvisional,  // put B's early dialog in step and relay the 1xx to A
  kSendCancel,        // CANCEL our INVITE on leg B
  kConfirm,           // ACK B (or wait for A's ACK on a late offer) and relay the 2xx to A
  kAckAndBye,         // B answered after the cancel: ACK and BYE leg B, 487 to A
  kTearDown,          // release the call's timers, dialogs, transactions and media
};

struct CallTransition {
  bool accepted = false;  // false: the event is refused in this state (nothing changed)
  CallState next = CallState::kCalling;
  CallAction action = CallAction::kNone;
};

// The whole machine: the only place that decides a call's next state.
CallTransition nextState(CallState state, CallEvent event);

const char* callStateName(CallState s);
const char* callEventName(CallEvent e);

// True while a cancel has been asked for (a final response to A becomes 487).
constexpr bool cancelRequested(CallState s) {
  return s == CallState::kCancelPending || s == CallState::kCancelling;
}
// True while our INVITE on leg B awaits its final response.
constexpr bool settingUp(CallState s) {
  return s != CallState::kConfirmed && s != CallState::kEnded;
}

// How a call's set-up ended, counted once per call in the caller's realm: a CANCEL that
// crosses a 486, or a timeout after a CANCEL, is one cancelled call, so that the results
// add up to the calls.
enum class Outcome : uint8_t { kAnswered, kBusy, kCancelled, kFailed };

}  // namespace sbc::b2bua

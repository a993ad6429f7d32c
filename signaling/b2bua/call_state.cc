#include "signaling/b2bua/call_state.h"

namespace sbc::b2bua {

namespace {

constexpr CallTransition to(CallState next, CallAction action = CallAction::kNone) {
  return CallTransition{true, next, action};
}
constexpr CallTransition refused(CallState state) {
  return CallTransition{false, state, CallAction::kNone};
}

}  // namespace

CallTransition nextState(CallState state, CallEvent event) {
  using S = CallState;
  using E = CallEvent;
  using A = CallAction;
  if (state == S::kEnded) return refused(state);
  if (event == E::kEnd) return to(S::kEnded, A::kTearDown);
  switch (state) {
    case S::kCalling:
    case S::kProceeding:
      switch (event) {
        case E::kProvisional:
          return to(S::kProceeding);
        case E::kEarlyProvisional:
          return to(S::kEarly, A::kRelayProvisional);
        case E::kAnswered:
          return to(S::kConfirmed, A::kConfirm);
        case E::kCancel:
          return state == S::kCalling ? to(S::kCancelPending) : to(S::kCancelling, A::kSendCancel);
        case E::kEnd:
          break;
      }
      break;
    case S::kEarly:
      switch (event) {
        case E::kProvisional:
          return to(S::kEarly);
        case E::kEarlyProvisional:
          return to(S::kEarly, A::kRelayProvisional);
        case E::kAnswered:
          return to(S::kConfirmed, A::kConfirm);
        case E::kCancel:
          return to(S::kCancelling, A::kSendCancel);
        case E::kEnd:
          break;
      }
      break;
    case S::kCancelPending:
    case S::kCancelling:
      switch (event) {
        case E::kProvisional:
        case E::kEarlyProvisional:
          return state == S::kCancelPending ? to(S::kCancelling, A::kSendCancel)
                                            : to(S::kCancelling);
        case E::kAnswered:
          return to(state, A::kAckAndBye);
        case E::kCancel:
          return to(state);  // already cancelling: nothing more to send
        case E::kEnd:
          break;
      }
      break;
    case S::kConfirmed:
    case S::kEnded:
      break;
  }
  return refused(state);
}

const char* callStateName(CallState s) {
  switch (s) {
    case CallState::kCalling:
      return "calling";
    case CallState::kProceeding:
      return "proceeding";
    case CallState::kEarly:
      return "early";
    case CallState::kCancelPending:
      return "cancel_pending";
    case CallState::kCancelling:
      return "cancelling";
    case CallState::kConfirmed:
      return "confirmed";
    case CallState::kEnded:
      return "ended";
  }
  return "?";
}

const char* callEventName(CallEvent e) {
  switch (e) {
    case CallEvent::kProvisional:
      return "provisional";
    case CallEvent::kEarlyProvisional:
      return "early_provisional";
    case CallEvent::kAnswered:
      return "answered";
    case CallEvent::kCancel:
      return "cancel";
    case CallEvent::kEnd:
      return "end";
  }
  return "?";
}

}  // namespace sbc::b2bua

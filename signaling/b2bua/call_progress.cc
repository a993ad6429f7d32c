// The call state machine (call_state.h) driven for a call, and how its set-up ended
// counted once.

#include <spdlog/spdlog.h>

#include "signaling/b2bua/b2bua_impl.h"

namespace sbc::b2bua {

// The only writer of a call's state: runs the machine (call_state.h) and returns what
// the B2BUA must do; kNone when the event is refused in the call's state.
CallAction B2bua::Impl::transition(Call& call, CallEvent event) {
  CallTransition t = nextState(call.state, event);
  if (!t.accepted) {
    spdlog::debug("event=call_event_refused call={} state={} input={}", call.id,
                  callStateName(call.state), callEventName(event));
    return CallAction::kNone;
  }
  call.state = t.next;
  return t.action;
}

// The caller (or the SBC) no longer wants the call answered: CANCEL leg B now, or after
// its first provisional (RFC 3261 §9.1).
void B2bua::Impl::requestCancel(Call& call) {
  if (transition(call, CallEvent::kCancel) == CallAction::kSendCancel) sendCancel(call);
}

// A call's result counts once, the first one seen (see Outcome).
void B2bua::Impl::outcome(Call& call, Outcome o) {
  if (call.outcome) return;
  call.outcome = o;
  static constexpr uint64_t CallCounters::*kField[] = {&CallCounters::answered, &CallCounters::busy,
                                                       &CallCounters::cancelled,
                                                       &CallCounters::failed};
  tally(call.leg(Side::kA).realm, kField[static_cast<size_t>(o)]);
}

// Every count goes twice: in the totals and in the caller's realm.
void B2bua::Impl::tally(RealmContext* realm, uint64_t CallCounters::*field) {
  ++(counters_.*field);
  if (realm) ++(realm->calls.*field);
}

}  // namespace sbc::b2bua

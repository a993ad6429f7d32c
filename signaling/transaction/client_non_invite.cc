#include "signaling/transaction/client_non_invite.h"

#include <algorithm>

namespace sbc::transaction {

void ClientNonInvite::start() {
  startTimer(TimerSlot::kTimeout, 64 * config().t1);  // Timer F
  bool sent;
  if (reliable_) {
    sent = context_.send(to_, std::move(wire_));  // nothing to retransmit over TCP
    release(wire_);
  } else {
    interval_ = config().t1;
    startTimer(TimerSlot::kRetransmit, interval_);  // Timer E
    sent = context_.send(to_, wire_);
  }
  if (!sent) onTransportError();
}

void ClientNonInvite::onTimer(TimerSlot slot) {
  if (slot == TimerSlot::kRetransmit) {
    if (state_ != State::kTrying && state_ != State::kProceeding) return;
    interval_ = state_ == State::kTrying ? std::min(2 * interval_, config().t2) : config().t2;
    startTimer(TimerSlot::kRetransmit, interval_);
    context_.countRetransmission(to_.listener);
    if (!context_.send(to_, wire_)) onTransportError();
    return;
  }
  switch (state_) {
    case State::kTrying:
    case State::kProceeding:  // Timer F
      terminate();
      context_.user().onClientFailure(id_, ClientFailure::kTimeout);
      break;
    case State::kCompleted:  // Timer K
      terminate();
      break;
    case State::kTerminated:
      break;
  }
}

void ClientNonInvite::onResponse(const sip::Message& response) {
  switch (state_) {
    case State::kTrying:
    case State::kProceeding:
      if (response.statusCode() < 200) {
        state_ = State::kProceeding;
      } else {
        state_ = State::kCompleted;
        stopTimers();
        release(wire_);
        if (reliable_) {
          terminate();  // Timer K is 0 over TCP
        } else {
          startTimer(TimerSlot::kTimeout, config().t4);  // Timer K
        }
      }
      context_.user().onResponse(id_, response);
      break;
    case State::kCompleted:
      ++context_.counters().retransmissionsAbsorbed;
      break;
    case State::kTerminated:
      break;
  }
}

void ClientNonInvite::onTransportError() {
  if (state_ != State::kTrying) return;
  terminate();
  context_.reportClientFailure(id_);
}

void ClientNonInvite::terminate() {
  state_ = State::kTerminated;
  stopTimers();
  release(wire_);
  context_.terminate(id_);
}

}  // namespace sbc::transaction

#include "signaling/transaction/server_invite.h"

#include <algorithm>

#include "signaling/sip/response.h"

namespace sbc::transaction {

void ServerInvite::start(std::unique_ptr<sip::Message> request) {
  request_ = std::move(request);
  handToUser();
  // 100 Trying (§17.2.1) as soon as the TU returns, unless it answered already: a
  // rejection then goes alone (§8.2.7), and the TU runs on this thread, well within T1.
  if (state_ != State::kProceeding || !lastResponse_.empty()) return;
  sip::Message trying = sip::makeResponse(*request_, 100);
  std::string_view timestamp = request_->header(sip::HeaderId::kTimestamp);
  if (!timestamp.empty()) trying.addHeader(sip::HeaderId::kTimestamp, timestamp);  // §8.2.6.1
  lastResponse_ = trying.serialize();
  sendResponse(lastResponse_);
}

void ServerInvite::onRetransmission() {
  ++context_.counters().retransmissionsAbsorbed;
  if (state_ == State::kProceeding || state_ == State::kCompleted) sendResponse(lastResponse_);
}

bool ServerInvite::respond(sip::Message&& response) {
  int status = response.statusCode();
  if (!response.isResponse() || status < 100 || status > 699) return false;
  if (state_ == State::kAccepted) {
    // RFC 6026 §7.1: further 2xx from the TU (its retransmissions, other forks) pass.
    return status >= 200 && status < 300 && sendResponse(response.serialize());
  }
  if (state_ != State::kProceeding) return false;
  if (sip::Parsed<sip::NameAddr> to = response.to(); to && to.value.hasTag()) {
    responseToTag_ = to.value.tag();
  }
  std::string wire = response.serialize();
  if (answersStatelessly(status, true)) {
    sendStateless(std::move(wire));
    terminate();
    return true;
  }
  if (status < 200) {
    lastResponse_ = wire;
    return sendResponse(std::move(wire));
  }
  if (status < 300) {
    state_ = State::kAccepted;
    release(lastResponse_);
    startTimer(TimerSlot::kTimeout, 64 * config().t1);  // Timer L
    return sendResponse(std::move(wire));
  }
  state_ = State::kCompleted;
  retireRequest();
  lastResponse_ = wire;
  if (!reliable_) {
    interval_ = config().t1;
    startTimer(TimerSlot::kRetransmit, interval_);  // Timer G
  }
  startTimer(TimerSlot::kTimeout, 64 * config().t1);  // Timer H
  return sendResponse(std::move(wire));
}

bool ServerInvite::onAck() {
  switch (state_) {
    case State::kCompleted:
      state_ = State::kConfirmed;
      stopTimers();
      release(lastResponse_);
      if (reliable_) {
        terminate();  // Timer I is 0 over TCP
      } else {
        startTimer(TimerSlot::kTimeout, config().t4);  // Timer I
      }
      return true;
    case State::kConfirmed:
      ++context_.counters().retransmissionsAbsorbed;
      return true;
    case State::kAccepted:
      return false;
    case State::kProceeding:  // an ACK before any final response: nothing to confirm
    case State::kTerminated:
      return true;
  }
  return true;
}

bool ServerInvite::takeCancel() {
  if (state_ != State::kProceeding || cancelled_) return false;
  cancelled_ = true;
  return true;
}

void ServerInvite::onTimer(TimerSlot slot) {
  if (slot == TimerSlot::kRetransmit) {
    if (state_ != State::kCompleted) return;
    interval_ = std::min(2 * interval_, config().t2);  // Timer G
    startTimer(TimerSlot::kRetransmit, interval_);
    context_.countRetransmission(responseTo_.listener);
    sendResponse(lastResponse_);
    return;
  }
  switch (state_) {
    case State::kCompleted:  // Timer H: the ACK never came
      terminate();
      context_.user().onServerFailure(id_);
      break;
    case State::kConfirmed:  // Timer I
    case State::kAccepted:   // Timer L
      terminate();
      break;
    case State::kProceeding:
    case State::kTerminated:
      break;
  }
}

void ServerInvite::onTransportError() {
  if (state_ == State::kTerminated) return;
  terminate();
  context_.reportServerFailure(id_);
}

void ServerInvite::terminate() {
  state_ = State::kTerminated;
  stopTimers();
  release(lastResponse_);
  context_.terminate(id_);
}

}  // namespace sbc::transaction

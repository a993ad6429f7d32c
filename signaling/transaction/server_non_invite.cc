#include "signaling/transaction/server_non_invite.h"

namespace sbc::transaction {

void ServerNonInvite::start(std::unique_ptr<sip::Message> request) {
  request_ = std::move(request);
  handToUser();
}

void ServerNonInvite::onRetransmission() {
  ++context_.counters().retransmissionsAbsorbed;
  if (state_ == State::kProceeding || state_ == State::kCompleted) sendResponse(lastResponse_);
}

bool ServerNonInvite::respond(sip::Message&& response) {
  int status = response.statusCode();
  if (!response.isResponse() || status < 100 || status > 699) return false;
  if (state_ != State::kTrying && state_ != State::kProceeding) return false;
  std::string wire = response.serialize();
  if (answersStatelessly(status, false)) {
    sendStateless(std::move(wire));
    terminate();
    return true;
  }
  if (status < 200) {
    state_ = State::kProceeding;
    lastResponse_ = wire;
    return sendResponse(std::move(wire));
  }
  state_ = State::kCompleted;
  retireRequest();
  if (reliable_) {
    release(lastResponse_);
    bool sent = sendResponse(std::move(wire));
    if (sent) terminate();  // Timer J is 0 over TCP
    return sent;
  }
  lastResponse_ = wire;
  startTimer(TimerSlot::kTimeout, 64 * config().t1);  // Timer J
  return sendResponse(std::move(wire));
}

void ServerNonInvite::onTimer(TimerSlot slot) {
  if (slot == TimerSlot::kTimeout && state_ == State::kCompleted) terminate();  // Timer J
}

void ServerNonInvite::onTransportError() {
  if (state_ == State::kTerminated) return;
  terminate();
  context_.reportServerFailure(id_);
}

void ServerNonInvite::terminate() {
  state_ = State::kTerminated;
  stopTimers();
  release(lastResponse_);
  context_.terminate(id_);
}

}  // namespace sbc::transaction

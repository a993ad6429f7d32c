#include "signaling/transaction/client_invite.h"

#include "signaling/sip/parser.h"

namespace sbc::transaction {

void ClientInvite::start() {
  if (!reliable_) {
    interval_ = config().t1;
    startTimer(TimerSlot::kRetransmit, interval_);  // Timer A
  }
  startTimer(TimerSlot::kTimeout, 64 * config().t1);  // Timer B
  // The wire form stays even over TCP: the ACK for a non-2xx is built from it.
  if (!context_.send(to_, wire_)) onTransportError();
}

void ClientInvite::onTimer(TimerSlot slot) {
  if (slot == TimerSlot::kRetransmit) {
    if (state_ != State::kCalling) return;
    // Timer A doubles without the T2 cap (§17.1.1.2); Timer B bounds it.
    interval_ *= 2;
    startTimer(TimerSlot::kRetransmit, interval_);
    context_.countRetransmission(to_.listener);
    if (!context_.send(to_, wire_)) onTransportError();
    return;
  }
  switch (state_) {
    case State::kCalling:  // Timer B
      terminate();
      context_.user().onClientFailure(id_, ClientFailure::kTimeout);
      break;
    case State::kCompleted:  // Timer D
    case State::kAccepted:   // Timer M
      terminate();
      break;
    case State::kProceeding:
    case State::kTerminated:
      break;
  }
}

void ClientInvite::onResponse(const sip::Message& response) {
  int status = response.statusCode();
  switch (state_) {
    case State::kCalling:
    case State::kProceeding:
      if (status < 200) {
        // Retransmissions stop and Timer B no longer applies: the TU owns the wait for
        // an answer now (its own no-answer timer, then CANCEL).
        state_ = State::kProceeding;
        stopTimers();
      } else if (status < 300) {
        accept();
      } else {
        complete(response);
      }
      context_.user().onResponse(id_, response);
      break;
    case State::kCompleted:
      if (status >= 300) {
        // The peer did not get our ACK: send it again, tell nobody.
        ++context_.counters().retransmissionsAbsorbed;
        context_.send(to_, wire_);
      }
      break;
    case State::kAccepted:
      if (status >= 200 && status < 300) context_.user().onResponse(id_, response);
      break;
    case State::kTerminated:
      break;
  }
}

void ClientInvite::accept() {
  state_ = State::kAccepted;
  stopTimers();
  release(wire_);                                     // the ACK for a 2xx is the TU's
  startTimer(TimerSlot::kTimeout, 64 * config().t1);  // Timer M
}

void ClientInvite::complete(const sip::Message& response) {
  state_ = State::kCompleted;
  stopTimers();
  wire_ = buildAck(wire_, response);
  if (!wire_.empty()) context_.send(to_, wire_);
  if (reliable_) {
    terminate();  // Timer D is 0 over TCP
  } else {
    startTimer(TimerSlot::kTimeout, kTimerD);
  }
}

void ClientInvite::onTransportError() {
  if (!awaitingResponse()) return;
  terminate();
  context_.reportClientFailure(id_);
}

void ClientInvite::abandon() {
  if (awaitingResponse()) terminate();
}

void ClientInvite::terminate() {
  state_ = State::kTerminated;
  stopTimers();
  release(wire_);
  context_.terminate(id_);
}

std::string buildAck(std::string_view invite, const sip::Message& response) {
  sip::Message original;
  if (!sip::parseMessage(invite, sip::Framing::kDatagram, sip::Limits{}, original).ok()) return {};
  sip::Parsed<sip::Via> via = original.topVia();
  sip::Parsed<sip::CSeq> cseq = original.cseq();
  if (!via || !cseq) return {};
  sip::Message ack = sip::Message::request("ACK", original.requestUri());
  ack.addHeader(sip::HeaderId::kVia, via.value.text);
  for (const sip::HeaderField& f : original.fields()) {
    if (!f.removed && f.id == sip::HeaderId::kRoute) {
      ack.addHeader(sip::HeaderId::kRoute, original.value(f));
    }
  }
  ack.addHeader(sip::HeaderId::kMaxForwards, "70");
  ack.addHeader(sip::HeaderId::kFrom, original.header(sip::HeaderId::kFrom));
  ack.addHeader(sip::HeaderId::kTo, response.header(sip::HeaderId::kTo));
  ack.addHeader(sip::HeaderId::kCallId, original.callId());
  ack.addHeader(sip::HeaderId::kCSeq, std::to_string(cseq.value.number) + " ACK");
  ack.setBody("");
  return ack.serialize();
}

}  // namespace sbc::transaction

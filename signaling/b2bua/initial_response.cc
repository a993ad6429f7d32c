// The responses to our INVITE on leg B (provisional, 2xx, failure) driven through the
// call state machine, the caller's CANCEL, and 2xx from other forks.

#include <spdlog/spdlog.h>

#include "signaling/b2bua/b2bua_impl.h"
#include "signaling/b2bua/message_util.h"
#include "signaling/sip/response.h"

namespace sbc::b2bua {

void B2bua::Impl::initialInviteResponse(Call& call, const sip::Message& resp) {
  int code = resp.statusCode();
  Leg& a = call.leg(Side::kA);
  Leg& b = call.leg(Side::kB);
  if (code < 200) {
    if (code != 100) armTimerC(call);  // RFC 3261 §16.7 step 2: any provisional but 100
    bool early = code != 100 && resp.to().value.hasTag();
    CallAction action =
        transition(call, early ? CallEvent::kEarlyProvisional : CallEvent::kProvisional);
    if (action == CallAction::kSendCancel) sendCancel(call);
    if (action != CallAction::kRelayProvisional) return;  // nothing to relay
    dialog::applyResponse(b.dialog, resp);
    relayProvisional(call, resp);
    return;
  }

  call.bInvite = 0;
  call.bInviteRequest.reset();
  timers_.cancel(call.timerC);
  call.timerC = 0;
  for (ReliableProvisional& p : call.reliable)
    stopRetransmission(p.resend);
  if (code < 300) {
    CallAction action = transition(call, CallEvent::kAnswered);
    if (action == CallAction::kNone) return;  // a second fork: stray2xx handles it
    dialog::applyResponse(b.dialog, resp);
    timers_.cancel(call.noAnswerTimer);
    call.noAnswerTimer = 0;
    if (action != CallAction::kAckAndBye && !callerInvite(call)) {
      // The caller's transaction ended (a transport error) and we have not heard yet:
      // nobody can take this answer, so the callee's dialog ends at once.
      spdlog::info("event=answered_caller_gone call={}", call.id);
      sendAck(call, Side::kB, resp.cseq().value.number, nullptr);
      sendBye(call, Side::kB);
      outcome(call, Outcome::kFailed);
      tally(a.realm, &CallCounters::callerGone);
      endCall(call, "answered after the caller was lost");
      return;
    }
    if (action == CallAction::kAckAndBye) {
      // The callee answered while the CANCEL was on its way: end its dialog.
      sendAck(call, Side::kB, resp.cseq().value.number, nullptr);
      sendBye(call, Side::kB);
      finishA(call, 487);
      endCall(call, "answered after cancel");
      return;
    }
    std::string srtpError;
    if (call.initialOffer == InitialOffer::kInInvite &&
        !srtpAnswerUsable(call, Side::kA, resp, srtpError)) {
      // The callee answered our SRTP offer with what the relay cannot run: its dialog ends
      // and the caller hears why, rather than a call without media.
      spdlog::info("event=bad_srtp_answer call={} error=\"{}\"", call.id, srtpError);
      sendAck(call, Side::kB, resp.cseq().value.number, nullptr);
      sendBye(call, Side::kB);
      outcome(call, Outcome::kFailed);
      respondServer(
          call, call.aInvite, 488, {},
          {{sip::HeaderId::kWarning, "399 " + a.realm->advertised + " \"" + srtpError + "\""}});
      call.aInvite = 0;
      endCall(call, "unusable SRTP answer");
      return;
    }
    a.dialog.state = dialog::Dialog::State::kConfirmed;
    // Our offer went out with the INVITE: ACK the callee now. A late offer waits for the
    // caller's ACK, which carries the answer.
    if (call.initialOffer == InitialOffer::kInInvite) {
      sendAck(call, Side::kB, resp.cseq().value.number, nullptr);
    } else {
      b.negotiation.ackOwesAnswer = resp.cseq().value.number;
    }
    outcome(call, Outcome::kAnswered);
    relayResponseTo(call, resp, Side::kA, call.aInvite);
    call.aInvite = 0;
    call.answered = timers_.now();
    std::chrono::duration<double> setup = call.answered - call.started;
    if (observer_) observer_->callAnswered(setup);
    spdlog::info("event=answered call={} setup_ms={}", call.id,
                 std::chrono::duration_cast<std::chrono::milliseconds>(setup).count());
    return;
  }

  // A failure: mapped, relayed with a standard reason phrase, and the call is over.
  int mapped = code;
  if (auto m = settings_.responseMap.find(code); m != settings_.responseMap.end())
    mapped = m->second;
  bool cancelled = cancelRequested(call.state);
  if (cancelled) mapped = 487;
  if (code == 486 || code == 600)
    outcome(call, Outcome::kBusy);
  else if (!cancelled)
    outcome(call, Outcome::kFailed);
  spdlog::info("event=call_failed call={} status={} relayed={}", call.id, code, mapped);
  if (const sip::Message* req = callerInvite(call)) {
    sip::Message r = sip::makeResponse(*req, mapped, {}, a.dialog.localTag);
    topology::copyAllowedHeaders(resp, r, *a.realm->config);
    sendResponse(call, Side::kA, call.aInvite, std::move(r));
    call.aInvite = 0;
  }
  endCall(call, "failed");
}

void B2bua::Impl::relayProvisional(Call& call, const sip::Message& resp) {
  Leg& a = call.leg(Side::kA);
  const sip::Message* req = callerInvite(call);
  if (!req) return;
  sip::Message r = sip::makeResponse(*req, resp.statusCode(), {}, a.dialog.localTag);
  r.addHeader(sip::HeaderId::kContact, a.local.contact());
  std::string error;
  if (!crossOver(call, Side::kA, resp, r, error)) {
    spdlog::info("event=bad_sdp call={} leg=B status={} error=\"{}\"", call.id, resp.statusCode(),
                 error);
    r.setBody("");
  }
  bool reliable =
      hasOptionTag(resp, sip::HeaderId::kRequire, "100rel") && resp.first(sip::HeaderId::kRSeq);
  if (reliable) {
    // Relayed reliably with an RSeq of the caller's leg; the caller's PRACK is mapped
    // back to the callee's RSeq (RFC 3262, per leg).
    ReliableProvisional rp;
    rp.aRseq = call.nextRseq++;
    uint64_t bRseq = 0;
    sip::parseNumber(sip::trimLws(resp.header(sip::HeaderId::kRSeq)), 0xffffffff, bRseq);
    rp.bRseq = static_cast<uint32_t>(bRseq);
    rp.bCseq = resp.cseq().value.number;
    rp.bTag = std::string(resp.to().value.tag());
    r.removeHeader(sip::HeaderId::kRequire);
    r.removeHeader(sip::HeaderId::kRSeq);
    r.addHeader(sip::HeaderId::kRequire, "100rel");
    r.addHeader(sip::HeaderId::kRSeq, std::to_string(rp.aRseq));
    a.realm->filters.apply(r);
    const transport::Source* src = txn_->source(call.aInvite);
    if (src) {
      rp.resend.message = std::make_unique<sip::Message>(r);
      rp.resend.to = transport::responseDestination(*req, *src);
      rp.resend.cseq = rp.aRseq;
    }
    call.reliable.push_back(std::move(rp));
    txn_->respond(call.aInvite, std::move(r));
    if (src && !transport::isReliable(src->remote.protocol)) {
      startRetransmission(call, call.reliable.back().resend);
    }
    return;
  }
  sendResponse(call, Side::kA, call.aInvite, std::move(r));
}

const sip::Message* B2bua::Impl::callerInvite(Call& call) {
  // The handle stays: onServerFailure, due on the next tick, recognises the call by it.
  return call.aInvite ? txn_->request(call.aInvite) : nullptr;
}

// (Re)starts Timer C on our INVITE: at the send and at each provisional but 100.
void B2bua::Impl::armTimerC(Call& call) {
  timers_.cancel(call.timerC);
  uint64_t id = call.id;
  call.timerC = timers_.schedule(settings_.timerC, [this, id] {
    Call* c = registry_.find(id);
    if (!c) return;
    c->timerC = 0;
    if (!c->bInvite) return;  // answered or failed meanwhile
    // RFC 3261 §16.6 step 11: CANCEL after a provisional (requestCancel waits for one
    // otherwise), and the caller is told 408 as if leg B had said so.
    spdlog::info("event=timer_c call={}", id);
    requestCancel(*c);
    outcome(*c, Outcome::kFailed);
    finishA(*c, 408);
    endCall(*c, "timer C");
  });
}

void B2bua::Impl::finishA(Call& call, int code) {
  if (!call.aInvite) return;
  respondServer(call, call.aInvite, code, {});
  call.aInvite = 0;
}

void B2bua::Impl::onCancel(TransactionId invite, const sip::Message&) {
  Call* call = registry_.callOfServer(invite);
  if (!call || call->aInvite != invite) return;
  spdlog::info("event=cancel call={}", call->id);
  outcome(*call, Outcome::kCancelled);
  requestCancel(*call);
  // If the far side never answers the CANCEL, the caller still gets its 487.
  uint64_t id = call->id;
  call->cancelGuardTimer = timers_.schedule(64 * txn_->timers().t1, [this, id] {
    if (Call* c = registry_.find(id); c && c->aInvite) {
      c->cancelGuardTimer = 0;
      finishA(*c, 487);
      endCall(*c, "cancel not answered");
    }
  });
}

void B2bua::Impl::sendCancel(Call& call) {
  if (!call.bInviteRequest) return;
  const sip::Message& inv = *call.bInviteRequest;
  // CANCEL (§9.1): the INVITE's Request-URI, top Via, Call-ID, From, To, CSeq number and
  // Route, so that it matches the INVITE's transaction.
  sip::Message c = sip::Message::request("CANCEL", inv.requestUri());
  c.addHeader(sip::HeaderId::kVia, inv.header(sip::HeaderId::kVia));
  c.addHeader(sip::HeaderId::kMaxForwards, std::to_string(settings_.maxForwards));
  for (const sip::HeaderField& f : inv.fields()) {
    if (!f.removed && f.id == sip::HeaderId::kRoute)
      c.addHeader(sip::HeaderId::kRoute, inv.value(f));
  }
  c.addHeader(sip::HeaderId::kFrom, inv.header(sip::HeaderId::kFrom));
  c.addHeader(sip::HeaderId::kTo, inv.header(sip::HeaderId::kTo));
  c.addHeader(sip::HeaderId::kCallId, inv.callId());
  c.addHeader(sip::HeaderId::kCSeq, std::to_string(inv.cseq().value.number) + " CANCEL");
  c.setBody("");
  sendClient(call, Side::kB, std::move(c), Purpose::kCancel, 0);
  // §9.1: no final response 64*T1 after the CANCEL, and the INVITE is given up.
  if (call.bInvite) abandonLater(call.bInvite);
}

// A 2xx to an INVITE of ours that no transaction claims: a retransmission (ACK again) or
// another fork's answer after the call was answered (ACK it, then BYE it).
void B2bua::Impl::stray2xx(const sip::Message& resp) {
  auto ref = registry_.findDialog(resp.callId(), resp.from().value.tag());
  if (!ref) return;
  Call& call = *ref->first;
  Side side = ref->second;
  Leg& leg = call.leg(side);
  std::string_view tag = resp.to().value.tag();
  if (tag == leg.dialog.remoteTag) {
    if (!leg.negotiation.ackOwesAnswer) sendAck(call, side, resp.cseq().value.number, nullptr);
    return;
  }
  spdlog::info("event=extra_fork_answered call={} tag={}", call.id, tag);
  ackAndBye(leg, resp);
}

// ACKs a 2xx that no call will take, then BYEs its dialog: the dialog is `leg`'s as the
// 2xx sets it up (another fork, or an INVITE whose call already ended).
void B2bua::Impl::ackAndBye(const Leg& leg, const sip::Message& resp) {
  dialog::Dialog fork = leg.dialog;
  fork.state = dialog::Dialog::State::kEarly;
  dialog::applyResponse(fork, resp);
  sip::Message ack = dialog::makeRequest(fork, "ACK", leg.local, txn_->newBranch(),
                                         settings_.maxForwards, resp.cseq().value.number);
  ack.setBody("");
  if (auto to = destinationFor(leg, ack)) txn_->sendStateless(ack, *to);
  sip::Message bye =
      dialog::makeRequest(fork, "BYE", leg.local, txn_->newBranch(), settings_.maxForwards);
  bye.setBody("");
  leg.realm->filters.apply(bye);
  if (auto to = destinationFor(leg, bye)) txn_->sendRequest(std::move(bye), *to);
}

}  // namespace sbc::b2bua

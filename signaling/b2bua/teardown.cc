// Ending calls: one at a time (every timer, dialog, transaction and media session of
// the call released) or all at shutdown.

#include <spdlog/spdlog.h>

#include "signaling/b2bua/b2bua_impl.h"
#include "signaling/sip/response.h"

namespace sbc::b2bua {

void B2bua::Impl::endCall(Call& call, std::string_view why) {
  if (transition(call, CallEvent::kEnd) != CallAction::kTearDown) return;
  timers_.cancel(call.noAnswerTimer);
  timers_.cancel(call.cancelGuardTimer);
  timers_.cancel(call.timerC);
  for (Leg& leg : call.legs) {
    stopRetransmission(leg.ok);
    registry_.unregisterDialog(leg.dialog);
  }
  for (ReliableProvisional& p : call.reliable)
    stopRetransmission(p.resend);
  if (call.media.created) logMediaStats(call);
  anchor_.release(call.id, call.media);
  // Requests still waiting on this call get a final answer; our own transactions run
  // to completion in the transaction layer but nobody listens any more, and an INVITE
  // that may never get its final response is given up later (abandonLater). Copies:
  // closing edits the call's lists.
  std::vector<TransactionId> servers = call.servers;
  for (TransactionId s : servers) {
    if (const ServerCtx* ctx = registry_.server(s)) {
      if (const sip::Message* req = txn_->request(s)) {
        sip::Message r = sip::makeResponse(*req, 481, {}, call.leg(ctx->side).dialog.localTag);
        txn_->respond(s, std::move(r));
      }
    }
    registry_.closeServer(s);
  }
  std::vector<TransactionId> clients = call.clients;
  for (TransactionId c : clients) {
    if (const ClientCtx* ctx = registry_.client(c); ctx && ctx->method == sip::Method::kInvite) {
      abandonLater(c);
      if (ctx->purpose == Purpose::kInitialInvite) {
        // What an answer crossing our CANCEL needs to be ACKed and BYEd (b2bua.cc).
        const Leg& b = call.leg(Side::kB);
        Leg& kept = orphans_[c];
        kept.dialog = b.dialog;
        kept.realm = b.realm;
        kept.local = b.local;
        kept.peer = b.peer;
        kept.preferPeer = b.preferPeer;
        kept.pinned = b.pinned;  // an untrusted callee's answer must not steer the ACK/BYE
      }
    }
    registry_.closeClient(c);
  }
  if (call.leg(Side::kA).realm && call.leg(Side::kA).realm->activeCalls > 0)
    --call.leg(Side::kA).realm->activeCalls;
  releaseTrunk(call);
  if (call.answered != timer::TimePoint{} && observer_)
    observer_->answeredCallEnded(timers_.now() - call.answered);
  spdlog::info(
      "event=call_end call={} reason=\"{}\" duration_ms={}", call.id, why,
      std::chrono::duration_cast<std::chrono::milliseconds>(timers_.now() - call.started).count());
  uint64_t id = call.id;
  registry_.remove(id);  // `call` is gone from here on
}

// Our INVITE that outlives its call ends 64*T1 later if no final response came (RFC
// 3261 §9.1), so that no transaction outlives its call for long.
void B2bua::Impl::abandonLater(TransactionId client) {
  if (abandon_.count(client)) return;
  abandon_[client] = timers_.schedule(64 * txn_->timers().t1, [this, client] {
    abandon_.erase(client);
    orphans_.erase(client);
    txn_->abandon(client);
  });
}

void B2bua::Impl::terminateAll() {
  for (uint64_t id : registry_.ids()) {
    Call* c = registry_.find(id);
    if (!c) continue;
    if (c->state == CallState::kConfirmed) {
      sendBye(*c, Side::kA);
      sendBye(*c, Side::kB);
    } else {
      requestCancel(*c);
      finishA(*c, 503);
    }
    endCall(*c, "shutdown");
  }
}

}  // namespace sbc::b2bua

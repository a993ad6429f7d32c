// Our 2xx to an INVITE sent again until the ACK (RFC 3261 §13.3.1.4) and reliable
// provisionals until the PRACK (RFC 3262 §3), over unreliable transports.

#include <spdlog/spdlog.h>

#include <algorithm>

#include "signaling/b2bua/b2bua_impl.h"

namespace sbc::b2bua {

void B2bua::Impl::startRetransmission(Call& call, Retransmission& r) {
  if (transport::isReliable(r.to.remote.protocol)) {  // TCP delivers it
    r.message.reset();
    return;
  }
  r.interval = txn_->timers().t1;
  r.deadline = timers_.now() + 64 * txn_->timers().t1;
  armRetransmission(call.id, &r);
}

void B2bua::Impl::armRetransmission(uint64_t callId, Retransmission* r) {
  r->timer = timers_.schedule(r->interval, [this, callId, r] {
    if (!registry_.find(callId)) return;
    r->timer = 0;
    if (timers_.now() >= r->deadline) {
      // No ACK (or PRACK) within 64*T1: the peer is gone (RFC 3261 §13.3.1.4).
      Call* call = registry_.find(callId);
      spdlog::info("event=ack_timeout call={}", callId);
      if (call && call->state == CallState::kConfirmed) {
        sendBye(*call, Side::kA);
        sendBye(*call, Side::kB);
        endCall(*call, "no ACK");
      }
      return;
    }
    txn_->sendStateless(*r->message, r->to);
    txn_->countRetransmission(r->to.listener);
    r->interval = std::min(r->interval * 2, txn_->timers().t2);
    armRetransmission(callId, r);
  });
}

void B2bua::Impl::stopRetransmission(Retransmission& r) {
  timers_.cancel(r.timer);
  r.timer = 0;
  r.message.reset();
}

}  // namespace sbc::b2bua

// The B2BUA's entry points: what the transaction layer hands it, dispatched to the units
// (call_setup, initial_response, in_dialog, local_answers, teardown), and the public
// B2bua forwarding to its Impl.

#include "signaling/b2bua/b2bua.h"

#include <spdlog/spdlog.h>

#include "signaling/b2bua/b2bua_impl.h"

namespace sbc::b2bua {

B2bua::Impl::Impl(timer::TimerService& timers, Settings settings,
                  const std::vector<transport::ListenerInfo>& listeners,
                  mediaplane::MediaPlane* media, CallObserver* observer)
    : timers_(timers),
      observer_(observer),
      settings_(std::move(settings)),
      routes_(settings_.routes, settings_.realms),
      anchor_(media, settings_) {
  buildRealms(settings_.realms, listeners, realms_, listenerRealm_);
}

B2bua::Impl::~Impl() {
  for (const auto& [client, timer] : abandon_)
    timers_.cancel(timer);
}

void B2bua::Impl::attach(transaction::TransactionLayer& t) {
  txn_ = &t;
  if (anchor_.available()) scheduleMediaPoll();
}

void B2bua::Impl::onRequest(TransactionId server, const sip::Message& req,
                            const transport::Source& from) {
  if (req.to().value.hasTag()) {
    inDialog(server, req, from);
    return;
  }
  if (req.methodId() == sip::Method::kInvite) {
    newCall(server, req, from);
    return;
  }
  answerOutOfDialog(server, req);
}

void B2bua::Impl::onResponse(TransactionId client, const sip::Message& resp) {
  const ClientCtx* found = registry_.client(client);
  if (!found) {
    if (auto orphan = orphans_.find(client); orphan != orphans_.end()) {
      // Our INVITE of a call that ended meanwhile (we CANCELled it): an answer that
      // crossed the CANCEL must not leave the callee in a call nobody hears.
      if (resp.statusCode() / 100 == 2) {
        spdlog::info("event=answered_after_end tag={}", resp.to().value.tag());
        ackAndBye(orphan->second, resp);
      }
      if (resp.statusCode() >= 200) orphans_.erase(orphan);
      return;
    }
    if (resp.cseq().value.method == "INVITE" && resp.statusCode() / 100 == 2) stray2xx(resp);
    return;
  }
  ClientCtx ctx = *found;
  bool final = resp.statusCode() >= 200;
  if (final) registry_.closeClient(client);
  Call* call = registry_.find(ctx.call);
  if (!call) return;
  switch (ctx.purpose) {
    case Purpose::kInitialInvite:
      initialInviteResponse(*call, resp);
      break;
    case Purpose::kRelay:
      relayResponse(*call, ctx, resp);
      break;
    case Purpose::kBye:
    case Purpose::kCancel:
      break;
  }
}

void B2bua::Impl::onClientFailure(TransactionId client, transaction::ClientFailure why) {
  const ClientCtx* found = registry_.client(client);
  if (!found) return;
  ClientCtx ctx = *found;
  registry_.closeClient(client);
  Call* call = registry_.find(ctx.call);
  if (!call) return;
  int code = why == transaction::ClientFailure::kTimeout ? 408 : 503;
  spdlog::info("event=leg_failure call={} leg={} why={}", call->id, sideName(ctx.side),
               why == transaction::ClientFailure::kTimeout ? "timeout" : "transport");
  if (ctx.purpose == Purpose::kInitialInvite) {
    call->bInviteRequest.reset();
    outcome(*call, Outcome::kFailed);
    finishA(*call, cancelRequested(call->state) ? 487 : code);
    endCall(*call, "no answer from the far side");
  } else if (ctx.purpose == Purpose::kRelay) {
    if (ctx.method == sip::Method::kInvite || ctx.method == sip::Method::kUpdate) {
      call->leg(ctx.side).negotiation.pendingClientOffer = 0;
    }
    // The re-INVITE that waited for this one gets its final answer below: the other leg
    // may send the next (else every later re-INVITE on that leg would be refused with 500).
    if (ctx.method == sip::Method::kInvite)
      call->leg(other(ctx.side)).negotiation.pendingServerInvite = 0;
    if (ctx.peer) respondServer(*call, ctx.peer, code, {});
  }
}

void B2bua::Impl::onStrayResponse(const sip::Message& resp, const transport::Source&) {
  if (resp.cseq().value.method == "INVITE" && resp.statusCode() / 100 == 2) stray2xx(resp);
}

void B2bua::Impl::onServerFailure(TransactionId server) {
  const ServerCtx* ctx = registry_.server(server);
  if (!ctx) return;
  uint64_t callId = ctx->call;
  registry_.closeServer(server);
  Call* call = registry_.find(callId);
  if (!call) return;
  // A re-INVITE whose transaction died no longer blocks the next one on its leg.
  for (Leg& leg : call->legs) {
    if (leg.negotiation.pendingServerInvite == server) leg.negotiation.pendingServerInvite = 0;
  }
  if (call->aInvite == server) {
    call->aInvite = 0;
    spdlog::info("event=caller_unreachable call={}", call->id);
    if (call->state == CallState::kConfirmed) {
      sendBye(*call, Side::kB);
    } else {
      requestCancel(*call);
    }
    endCall(*call, "caller unreachable");
  }
}

std::vector<const RealmContext*> B2bua::Impl::realms() const {
  std::vector<const RealmContext*> out;
  for (const topology::Realm& r : settings_.realms)
    out.push_back(&realms_.at(r.name));
  return out;
}

const RealmContext* B2bua::Impl::realm(std::string_view name) const {
  auto it = realms_.find(std::string(name));
  return it == realms_.end() ? nullptr : &it->second;
}

B2bua::B2bua(timer::TimerService& timers, Settings settings,
             const std::vector<transport::ListenerInfo>& listeners, mediaplane::MediaPlane* media,
             CallObserver* observer)
    : impl_(std::make_unique<Impl>(timers, std::move(settings), listeners, media, observer)) {}
B2bua::~B2bua() = default;
void B2bua::attach(transaction::TransactionLayer& t) {
  impl_->attach(t);
}
void B2bua::setAdmission(admission::CallAdmission* caps) {
  impl_->admission_ = caps;
}
void B2bua::onRequest(TransactionId s, const sip::Message& r, const transport::Source& f) {
  impl_->onRequest(s, r, f);
}
void B2bua::onAck(const sip::Message& a, const transport::Source& f) {
  impl_->onAck(a, f);
}
void B2bua::onCancel(TransactionId i, const sip::Message& c) {
  impl_->onCancel(i, c);
}
void B2bua::onResponse(TransactionId c, const sip::Message& r) {
  impl_->onResponse(c, r);
}
void B2bua::onClientFailure(TransactionId c, transaction::ClientFailure w) {
  impl_->onClientFailure(c, w);
}
void B2bua::onStrayResponse(const sip::Message& r, const transport::Source& f) {
  impl_->onStrayResponse(r, f);
}
void B2bua::onServerFailure(TransactionId s) {
  impl_->onServerFailure(s);
}
void B2bua::terminateAll() {
  impl_->terminateAll();
}
size_t B2bua::activeCalls() const {
  return impl_->activeCalls();
}
size_t B2bua::activeDialogs() const {
  return impl_->activeDialogs();
}
size_t B2bua::trackedTransactions() const {
  return impl_->trackedTransactions();
}
const CallCounters& B2bua::counters() const {
  return impl_->counters();
}
std::vector<const RealmContext*> B2bua::realms() const {
  return impl_->realms();
}
const RealmContext* B2bua::realm(std::string_view name) const {
  return impl_->realm(name);
}

}  // namespace sbc::b2bua

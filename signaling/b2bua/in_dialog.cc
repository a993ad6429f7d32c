// Requests inside a call's dialogs (re-INVITE, UPDATE, INFO, BYE, PRACK, ACK) relayed
// leg to leg, and their responses relayed back.

#include <spdlog/spdlog.h>

#include <algorithm>

#include "signaling/b2bua/b2bua_impl.h"
#include "signaling/b2bua/peer_flow.h"
#include "signaling/sip/response.h"

namespace sbc::b2bua {

void B2bua::Impl::inDialog(TransactionId server, const sip::Message& req,
                           const transport::Source& from) {
  auto ref = registry_.findDialog(req.callId(), req.to().value.tag());
  if (!ref) {
    respond(server, req, 481, {});
    return;
  }
  Call& call = *ref->first;
  Side side = ref->second;
  Leg& leg = call.leg(side);
  if (!fromFlow(leg, from)) {
    // Naming a dialog proves nothing: a request from elsewhere neither acts on the call
    // nor moves it (issue 14, defect 10).
    ++leg.realm->edge.foreignSource;
    spdlog::debug("event=foreign_source call={} leg={} method={} from={}", call.id, sideName(side),
                  req.method(), from.remote.toString());
    respond(server, req, 403, "Not From This Dialog's Peer");
    return;
  }
  if (!dialog::acceptRequest(leg.dialog, req)) {
    sip::Message r = sip::makeResponse(req, 500, "CSeq Out of Order");
    txn_->respond(server, std::move(r));
    return;
  }
  if (side == Side::kA && !leg.pinned)
    leg.peer = transport::Destination{from.remote, from.listener, from.connection};
  registry_.openServer(call, server, side);

  sip::Method method = req.methodId();
  if (method == sip::Method::kBye) {
    spdlog::info("event=bye call={} from={}", call.id, sideName(side));
    respondServer(call, server, 200, {});
    Side far = other(side);
    if (call.state == CallState::kConfirmed) {
      sendBye(call, far);
    } else if (far == Side::kB) {
      // The caller hung up an early dialog: cancel the outbound INVITE.
      requestCancel(call);
      finishA(call, 487);
    } else {
      finishA(call, 480);  // the callee ended its early dialog
    }
    endCall(call, "bye");
    return;
  }
  if (req.first(sip::HeaderId::kMaxForwards) && req.maxForwards().value == 0) {
    respondServer(call, server, 483, {});
    return;
  }
  if (method == sip::Method::kPrack && side == Side::kA) {
    prack(call, server, req);
    return;
  }
  if (method == sip::Method::kInvite || method == sip::Method::kUpdate) {
    // Glare (RFC 3261 §14.2, RFC 3311 §5.2): our own offer on this leg is pending.
    if (leg.negotiation.pendingClientOffer != 0) {
      respondServer(call, server, 491, {});
      return;
    }
    if (method == sip::Method::kInvite && leg.negotiation.pendingServerInvite != 0) {
      respondServer(call, server, 500, "Pending Re-INVITE", {{sip::HeaderId::kRetryAfter, "2"}});
      return;
    }
  }
  relayRequest(call, server, req, side);
}

void B2bua::Impl::relayRequest(Call& call, TransactionId server, const sip::Message& req,
                               Side from) {
  Side to = other(from);
  Leg& target = call.leg(to);
  if (target.dialog.remoteTag.empty()) {
    respondServer(call, server, 481, {});
    return;
  }
  std::string method(req.method());
  uint32_t mf = settings_.maxForwards;
  if (req.first(sip::HeaderId::kMaxForwards)) mf = std::min(mf, req.maxForwards().value - 1);
  sip::Message out =
      dialog::makeRequest(target.dialog, method, target.local, txn_->newBranch(), mf);
  std::string error;
  int code = 488;
  if (!crossOver(call, to, req, out, error, &code)) {
    refuseSdp(&call, server, req, code, error, call.leg(from).realm->advertised);
    return;
  }
  out.removeHeader(sip::HeaderId::kRequire);
  out.removeHeader(sip::HeaderId::kRSeq);
  out.removeHeader(sip::HeaderId::kRAck);
  if (out.body().empty()) out.setBody("");
  target.realm->filters.apply(out);
  sip::Method m = req.methodId();
  TransactionId client = sendClient(call, to, std::move(out), Purpose::kRelay, server);
  if (client == 0) {
    respondServer(call, server, 503, {});
    return;
  }
  registry_.setServerPeer(server, client);
  if (m == sip::Method::kInvite || m == sip::Method::kUpdate)
    target.negotiation.pendingClientOffer = client;
  if (m == sip::Method::kInvite) call.leg(from).negotiation.pendingServerInvite = server;
}

void B2bua::Impl::relayResponse(Call& call, const ClientCtx& ctx, const sip::Message& resp) {
  int code = resp.statusCode();
  Leg& sent = call.leg(ctx.side);  // the leg the request went out on
  Side back = other(ctx.side);
  if (code >= 200 && (ctx.method == sip::Method::kInvite || ctx.method == sip::Method::kUpdate)) {
    sent.negotiation.pendingClientOffer = 0;
    if (code < 300 && resp.first(sip::HeaderId::kContact)) {
      std::string target = dialog::uriOf(resp.header(sip::HeaderId::kContact));
      if (!target.empty()) sent.dialog.remoteTarget = target;
    }
  }
  if (ctx.method == sip::Method::kInvite && code >= 200)
    call.leg(back).negotiation.pendingServerInvite = 0;
  // A refused offer leaves the media as it was: the next SDP from this leg is no answer.
  if (code >= 300 && ctx.offer && call.media.offerFrom == index(back)) call.media.offerFrom.reset();
  if (ctx.method == sip::Method::kInvite && code / 100 == 2) {
    if (ctx.offer) {
      sendAck(call, ctx.side, resp.cseq().value.number, nullptr);
    } else {
      sent.negotiation.ackOwesAnswer = resp.cseq().value.number;
    }
  }
  if (!ctx.peer || code == 100) return;
  if (!txn_->request(ctx.peer)) return;
  relayResponseTo(call, resp, back, ctx.peer);
}

// A response from the other leg relayed on server transaction `server` of leg `to`; a
// 2xx to an INVITE is then retransmitted by us until the ACK (RFC 3261 §13.3.1.4).
void B2bua::Impl::relayResponseTo(Call& call, const sip::Message& resp, Side to,
                                  TransactionId server) {
  const sip::Message* req = txn_->request(server);
  const transport::Source* src = txn_->source(server);
  if (!req || !src) return;
  Leg& leg = call.leg(to);
  sip::Message r = sip::makeResponse(*req, resp.statusCode(), {}, leg.dialog.localTag);
  sip::Method m = req->methodId();
  if (m == sip::Method::kInvite || m == sip::Method::kUpdate)
    r.addHeader(sip::HeaderId::kContact, leg.local.contact());
  std::string error;
  if (!crossOver(call, to, resp, r, error)) {
    spdlog::info("event=bad_sdp call={} status={} error=\"{}\"", call.id, resp.statusCode(), error);
    r.setBody("");
  }
  leg.realm->filters.apply(r);
  if (m == sip::Method::kInvite && resp.statusCode() / 100 == 2) {
    stopRetransmission(leg.ok);
    leg.ok.message = std::make_unique<sip::Message>(r);
    leg.ok.to = transport::responseDestination(*req, *src);
    leg.ok.cseq = req->cseq().value.number;
    txn_->respond(server, std::move(r));
    registry_.closeServer(server);
    startRetransmission(call, leg.ok);
    return;
  }
  txn_->respond(server, std::move(r));
  if (resp.statusCode() >= 200) registry_.closeServer(server);
}

void B2bua::Impl::prack(Call& call, TransactionId server, const sip::Message& req) {
  // RAck: response-num CSeq-num Method, of the caller's leg.
  std::string_view rack = sip::trimLws(req.header(sip::HeaderId::kRAck));
  uint64_t rseq = 0;
  sip::parseNumber(rack.substr(0, rack.find(' ')), 0xffffffff, rseq);
  auto it = std::find_if(call.reliable.begin(), call.reliable.end(),
                         [&](const ReliableProvisional& p) { return p.aRseq == rseq; });
  if (it == call.reliable.end()) {
    respondServer(call, server, 481, {});
    return;
  }
  stopRetransmission(it->resend);
  Leg& b = call.leg(Side::kB);
  dialog::Dialog early = b.dialog;
  early.remoteTag = it->bTag;
  sip::Message out =
      dialog::makeRequest(early, "PRACK", b.local, txn_->newBranch(), settings_.maxForwards);
  b.dialog.localCseq = early.localCseq;
  std::string error;
  if (!crossOver(call, Side::kB, req, out, error)) {
    respondServer(call, server, 488, {});
    return;
  }
  out.addHeader(sip::HeaderId::kRAck,
                std::to_string(it->bRseq) + " " + std::to_string(it->bCseq) + " INVITE");
  if (out.body().empty()) out.setBody("");
  b.realm->filters.apply(out);
  TransactionId client = sendClient(call, Side::kB, std::move(out), Purpose::kRelay, server);
  if (client == 0) {
    respondServer(call, server, 503, {});
    return;
  }
  registry_.setServerPeer(server, client);
}

void B2bua::Impl::onAck(const sip::Message& ack, const transport::Source& from) {
  auto ref = registry_.findDialog(ack.callId(), ack.to().value.tag());
  if (!ref) return;  // an ACK for a call that is gone: nothing to do
  Call& call = *ref->first;
  Side side = ref->second;
  Leg& leg = call.leg(side);
  if (!fromFlow(leg, from)) {
    ++leg.realm->edge.foreignSource;  // dropped: an ACK is never answered
    return;
  }
  if (side == Side::kA && !leg.pinned)
    leg.peer = transport::Destination{from.remote, from.listener, from.connection};
  if (leg.ok.timer != 0 && ack.cseq().value.number == leg.ok.cseq) stopRetransmission(leg.ok);
  // Late offer: the answer travels in this ACK, and the other leg's 2xx waits for it.
  Leg& otherLeg = call.leg(other(side));
  if (std::optional<uint32_t> cseq = otherLeg.negotiation.ackOwesAnswer) {
    otherLeg.negotiation.ackOwesAnswer.reset();
    std::string srtpError;
    bool usable = srtpAnswerUsable(call, other(side), ack, srtpError);
    sendAck(call, other(side), *cseq, &ack);
    if (!usable) {
      // The offer's answer came too late to refuse it: a call whose SRTP cannot run has
      // no media, so both legs end.
      spdlog::info("event=bad_srtp_answer call={} in=ACK error=\"{}\"", call.id, srtpError);
      sendBye(call, Side::kA);
      sendBye(call, Side::kB);
      endCall(call, "unusable SRTP answer");
    }
  }
}

}  // namespace sbc::b2bua

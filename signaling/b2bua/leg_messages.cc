// Sending on a leg: client transactions opened for a call, responses on its server
// transactions (final ones forget them), the ACK for our 2xx and BYE.

#include <spdlog/spdlog.h>

#include "signaling/b2bua/b2bua_impl.h"
#include "signaling/b2bua/bodies.h"
#include "signaling/b2bua/message_util.h"
#include "signaling/sip/response.h"

namespace sbc::b2bua {

TransactionId B2bua::Impl::sendClient(Call& call, Side side, sip::Message&& request,
                                      Purpose purpose, TransactionId peer) {
  sip::Method method = request.methodId();
  bool offer = sdpBody(request).has_value();
  std::optional<transport::Destination> to = destinationFor(call.leg(side), request);
  if (!to) {
    spdlog::warn("event=no_destination call={} leg={} uri={}", call.id, sideName(side),
                 request.requestUri());
    return 0;
  }
  TransactionId id = txn_->sendRequest(std::move(request), *to);
  registry_.openClient(call, id, ClientCtx{call.id, side, purpose, peer, method, offer});
  return id;
}

// Sends a response on a server transaction and forgets it when final.
void B2bua::Impl::respondServer(Call& call, TransactionId server, int code, std::string_view reason,
                                const std::vector<std::pair<sip::HeaderId, std::string>>& extra) {
  const sip::Message* req = txn_->request(server);
  if (!req) return;
  const ServerCtx* ctx = registry_.server(server);
  Side side = ctx ? ctx->side : Side::kA;
  sip::Message r = sip::makeResponse(*req, code, reason, call.leg(side).dialog.localTag);
  for (const auto& [id, value] : extra)
    r.addHeader(id, value);
  sendResponse(call, side, server, std::move(r));
}

void B2bua::Impl::sendResponse(Call& call, Side side, TransactionId server, sip::Message&& r) {
  call.leg(side).realm->filters.apply(r);
  bool final = r.statusCode() >= 200;
  txn_->respond(server, std::move(r));
  if (final) registry_.closeServer(server);
}

std::optional<transport::Destination> B2bua::Impl::destinationFor(const Leg& leg,
                                                                  const sip::Message& request) {
  // Endpoints behind NAT are reached where they were seen, unless a route set says
  // otherwise; trunks at their Contact (or route), else where the route sent us. A leg
  // in an untrusted realm goes back over its flow: its peer's URIs steer nothing.
  if (leg.pinned) return leg.peer;
  if (leg.preferPeer && leg.dialog.routeSet.empty()) return leg.peer;
  std::string_view hop = leg.dialog.routeSet.empty()
                             ? request.requestUri()
                             : std::string_view(leg.dialog.routeSet.front());
  std::optional<transport::Endpoint> ep = endpointOf(hop, leg.local.protocol);
  if (!ep) return leg.peer;
  const dialog::LocalAddress* local = leg.realm->local(ep->protocol);
  if (!local) return leg.peer;
  ep->protocol = local->protocol;
  return transport::Destination{*ep, local->listener, 0};
}

// The ACK for a 2xx to an INVITE we sent on `side` (§13.2.2.4): a new transaction-less
// request in the dialog, carrying the answer from `answerFrom` when the offer was late.
void B2bua::Impl::sendAck(Call& call, Side side, uint32_t cseq, const sip::Message* answerFrom) {
  Leg& leg = call.leg(side);
  sip::Message ack = dialog::makeRequest(leg.dialog, "ACK", leg.local, txn_->newBranch(),
                                         settings_.maxForwards, cseq);
  std::string error;
  int code = 0;
  std::optional<std::string_view> answer = answerFrom ? sdpBody(*answerFrom) : std::nullopt;
  if (answer) {
    if (auto body = sdpFor(call, side, *answer, SdpRole::kFinalAnswer, error, code)) {
      ack.setBody(*body, "application/sdp");
    } else {
      spdlog::info("event=bad_sdp call={} in=ACK error=\"{}\"", call.id, error);
    }
  }
  if (ack.body().empty()) ack.setBody("");
  std::optional<transport::Destination> to = destinationFor(leg, ack);
  if (to) txn_->sendStateless(ack, *to);
}

void B2bua::Impl::sendBye(Call& call, Side side) {
  Leg& leg = call.leg(side);
  if (leg.dialog.remoteTag.empty()) return;
  sip::Message bye =
      dialog::makeRequest(leg.dialog, "BYE", leg.local, txn_->newBranch(), settings_.maxForwards);
  bye.setBody("");
  leg.realm->filters.apply(bye);
  sendClient(call, side, std::move(bye), Purpose::kBye, 0);
}

}  // namespace sbc::b2bua

// Requests that belong to no call, answered by the SBC itself: OPTIONS (a keepalive to
// the SBC), 481 for in-dialog methods without a dialog, 405/501 for the rest.

#include "signaling/b2bua/b2bua_impl.h"
#include "signaling/b2bua/message_util.h"
#include "signaling/sip/response.h"

namespace sbc::b2bua {

// A request outside any dialog that is not an INVITE.
void B2bua::Impl::answerOutOfDialog(TransactionId server, const sip::Message& req) {
  switch (req.methodId()) {
    case sip::Method::kOptions:
      answerOptions(server, req);
      return;
    case sip::Method::kBye:
    case sip::Method::kInfo:
    case sip::Method::kUpdate:
    case sip::Method::kPrack:
      respond(server, req, 481, {});
      return;
    case sip::Method::kUnknown:
      respond(server, req, 501, {}, {{sip::HeaderId::kAllow, std::string(kAllow)}});
      return;
    default:  // REGISTER, SUBSCRIBE, NOTIFY, PUBLISH, MESSAGE, REFER out of dialog
      respond(server, req, 405, {}, {{sip::HeaderId::kAllow, std::string(kAllow)}});
      return;
  }
}

// Answers a request that belongs to no call.
void B2bua::Impl::respond(TransactionId server, const sip::Message& req, int code,
                          std::string_view reason,
                          const std::vector<std::pair<sip::HeaderId, std::string>>& extra) {
  sip::Message r = sip::makeResponse(req, code, reason, randomToken(10));
  for (const auto& [id, value] : extra)
    r.addHeader(id, value);
  txn_->respond(server, std::move(r));
}

void B2bua::Impl::answerOptions(TransactionId server, const sip::Message& req) {
  // A keepalive to the SBC itself (RFC 3261 §11): answered here, even at Max-Forwards 0.
  // Lean, since anyone can send it from a spoofed address (issue 14, defect 9): no Accept,
  // whose absence means application/sdp (§20.1), which is all we take.
  sip::Message r = sip::makeResponse(req, 200, {}, randomToken(10));
  r.addHeader(sip::HeaderId::kAllow, std::string(kAllow));
  r.addHeader(sip::HeaderId::kSupported, std::string(kSupported));
  txn_->respond(server, std::move(r));
}

}  // namespace sbc::b2bua

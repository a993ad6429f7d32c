#pragma once

// How messages find their transaction (RFC 3261 §17.1.3, §17.2.3, §8.2.2.2): the keys
// the layer indexes transactions under. Keys are flat strings so that one hash lookup
// answers; each transaction owns its keys and the indexes hold views of them.

#include <string>
#include <string_view>

#include "signaling/sip/message.h"

namespace sbc::transaction {

// A response's client transaction: top Via branch and CSeq method (§17.1.3).
std::string clientKey(std::string_view branch, std::string_view method);

// A request's server transaction as created by a request of `method` (INVITE for an ACK
// or a CANCEL): branch, sent-by and method for RFC 3261 branches; otherwise (RFC 2543)
// Request-URI, From tag, Call-ID, CSeq number and top Via, the To tag being compared
// apart because an ACK carries the response's. Empty when the request has no top Via.
std::string serverKey(const sip::Message& request, std::string_view method);
bool isLegacyKey(std::string_view key);

// From tag, Call-ID and CSeq: a request without To tag that shares them with a live
// transaction but does not match it was merged on its way here (§8.2.2.2).
std::string mergeKey(const sip::Message& request);

}  // namespace sbc::transaction

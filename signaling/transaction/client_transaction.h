#pragma once

// The side of a client transaction the layer drives: start, responses, transport errors.

#include <string>
#include <utility>

#include "signaling/transaction/transaction.h"

namespace sbc::transaction {

class ClientTransaction : public Transaction {
 public:
  ClientTransaction(Context& context, TransactionId id, std::string key,
                    const transport::Destination& to, std::string wire)
      : Transaction(context, id, transport::isReliable(to.remote.protocol)),
        key_(std::move(key)),
        to_(to),
        wire_(std::move(wire)),
        connection_(to.connection) {}

  // The index key (top Via branch and method); the layer's map holds a view of it.
  const std::string& key() const { return key_; }
  const transport::Destination& destination() const { return to_; }
  // A response is taken only from where the request went (issue 14, defect 1): the same
  // address and port, and over TCP the same connection. A request sent with connection 0
  // went on the connection the transport chose; the first response from the peer's
  // address pins it (only the peer can hold a TCP connection from its own address). Once
  // the connection is known it alone decides: a request sent on a connection the peer
  // opened later (from another port) is answered on it.
  bool acceptsResponseFrom(const transport::Source& from) {
    if (reliable_ && connection_ != 0) return from.connection == connection_;
    if (from.remote != to_.remote) return false;
    if (reliable_) connection_ = from.connection;
    return true;
  }

  // Sends the request and starts the timers.
  virtual void start() = 0;
  // A response matched this transaction (§17.1.3).
  virtual void onResponse(const sip::Message& response) = 0;
  // True until the first response: a transport error then ends the transaction.
  virtual bool awaitingResponse() const = 0;
  // The transport could not send the request (§17.1.4): fail with kTransportError.
  virtual void onTransportError() = 0;

 protected:
  const std::string key_;
  const transport::Destination to_;
  std::string wire_;                    // the request as sent; for INVITE in Completed, the ACK
  transport::ConnectionId connection_;  // TCP: the connection responses must come on
};

}  // namespace sbc::transaction

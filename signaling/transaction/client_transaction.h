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
        wire_(std::move(wire)) {}

  // The index key (top Via branch and method); the layer's map holds a view of it.
  const std::string& key() const { return key_; }
  const transport::Destination& destination() const { return to_; }

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
  std::string wire_;  // the request as sent; for INVITE in Completed, the ACK
};

}  // namespace sbc::transaction

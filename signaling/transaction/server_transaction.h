#pragma once

// The side of a server transaction the layer drives: the request, retransmissions of it,
// the TU's responses, transport errors.

#include <memory>
#include <string>
#include <utility>

#include "signaling/transaction/transaction.h"

namespace sbc::transaction {

class ServerTransaction : public Transaction {
 public:
  ServerTransaction(Context& context, TransactionId id, const transport::Source& from,
                    const transport::Destination& responseTo)
      : Transaction(context, id, transport::isReliable(from.remote.protocol)),
        from_(from),
        responseTo_(responseTo) {}

  // Index keys (the layer's maps hold views of them): the match key (§17.2.3) and, for a
  // request without To tag, the merge key (§8.2.2.2). RFC 2543 matching also compares the
  // request's To tag, kept only for such transactions. Set once, before indexing.
  void setKeys(std::string key, std::string mergeKey, std::string legacyToTag) {
    key_ = std::move(key);
    mergeKey_ = std::move(mergeKey);
    legacyToTag_ = std::move(legacyToTag);
  }
  const std::string& key() const { return key_; }
  const std::string& mergeKey() const { return mergeKey_; }
  const std::string& legacyToTag() const { return legacyToTag_; }

  const sip::Message* request() const { return request_.get(); }
  const transport::Source& source() const { return from_; }
  const transport::Destination& responseDestination() const { return responseTo_; }

  // Takes the request, sends what must go at once and hands it to the TU.
  virtual void start(std::unique_ptr<sip::Message> request) = 0;
  // The request arrived again (§17.2.1, §17.2.2).
  virtual void onRetransmission() = 0;
  // A response from the TU; false when the state does not take it or it was not sent.
  virtual bool respond(sip::Message&& response) = 0;
  // True while a response of ours is on its way and a transport error concerns us.
  virtual bool delivering() const = 0;
  // A response could not be sent (§17.2.4): the TU hears onServerFailure.
  virtual void onTransportError() = 0;

 protected:
  // Hands the request to the TU (onRequest). A final answer the TU gives before it returns
  // to a request outside any dialog, or a 481, is stateless (RFC 3261 §8.2.7): sent once,
  // with no 100 Trying before it, no retransmission and no transaction kept; a
  // retransmitted request is a new request to the TU. A spoofed request that is rejected
  // gets one reply per request received and leaves no state (issue 14, defect 9).
  void handToUser() {
    starting_ = true;
    context_.user().onRequest(id_, *request_, from_);
    starting_ = false;
  }
  bool answersStatelessly(int status, bool invite) const {
    if (!starting_ || status < 200 || (invite && status < 300)) return false;
    // 481 (no such dialog) and 403 (an in-dialog request from outside the dialog's flow,
    // see b2bua/peer_flow.h) answer requests that anyone can forge: the same answer comes
    // again for a retransmission, so no state is kept for them.
    if (status == 481 || status == 403) return true;
    sip::Parsed<sip::NameAddr> to = request_ ? request_->to() : sip::Parsed<sip::NameAddr>{};
    return to && !to.value.hasTag();
  }
  // Sends a stateless answer; the caller then terminates the transaction.
  void sendStateless(std::string wire) {
    ++context_.counters().statelessResponses;
    // A failure concerns nobody: the TU is done with the request.
    context_.send(responseTo_, std::move(wire));
  }
  // Sends `wire` to the response destination; a failure ends the transaction.
  bool sendResponse(std::string wire) {
    if (context_.send(responseTo_, std::move(wire))) return true;
    onTransportError();
    return false;
  }
  // The TU can answer no more: the request may go (a callback may still look at it).
  void retireRequest() {
    if (request_) context_.retire(std::move(request_));
  }

  std::unique_ptr<sip::Message> request_;
  const transport::Source from_;
  const transport::Destination responseTo_;
  std::string lastResponse_;  // what a retransmitted request is answered with
  bool starting_ = false;     // inside the TU's onRequest

 private:
  std::string key_;
  std::string mergeKey_;
  std::string legacyToTag_;
};

}  // namespace sbc::transaction

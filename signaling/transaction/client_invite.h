#pragma once

// The INVITE client transaction (RFC 3261 §17.1.1, Figure 5, with RFC 6026's Accepted).
//
//   Calling ──1xx──► Proceeding ──2xx──► Accepted ──Timer M──► Terminated
//      │  Timer A: retransmit (UDP)   │         (every 2xx goes up: forks, retransmissions)
//      │  Timer B: timeout            └──300-699──► Completed ──Timer D──► Terminated
//      └──2xx / 300-699 as from Proceeding      (ACK sent; final retransmissions re-ACKed)

#include "signaling/transaction/client_transaction.h"

namespace sbc::transaction {

class ClientInvite final : public ClientTransaction {
 public:
  enum class State : uint8_t { kCalling, kProceeding, kCompleted, kAccepted, kTerminated };

  using ClientTransaction::ClientTransaction;

  void start() override;
  void onResponse(const sip::Message& response) override;
  // Until the final response: a trunk lost while it rings fails the call too (§17.1.4).
  bool awaitingResponse() const override {
    return state_ == State::kCalling || state_ == State::kProceeding;
  }
  void onTransportError() override;
  State state() const { return state_; }
  // The TU gives up waiting for a final response (RFC 3261 §9.1: none 64*T1 after its
  // CANCEL): the transaction ends now and nobody is told. Later states end on their own.
  void abandon();

 private:
  void onTimer(TimerSlot slot) override;  // kRetransmit: A; kTimeout: B, D or M
  void complete(const sip::Message& response);
  void accept();
  void terminate();

  State state_ = State::kCalling;
};

// The ACK for a non-2xx final response (§17.1.1.3): Request-URI, top Via, Call-ID, From,
// Route and the CSeq number of the INVITE as sent (`invite`, its wire form), the To of
// the response. Empty when `invite` cannot be read back.
std::string buildAck(std::string_view invite, const sip::Message& response);

}  // namespace sbc::transaction

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
  bool awaitingResponse() const override { return state_ == State::kCalling; }
  void onTransportError() override;
  State state() const { return state_; }

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

#pragma once

// The non-INVITE client transaction (RFC 3261 §17.1.2, Figure 6).
//
//   Trying ──1xx──► Proceeding ──200-699──► Completed ──Timer K──► Terminated
//     │ Timer E: retransmit (UDP), T1 doubling up to T2; T2 once Proceeding
//     │ Timer F: timeout (both Trying and Proceeding)
//     └──200-699 as from Proceeding            (final retransmissions absorbed)

#include "signaling/transaction/client_transaction.h"

namespace sbc::transaction {

class ClientNonInvite final : public ClientTransaction {
 public:
  enum class State : uint8_t { kTrying, kProceeding, kCompleted, kTerminated };

  using ClientTransaction::ClientTransaction;

  void start() override;
  void onResponse(const sip::Message& response) override;
  bool awaitingResponse() const override { return state_ == State::kTrying; }
  void onTransportError() override;
  State state() const { return state_; }

 private:
  void onTimer(TimerSlot slot) override;  // kRetransmit: E; kTimeout: F or K
  void terminate();

  State state_ = State::kTrying;
};

}  // namespace sbc::transaction

#pragma once

// The non-INVITE server transaction (RFC 3261 §17.2.2, Figure 8).
//
//   Trying ──1xx──► Proceeding ──200-699──► Completed ──Timer J──► Terminated
//     │ (retransmissions discarded)  (answered with the last provisional, then the final)
//     └──200-699 as from Proceeding

#include "signaling/transaction/server_transaction.h"

namespace sbc::transaction {

class ServerNonInvite final : public ServerTransaction {
 public:
  enum class State : uint8_t { kTrying, kProceeding, kCompleted, kTerminated };

  using ServerTransaction::ServerTransaction;

  void start(std::unique_ptr<sip::Message> request) override;
  void onRetransmission() override;
  bool respond(sip::Message&& response) override;
  bool delivering() const override {
    return state_ == State::kProceeding || state_ == State::kCompleted;
  }
  void onTransportError() override;
  State state() const { return state_; }

 private:
  void onTimer(TimerSlot slot) override;  // kTimeout: J
  void terminate();

  State state_ = State::kTrying;
};

}  // namespace sbc::transaction

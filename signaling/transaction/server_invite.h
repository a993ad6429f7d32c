#pragma once

// The INVITE server transaction (RFC 3261 §17.2.1, Figure 7, with RFC 6026's Accepted).
//
//   (INVITE: the TU runs, then 100 Trying unless it answered; a final rejection it gives
//    before returning to a request outside any dialog, or a 481, goes once, statelessly:
//    Proceeding ──► Terminated, no Timer G, §8.2.7)
//   Proceeding ──2xx──► Accepted ──Timer L──► Terminated
//      │  (retransmitted INVITEs answered with the last response; in Accepted absorbed,
//      │   ACKs for the 2xx go to the TU, 2xx retransmission is the TU's)
//      └──300-699──► Completed ──ACK──► Confirmed ──Timer I──► Terminated
//                      │ Timer G: retransmit the final response (UDP), T1 doubling to T2
//                      └ Timer H: no ACK → Terminated, onServerFailure

#include "signaling/transaction/server_transaction.h"

namespace sbc::transaction {

class ServerInvite final : public ServerTransaction {
 public:
  enum class State : uint8_t { kProceeding, kCompleted, kConfirmed, kAccepted, kTerminated };

  using ServerTransaction::ServerTransaction;

  void start(std::unique_ptr<sip::Message> request) override;
  void onRetransmission() override;
  bool respond(sip::Message&& response) override;
  bool delivering() const override {
    return state_ == State::kProceeding || state_ == State::kCompleted;
  }
  void onTransportError() override;

  // An ACK matched: true when absorbed here, false when it is the ACK for a 2xx (TU's).
  bool onAck();
  // A CANCEL matched (§9.2): true the first time, while no final response was sent.
  bool takeCancel();
  // The To tag of our responses, for the 200 to a CANCEL and RFC 2543 ACK matching.
  const std::string& responseToTag() const { return responseToTag_; }
  State state() const { return state_; }

 private:
  void onTimer(TimerSlot slot) override;  // kRetransmit: G; kTimeout: H, I or L
  void terminate();

  State state_ = State::kProceeding;
  bool cancelled_ = false;
  std::string responseToTag_;
};

}  // namespace sbc::transaction

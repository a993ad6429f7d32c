#pragma once

// What a state machine may ask of the layer that owns it (private to this folder). The
// layer implements it; the machines never see each other or the indexes.

#include <cstdint>
#include <memory>
#include <string>

#include "signaling/sip/message.h"
#include "signaling/timer/timer_service.h"
#include "signaling/transaction/transaction_layer.h"
#include "signaling/transport/transport.h"

namespace sbc::transaction {

// Each transaction runs at most two timers at once (A+B, E+F, G+H); the state tells
// which letter a slot is.
enum class TimerSlot : uint8_t { kRetransmit, kTimeout };

class Context {
 public:
  virtual ~Context() = default;
  virtual const TimerConfig& config() const = 0;
  virtual TransactionUser& user() = 0;
  virtual Counters& counters() = 0;
  // One of our messages sent again on a timer, from `listener` (per realm in metrics).
  virtual void countRetransmission(transport::ListenerId listener) = 0;
  // False when the transport refused the bytes.
  virtual bool send(const transport::Destination& to, std::string bytes) = 0;
  // Calls the transaction's onTimer(slot) after `after`.
  virtual timer::TimerId startTimer(TransactionId id, TimerSlot slot, timer::Duration after) = 0;
  virtual void cancelTimer(timer::TimerId id) = 0;
  // Takes the transaction out of every index. The object itself lives on until the
  // outermost call into the layer returns, so a machine may go on after terminating.
  virtual void terminate(TransactionId id) = 0;
  // Same deferral for a request the TU may still hold a reference to.
  virtual void retire(std::unique_ptr<sip::Message> message) = 0;
  // Transport errors reach the TU from a 0 ms timer, never from inside the call that
  // failed (sendRequest, respond).
  virtual void reportClientFailure(TransactionId id) = 0;
  virtual void reportServerFailure(TransactionId id) = 0;
};

// Timer D (RFC 3261 §17.1.1.2): at least 32 s over unreliable transports.
inline constexpr timer::Duration kTimerD{32000};

}  // namespace sbc::transaction

#pragma once

// What the four state machines share: an id, the transport kind and two timer slots.

#include <array>

#include "signaling/transaction/context.h"

namespace sbc::transaction {

class Transaction {
 public:
  Transaction(Context& context, TransactionId id, bool reliable)
      : context_(context), id_(id), reliable_(reliable) {}
  virtual ~Transaction() = default;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  TransactionId id() const { return id_; }
  bool reliable() const { return reliable_; }

  // A timer of this transaction fired (called by the layer).
  void timerFired(TimerSlot slot) {
    timers_[static_cast<size_t>(slot)] = 0;
    onTimer(slot);
  }
  void stopTimers() {
    stopTimer(TimerSlot::kRetransmit);
    stopTimer(TimerSlot::kTimeout);
  }

 protected:
  virtual void onTimer(TimerSlot slot) = 0;

  void startTimer(TimerSlot slot, timer::Duration after) {
    stopTimer(slot);
    timers_[static_cast<size_t>(slot)] = context_.startTimer(id_, slot, after);
  }
  void stopTimer(TimerSlot slot) {
    timer::TimerId& t = timers_[static_cast<size_t>(slot)];
    if (t != 0) context_.cancelTimer(t);
    t = 0;
  }
  const TimerConfig& config() const { return context_.config(); }

  Context& context_;
  const TransactionId id_;
  const bool reliable_;
  timer::Duration interval_{0};  // the current retransmission interval (A, E, G)

 private:
  std::array<timer::TimerId, 2> timers_{};
};

// Frees a string's memory, not just its contents.
inline void release(std::string& s) {
  std::string().swap(s);
}

}  // namespace sbc::transaction

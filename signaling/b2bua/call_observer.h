#pragma once

// What the B2BUA reports about calls as they happen, for whoever measures them (sbcd's
// metrics). Called on the signaling thread; an observer must not call back into the B2BUA.

#include <chrono>

namespace sbc::b2bua {

class CallObserver {
 public:
  using Seconds = std::chrono::duration<double>;

  virtual ~CallObserver() = default;
  // The callee's 2xx went to the caller, `setup` after the caller's INVITE.
  virtual void callAnswered(Seconds setup) = 0;
  // An answered call ended, `duration` after its 2xx.
  virtual void answeredCallEnded(Seconds duration) = 0;
  // One direction of an anchored media stream that carried packets, when its call ended:
  // its RTP loss ratio (lost / expected) and interarrival jitter.
  virtual void streamEnded(double lossRatio, Seconds jitter) = 0;
};

}  // namespace sbc::b2bua

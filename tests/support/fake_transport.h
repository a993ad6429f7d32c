#pragma once

// A transport::Transport that records what would go on the wire instead of sending it:
// each send is kept with its destination and the test clock's time, and parsed (a message
// the stack cannot parse back is a test failure). Sends can be made to fail, and the
// listeners are what the test gives it.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "signaling/sip/message.h"
#include "signaling/transport/transport.h"

namespace sbc::test {

// The message parsed as a UDP datagram; a parse error fails the test.
sip::Message parse(std::string_view text);
// Through the wire and back, as the transport would deliver it.
sip::Message wire(const sip::Message& m);

struct Sent {
  transport::Destination to;
  std::string bytes;  // what would go on the wire
  int at = 0;         // the clock's milliseconds at the send (0 without a clock)
  sip::Message msg;   // `bytes` parsed

  sip::Message message() const { return parse(bytes); }
  bool isRequest(std::string_view method) const;
  bool isStatus(int status) const;
};

// A UDP listener as the B2BUA and the transaction layer see it.
transport::ListenerInfo udpListener(transport::ListenerId id, std::string_view address,
                                    uint16_t port, std::string realm);

class FakeTransport : public transport::Transport {
 public:
  // `now`: the test clock in milliseconds, stamped on every send.
  explicit FakeTransport(std::vector<transport::ListenerInfo> listeners = {},
                         std::function<int()> now = {});
  explicit FakeTransport(std::function<int()> now) : FakeTransport({}, std::move(now)) {}

  bool send(const transport::Destination& to, std::string bytes) override;
  // infos[id], or nullptr for an unknown id.
  const transport::ListenerInfo* listener(transport::ListenerId id) const override;

  // When each matching send happened, in order.
  std::vector<int> times(const std::function<bool(const Sent&)>& pick) const;
  std::vector<int> requestTimes(std::string_view method) const;
  std::vector<int> statusTimes(int status) const;
  size_t count(int status) const { return statusTimes(status).size(); }
  size_t count(std::string_view method) const { return requestTimes(method).size(); }

  std::vector<transport::ListenerInfo> infos;
  std::vector<Sent> sent;
  bool fail = false;  // true: send() returns false and records nothing
  bool keep = true;   // false: sent bytes are not recorded (memory measurements)
  int attempts = 0;   // calls of send(), failed ones included

 private:
  std::function<int()> now_;
};

}  // namespace sbc::test

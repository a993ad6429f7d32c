#include "tests/support/fake_transport.h"

#include <gtest/gtest.h>

#include "mediaplane/api/address.h"

#include "signaling/sip/parser.h"

namespace sbc::test {

sip::Message parse(std::string_view text) {
  sip::Message m;
  sip::Status st = sip::parseMessage(text, sip::Framing::kDatagram, sip::Limits{}, m);
  EXPECT_TRUE(st.ok()) << st.reason() << "\n" << text;
  return m;
}

sip::Message wire(const sip::Message& m) {
  return parse(m.serialize());
}

bool Sent::isRequest(std::string_view method) const {
  return bytes.compare(0, method.size() + 1, std::string(method) + " ") == 0;
}

bool Sent::isStatus(int status) const {
  std::string prefix = "SIP/2.0 " + std::to_string(status) + " ";
  return bytes.compare(0, prefix.size(), prefix) == 0;
}

transport::ListenerInfo udpListener(transport::ListenerId id, std::string_view address,
                                    uint16_t port, std::string realm) {
  return {id, transport::Protocol::kUdp, *net::IpAddress::parse(address), port, std::move(realm)};
}

FakeTransport::FakeTransport(std::vector<transport::ListenerInfo> listeners,
                             std::function<int()> now)
    : infos(std::move(listeners)), now_(std::move(now)) {}

bool FakeTransport::send(const transport::Destination& to, std::string bytes) {
  ++attempts;
  if (fail) return false;
  if (!keep) return true;
  Sent s{to, std::move(bytes), now_ ? now_() : 0, {}};
  s.msg = parse(s.bytes);
  sent.push_back(std::move(s));
  return true;
}

const transport::ListenerInfo* FakeTransport::listener(transport::ListenerId id) const {
  return id < infos.size() ? &infos[id] : nullptr;
}

std::vector<int> FakeTransport::times(const std::function<bool(const Sent&)>& pick) const {
  std::vector<int> out;
  for (const Sent& s : sent) {
    if (pick(s)) out.push_back(s.at);
  }
  return out;
}

std::vector<int> FakeTransport::requestTimes(std::string_view method) const {
  return times([&](const Sent& s) { return s.isRequest(method); });
}

std::vector<int> FakeTransport::statusTimes(int status) const {
  return times([&](const Sent& s) { return s.isStatus(status); });
}

}  // namespace sbc::test

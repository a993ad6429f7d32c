#include "tests/support/recording_user.h"

#include "tests/support/fake_transport.h"

namespace sbc::test {

using transaction::ClientFailure;
using transaction::TransactionId;

void RecordingUser::onRequest(TransactionId server, const sip::Message& request,
                              const transport::Source& from) {
  add({"request", server, 0, 0, {}, std::string(request.method())});
  if (requestHook) requestHook(server, request, from);
}

void RecordingUser::onAck(const sip::Message& ack, const transport::Source&) {
  add({"ack", 0, 0, 0, {}, std::string(ack.method())});
  lastAck = wire(ack);
}

void RecordingUser::onCancel(TransactionId invite, const sip::Message& cancel) {
  add({"cancel", invite, 0, 0, {}, std::string(cancel.method())});
  if (cancelHook) cancelHook(invite);
}

void RecordingUser::onResponse(TransactionId client, const sip::Message& response) {
  add({"response", client, response.statusCode(), 0, {}, {}});
  lastResponse = wire(response);
  if (responseHook) responseHook(client, response);
}

void RecordingUser::onClientFailure(TransactionId client, ClientFailure why) {
  add({"clientFailure", client, 0, 0, why, {}});
  if (clientFailureHook) clientFailureHook(client);
}

void RecordingUser::onStrayResponse(const sip::Message& response, const transport::Source&) {
  add({"stray", 0, response.statusCode(), 0, {}, {}});
}

void RecordingUser::onServerFailure(TransactionId server) {
  add({"serverFailure", server, 0, 0, {}, {}});
  if (serverFailureHook) serverFailureHook(server);
}

std::vector<std::string> RecordingUser::kinds() const {
  std::vector<std::string> out;
  for (const UserEvent& e : events)
    out.push_back(e.kind);
  return out;
}

size_t RecordingUser::count(std::string_view kind) const {
  size_t n = 0;
  for (const UserEvent& e : events)
    n += e.kind == kind;
  return n;
}

const UserEvent* RecordingUser::last(std::string_view kind) const {
  for (auto it = events.rbegin(); it != events.rend(); ++it) {
    if (it->kind == kind) return &*it;
  }
  return nullptr;
}

void RecordingUser::add(UserEvent e) {
  e.at = now_ ? now_() : 0;
  lastId = e.id;
  if (!quiet) events.push_back(std::move(e));
}

}  // namespace sbc::test

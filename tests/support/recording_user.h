#pragma once

// A transaction::TransactionUser that records every callback as an event stamped with the
// test clock, keeps the last response and ACK as they would cross the wire, and lets a test
// hook in to answer (requestHook, responseHook, ...).

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "signaling/sip/message.h"
#include "signaling/transaction/transaction_layer.h"

namespace sbc::test {

struct UserEvent {
  std::string kind;  // request, ack, cancel, response, clientFailure, stray, serverFailure
  transaction::TransactionId id = 0;
  int status = 0;
  int at = 0;
  transaction::ClientFailure failure = transaction::ClientFailure::kTimeout;
  std::string method;
};

class RecordingUser : public transaction::TransactionUser {
 public:
  // `now`: the test clock in milliseconds, stamped on every event.
  explicit RecordingUser(std::function<int()> now = {}) : now_(std::move(now)) {}

  void onRequest(transaction::TransactionId server, const sip::Message& request,
                 const transport::Source& from) override;
  void onAck(const sip::Message& ack, const transport::Source& from) override;
  void onCancel(transaction::TransactionId invite, const sip::Message& cancel) override;
  void onResponse(transaction::TransactionId client, const sip::Message& response) override;
  void onClientFailure(transaction::TransactionId client, transaction::ClientFailure why) override;
  void onStrayResponse(const sip::Message& response, const transport::Source& from) override;
  void onServerFailure(transaction::TransactionId server) override;

  std::vector<std::string> kinds() const;
  size_t count(std::string_view kind) const;
  const UserEvent* last(std::string_view kind) const;  // nullptr when none

  std::vector<UserEvent> events;
  transaction::TransactionId lastId = 0;
  bool quiet = false;  // true: events are not recorded (memory measurements)
  std::optional<sip::Message> lastResponse;
  std::optional<sip::Message> lastAck;
  std::function<void(transaction::TransactionId, const sip::Message&, const transport::Source&)>
      requestHook;
  std::function<void(transaction::TransactionId, const sip::Message&)> responseHook;
  std::function<void(transaction::TransactionId)> cancelHook;
  std::function<void(transaction::TransactionId)> clientFailureHook;
  std::function<void(transaction::TransactionId)> serverFailureHook;

 private:
  void add(UserEvent e);
  std::function<int()> now_;
};

}  // namespace sbc::test

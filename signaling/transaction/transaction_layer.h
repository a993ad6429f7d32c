#pragma once

// The transaction layer (RFC 3261 §17, with RFC 6026's Accepted states): the four state
// machines, their timers, retransmission and its absorption, 100 Trying for INVITE, the
// ACK for non-2xx final responses (hop by hop), CANCEL matching (§9.2), merged-request
// detection (§8.2.2.2, answered 482) and transport failures turned into client
// transaction failures (§17.1.4), responses taken only from where their request went,
// stateless rejections (§8.2.7) and caps on both tables. It knows nothing of dialogs: the
// transaction user (the B2BUA) sees new requests, responses and failures, and answers through
// respond().

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "signaling/sip/message.h"
#include "signaling/timer/timer_service.h"
#include "signaling/transport/transport.h"

namespace sbc::transaction {

struct TimerConfig {
  timer::Duration t1{500};
  timer::Duration t2{4000};
  timer::Duration t4{5000};
};

// Identifies a transaction for the layer above; 0 means none. Ids are never reused.
using TransactionId = uint64_t;

enum class ClientFailure : uint8_t {
  kTimeout,         // Timer B or F fired (treat as 408)
  kTransportError,  // could not send (treat as 503)
};

// Global caps on the transaction tables (issue 14, defect 8). A server transaction holds
// its request and last response (about 1-4 KB with SDP), a client one its request's wire
// form: 100,000 of each is at most a few hundred MB, and well above what a legitimate load
// keeps at once (1,000 calls/s ringing for 30 s, plus 32 s of Timer J/K per non-INVITE).
struct Limits {
  size_t maxServerTransactions = 100000;
  size_t maxClientTransactions = 100000;
};

struct Counters {
  uint64_t retransmissionsSent = 0;      // our requests/responses sent again on a timer
  uint64_t retransmissionsAbsorbed = 0;  // peers' retransmissions answered without the TU
  uint64_t merged = 0;                   // requests answered 482
  uint64_t strayResponses = 0;           // responses matching no client transaction
  // Responses that matched a client transaction but came from another address, port or
  // TCP connection than its request went to: dropped (forged, issue 14 defect 1).
  uint64_t responsesFromElsewhere = 0;
  // CANCELs that matched an INVITE server transaction but came from another address (or
  // UDP port) than the INVITE: answered 481, the INVITE goes on.
  uint64_t cancelsFromElsewhere = 0;
  // Final answers sent once, keeping no transaction (§8.2.7; see TransactionUser).
  uint64_t statelessResponses = 0;
  // New requests answered 503 (stateless) because maxServerTransactions were open.
  uint64_t serverTransactionsRefused = 0;
  // Requests not sent (onClientFailure) because maxClientTransactions were open.
  uint64_t clientTransactionsRefused = 0;
  std::vector<uint64_t> retransmissionsByListener;  // retransmissionsSent by ListenerId
};

class TransactionUser {
 public:
  virtual ~TransactionUser() = default;
  // A new request in a new server transaction (never a retransmission, never an ACK or a
  // CANCEL). Answer with respond(). For INVITE, 100 Trying goes when this returns without
  // a response. A final response given before this returns, to a request without To tag
  // (or a 481 to any), is stateless (RFC 3261 §8.2.7): sent once, no 100 Trying, no
  // retransmissions, the transaction ends at once, and a retransmission of the request
  // comes here again as a new request.
  virtual void onRequest(TransactionId server, const sip::Message& request,
                         const transport::Source& from) = 0;
  // An ACK that matched no server transaction: the ACK for a 2xx, which belongs to the
  // dialog (§17.2.1 / RFC 6026 Accepted state absorbs none of them).
  virtual void onAck(const sip::Message& ack, const transport::Source& from) = 0;
  // A CANCEL matched the INVITE server transaction `invite`. The layer has answered the
  // CANCEL with 200; the TU answers the INVITE (usually 487 once the far side confirms).
  virtual void onCancel(TransactionId invite, const sip::Message& cancel) = 0;
  // A response on a client transaction: every provisional, the final, and for INVITE any
  // further 2xx (other forks, retransmissions) that arrives while it is Accepted.
  virtual void onResponse(TransactionId client, const sip::Message& response) = 0;
  // A client transaction ended without a final response.
  virtual void onClientFailure(TransactionId client, ClientFailure why) = 0;
  // A response that matched no client transaction (e.g. a 2xx retransmission after the
  // INVITE transaction ended): the TU may re-send its ACK.
  virtual void onStrayResponse(const sip::Message& response, const transport::Source& from) = 0;
  // A server transaction could not deliver its response (transport error, §17.2.4) or
  // its INVITE non-2xx final response was never acknowledged (Timer H).
  virtual void onServerFailure(TransactionId server) = 0;
};

class TransactionLayer : public transport::MessageHandler {
 public:
  TransactionLayer(transport::Transport& transport, timer::TimerService& timers, TimerConfig config,
                   TransactionUser& user, Limits limits = {});
  ~TransactionLayer() override;
  TransactionLayer(const TransactionLayer&) = delete;
  TransactionLayer& operator=(const TransactionLayer&) = delete;

  // transport::MessageHandler
  void onMessage(sip::Message&& message, const transport::Source& from) override;
  void onSendFailure(const transport::Destination& to, std::string_view reason) override;

  // Sends a response on a server transaction (its Via/From/To/Call-ID/CSeq must be those
  // of the request: build it with sip::makeResponse). Responses to an unknown or ended
  // transaction are dropped (returns false).
  bool respond(TransactionId server, sip::Message&& response);
  // The request that opened a server transaction, while the TU may still answer it (kept
  // in Accepted for further 2xx); nullptr once a final response ends that (a non-2xx for
  // INVITE, any final otherwise) or the transaction has ended.
  const sip::Message* request(TransactionId server) const;
  // Where the server transaction's responses go (RFC 3261 §18.2.2).
  const transport::Source* source(TransactionId server) const;

  // Starts a client transaction. The request's top Via must carry a fresh branch
  // (newBranch()). A CANCEL for an INVITE reuses the INVITE's branch (§9.1) and is a
  // client transaction of its own. Never returns 0; failures come via onClientFailure
  // (also when maxClientTransactions are open). Responses are taken only from `to`.
  TransactionId sendRequest(sip::Message&& request, const transport::Destination& to);
  // Ends an INVITE client transaction that still waits for its final response, without
  // telling the TU (which asked): RFC 3261 §9.1, no final response 64*T1 after our
  // CANCEL. A transaction past that point, or unknown, is left alone.
  void abandon(TransactionId client);
  // Sends a message that belongs to no transaction: the ACK for a 2xx, and the UAS
  // core's 2xx retransmissions (§13.3.1.4).
  bool sendStateless(const sip::Message& message, const transport::Destination& to);
  // For the TU's own retransmissions (the UAS core's 2xx, reliable provisionals), so that
  // the counters hold every message sent again on a timer.
  void countRetransmission(transport::ListenerId listener);

  // "z9hG4bK" followed by 22 characters from the OS CSPRNG: unique across restarts and
  // unpredictable from the branches seen before (sip::randomBranch()).
  std::string newBranch();

  size_t serverTransactions() const;
  size_t clientTransactions() const;
  const Counters& counters() const;
  const TimerConfig& timers() const;
  const Limits& limits() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sbc::transaction

#pragma once

// The B2BUA's one working class, declared here and defined unit by unit: each group of
// members below names the file that defines it. Private to signaling/b2bua.

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "signaling/b2bua/b2bua.h"
#include "signaling/b2bua/call.h"
#include "signaling/b2bua/call_registry.h"
#include "signaling/b2bua/media_anchor.h"
#include "signaling/transport/log_limiter.h"

namespace sbc::b2bua {

class B2bua::Impl {
  friend class B2bua;  // onAck and onCancel are declared with their units, below

 public:
  Impl(timer::TimerService& timers, Settings settings,
       const std::vector<transport::ListenerInfo>& listeners, mediaplane::MediaPlane* media,
       CallObserver* observer);
  ~Impl();

  // ---- transaction-layer entry points (b2bua.cc)
  void attach(transaction::TransactionLayer& t);
  void onRequest(TransactionId server, const sip::Message& req, const transport::Source& from);
  void onResponse(TransactionId client, const sip::Message& resp);
  void onClientFailure(TransactionId client, transaction::ClientFailure why);
  void onStrayResponse(const sip::Message& resp, const transport::Source&);
  void onServerFailure(TransactionId server);
  std::vector<const RealmContext*> realms() const;
  const RealmContext* realm(std::string_view name) const;
  void terminateAll();
  size_t activeCalls() const { return registry_.size(); }
  size_t trackedTransactions() const { return registry_.trackedTransactions(); }
  size_t activeDialogs() const { return registry_.dialogs(); }
  const CallCounters& counters() const { return counters_; }

 private:
  // ---- a new INVITE: route, limits, leg B (call_setup.cc)
  void newCall(TransactionId server, const sip::Message& req, const transport::Source& from);

  // ---- overload caps on a new call, 503 + Retry-After when over one (overload.cc)
  // False when the call was refused (and answered); else `trunkSlot` is held for it.
  bool admitCall(TransactionId server, const sip::Message& req, RealmContext& inRealm,
                 const topology::Route& route, int& trunkSlot);
  void releaseTrunk(Call& call);

  // ---- our INVITE's responses, CANCEL, forks (initial_response.cc)
  void initialInviteResponse(Call& call, const sip::Message& resp);
  void relayProvisional(Call& call, const sip::Message& resp);
  void finishA(Call& call, int code);
  // The caller's INVITE while it can still be answered; null once its server transaction
  // has ended, which the B2BUA hears of (onServerFailure) only on a later timer tick.
  const sip::Message* callerInvite(Call& call);
  // (Re)starts Timer C on our INVITE: at the send and at each provisional but 100.
  void armTimerC(Call& call);
  void onCancel(TransactionId invite, const sip::Message&);
  void sendCancel(Call& call);
  // A 2xx to an INVITE of ours that no transaction claims: a retransmission (ACK again) or
  // another fork's answer after the call was answered (ACK it, then BYE it).
  void stray2xx(const sip::Message& resp);
  // ACKs a 2xx that no call will take, then BYEs its dialog: the dialog is `leg`'s as the
  // 2xx sets it up (another fork, or an INVITE whose call already ended).
  void ackAndBye(const Leg& leg, const sip::Message& resp);

  // ---- in-dialog requests and their responses (in_dialog.cc)
  void inDialog(TransactionId server, const sip::Message& req, const transport::Source& from);
  void relayRequest(Call& call, TransactionId server, const sip::Message& req, Side from);
  void relayResponse(Call& call, const ClientCtx& ctx, const sip::Message& resp);
  // A response from the other leg relayed on server transaction `server` of leg `to`; a
  // 2xx to an INVITE is then retransmitted by us until the ACK (RFC 3261 §13.3.1.4).
  void relayResponseTo(Call& call, const sip::Message& resp, Side to, TransactionId server);
  void prack(Call& call, TransactionId server, const sip::Message& req);
  void onAck(const sip::Message& ack, const transport::Source& from);

  // ---- requests of no call, answered here (local_answers.cc)
  void answerOutOfDialog(TransactionId server, const sip::Message& req);
  // Answers a request that belongs to no call.
  void respond(TransactionId server, const sip::Message& req, int code, std::string_view reason,
               const std::vector<std::pair<sip::HeaderId, std::string>>& extra = {});
  void answerOptions(TransactionId server, const sip::Message& req);

  // ---- sending on a leg: requests, responses, ACK, BYE (leg_messages.cc)
  TransactionId sendClient(Call& call, Side side, sip::Message&& request, Purpose purpose,
                           TransactionId peer);
  // Sends a response on a server transaction and forgets it when final.
  void respondServer(Call& call, TransactionId server, int code, std::string_view reason,
                     const std::vector<std::pair<sip::HeaderId, std::string>>& extra = {});
  void sendResponse(Call& call, Side side, TransactionId server, sip::Message&& r);
  std::optional<transport::Destination> destinationFor(const Leg& leg, const sip::Message& request);
  // The ACK for a 2xx to an INVITE we sent on `side` (§13.2.2.4): a new transaction-less
  // request in the dialog, carrying the answer from `answerFrom` when the offer was late.
  void sendAck(Call& call, Side side, uint32_t cseq, const sip::Message* answerFrom);
  void sendBye(Call& call, Side side);

  // ---- SDP crossing the legs, media anchoring (negotiation.cc)
  // The SDP `body` (from the other leg) as leg `to` must see it: anchored to the SBC's
  // media address when the call anchors media, and with the leg's own o=. nullopt with
  // `error` and `code` (488 invalid SDP, 503 no media resources) when it cannot be.
  // `role`: what the SDP is in its offer/answer exchange (sdpRole); SRTP is negotiated
  // per leg (srtp_policy.h), 488 with the reason when the policy refuses it.
  std::optional<std::string> sdpFor(Call& call, Side to, std::string_view body, SdpRole role,
                                    std::string& error, int& code);
  // What the SDP of `src`, crossing to leg `to`, is: an offer, or the answer to `to`'s.
  SdpRole sdpRole(const Call& call, Side to, const sip::Message& src) const;
  // False with the reason when `resp` answers `to`'s offer with SRTP the SBC cannot use
  // (nothing changes): an initial INVITE then fails (488) rather than run without media.
  bool srtpAnswerUsable(Call& call, Side to, const sip::Message& resp, std::string& error);
  // Copies what may cross from `src` into `dst` (a message for leg `to`) and puts the body
  // in (SDP through sdpFor). False with `error` (and `code`) when the SDP cannot cross.
  bool crossOver(Call& call, Side to, const sip::Message& src, sip::Message& dst,
                 std::string& error, int* code = nullptr);
  // The body of `src` as leg `to` may see it (bodies.cc): SDP anchored, plain or in a
  // multipart body; other parts only when `to`'s realm allows them. False with `error` and
  // `code` (400 malformed multipart, 488/503 from sdpFor) when it cannot cross.
  bool crossBody(Call& call, Side to, const sip::Message& src, sip::Message& dst,
                 std::string& error, int& code);
  // Refuses a request whose SDP could not cross, with a Warning saying why.
  void refuseSdp(Call* call, TransactionId server, const sip::Message& req, int code,
                 const std::string& error, const std::string& host);

  // ---- our 2xx until ACK, reliable 1xx until PRACK (retransmission.cc)
  void startRetransmission(Call& call, Retransmission& r);
  void armRetransmission(uint64_t callId, Retransmission* r);
  void stopRetransmission(Retransmission& r);

  // ---- the media plane's events and end-of-call stats (media_events.cc)
  void scheduleMediaPoll();
  void onMediaEvent(const mediaplane::MediaEvent& e);
  // What the relay did for a call, summed over its streams, when the call ends.
  void logMediaStats(const Call& call);
  // The quality a stream's direction ended with; directions that carried nothing say
  // nothing about the network.
  void observeStream(const mediaplane::DirectionStats& d);

  // ---- the call state machine driven, outcomes counted (call_progress.cc)
  // The only writer of a call's state: runs the machine (call_state.h) and returns what
  // the B2BUA must do; kNone when the event is refused in the call's state.
  CallAction transition(Call& call, CallEvent event);
  // The caller (or the SBC) no longer wants the call answered: CANCEL leg B now, or after
  // its first provisional (RFC 3261 §9.1).
  void requestCancel(Call& call);
  // A call's result counts once, the first one seen (see Outcome).
  void outcome(Call& call, Outcome o);
  // Every count goes twice: in the totals and in the caller's realm.
  void tally(RealmContext* realm, uint64_t CallCounters::*field);
  // Whether an `event=reject` line may be written now: a peer decides how many INVITEs are
  // refused, so these lines are rate-limited (10 a second, then one summary line).
  bool mayLogReject();

  // ---- ending calls (teardown.cc; terminateAll() above)
  void endCall(Call& call, std::string_view why);
  // Our INVITE that outlives its call ends 64*T1 later if no final response came (RFC
  // 3261 §9.1), so that no transaction outlives its call for long.
  void abandonLater(TransactionId client);

  timer::TimerService& timers_;
  CallObserver* observer_;
  const Settings settings_;
  topology::RouteTable routes_;
  MediaAnchor anchor_;
  transaction::TransactionLayer* txn_ = nullptr;
  std::unordered_map<std::string, RealmContext> realms_;
  std::unordered_map<transport::ListenerId, RealmContext*> listenerRealm_;
  CallRegistry registry_;
  admission::CallAdmission* admission_ = nullptr;  // overload.cc; the daemon owns it
  uint64_t nextCallId_ = 1;
  CallCounters counters_;
  transport::LogLimiter rejectLog_;                            // see mayLogReject()
  std::unordered_map<TransactionId, timer::TimerId> abandon_;  // see abandonLater()
  // Leg B of ended calls whose INVITE is still open: a 2xx that crosses our CANCEL (Timer
  // C, no answer, caller gone) is ACKed and BYEd with it. Until the final response or the
  // INVITE is given up (abandonLater).
  std::unordered_map<TransactionId, Leg> orphans_;
};

}  // namespace sbc::b2bua

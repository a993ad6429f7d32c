#pragma once

// The back-to-back user agent: every call is two dialogs. The inbound leg (A) is a UAS
// dialog; the outbound leg (B) is a fresh UAC dialog with its own Call-ID, tags, Via and
// Contact, sent into the realm the route picks. Responses, ACK, CANCEL, BYE and
// mid-dialog requests (re-INVITE, UPDATE, INFO, PRACK, ...) are bridged leg to leg;
// OPTIONS to the SBC itself and unknown methods are answered here. Nothing of one leg's
// topology (addresses, Via, Record-Route, Contact, Call-ID, tags) crosses to the other:
// only the headers the realm's rules allow are copied, and SDP o= is rewritten per leg.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mediaplane/api/media_plane.h"
#include "signaling/admission/call_admission.h"
#include "signaling/b2bua/call_counters.h"
#include "signaling/b2bua/call_observer.h"
#include "signaling/b2bua/realm_context.h"
#include "signaling/b2bua/settings.h"
#include "signaling/dialog/dialog.h"
#include "signaling/timer/timer_service.h"
#include "signaling/transaction/transaction_layer.h"
#include "topology/header_filter.h"
#include "topology/route_table.h"

namespace sbc::b2bua {

class B2bua : public transaction::TransactionUser {
 public:
  // `listeners` are the transport's bound listeners (their realm names tie them to
  // config realms). Call attach() before the first message.
  // `media` relays the anchored calls' media; null when no media plane runs (then only
  // routes with `media: bypass` work). `observer`, when set, hears how calls went.
  B2bua(timer::TimerService& timers, Settings settings,
        const std::vector<transport::ListenerInfo>& listeners,
        mediaplane::MediaPlane* media = nullptr, CallObserver* observer = nullptr);
  ~B2bua() override;
  B2bua(const B2bua&) = delete;
  B2bua& operator=(const B2bua&) = delete;

  void attach(transaction::TransactionLayer& transactions);
  // Caps on new calls (CPS, per-trunk calls, shedding under lag), owned by the caller;
  // none when never set.
  void setAdmission(admission::CallAdmission* caps);

  // transaction::TransactionUser
  void onRequest(transaction::TransactionId server, const sip::Message& request,
                 const transport::Source& from) override;
  void onAck(const sip::Message& ack, const transport::Source& from) override;
  void onCancel(transaction::TransactionId invite, const sip::Message& cancel) override;
  void onResponse(transaction::TransactionId client, const sip::Message& response) override;
  void onClientFailure(transaction::TransactionId client, transaction::ClientFailure why) override;
  void onStrayResponse(const sip::Message& response, const transport::Source& from) override;
  void onServerFailure(transaction::TransactionId server) override;

  // Sends BYE on both legs of every established call and CANCEL/487 on calls being set
  // up (graceful shutdown).
  void terminateAll();

  size_t activeCalls() const;
  size_t activeDialogs() const;
  // The server and client transactions the B2BUA tracks for its calls (tests: nothing
  // may grow per in-dialog request).
  size_t trackedTransactions() const;
  const CallCounters& counters() const;
  // Every realm, in configuration order.
  std::vector<const RealmContext*> realms() const;
  const RealmContext* realm(std::string_view name) const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace sbc::b2bua

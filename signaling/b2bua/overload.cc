// Overload caps on a new call (signaling/admission): calls per second, per-trunk
// concurrent calls, shedding while the signaling thread lags. Only initial INVITEs come
// here, so under overload new calls are shed first and established calls go on.

#include <spdlog/spdlog.h>

#include "signaling/b2bua/b2bua_impl.h"

namespace sbc::b2bua {

bool B2bua::Impl::admitCall(TransactionId server, const sip::Message& req, RealmContext& inRealm,
                            const topology::Route& route, int& trunkSlot) {
  trunkSlot = admission::CallAdmission::kNoTrunk;
  if (!admission_) return true;
  std::optional<admission::Refusal> why =
      admission_->admit(inRealm.name, route.name, timers_.now(), trunkSlot);
  if (!why) return true;
  tally(&inRealm, &CallCounters::rejected);
  // Debug, not info: under a flood this line would be written thousands of times a
  // second on the signaling thread; the refusals are counted in /metrics.
  spdlog::debug("event=reject realm={} call_id_in=\"{}\" status=503 reason=\"{}\"", inRealm.name,
                req.callId(), admission::refusalName(*why));
  respond(server, req, 503, admission::refusalReason(*why),
          {{sip::HeaderId::kRetryAfter, std::to_string(admission_->caps().retryAfter.count())}});
  return false;
}

void B2bua::Impl::releaseTrunk(Call& call) {
  if (admission_ && call.trunkSlot != admission::CallAdmission::kNoTrunk)
    admission_->release(call.trunkSlot);
  call.trunkSlot = admission::CallAdmission::kNoTrunk;
}

}  // namespace sbc::b2bua

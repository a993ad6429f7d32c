#pragma once

// The admission settings (signaling/admission) from the overload section of the
// configuration.

#include "config/config.h"
#include "signaling/admission/call_admission.h"
#include "signaling/admission/source_gate.h"

namespace sbc::sbcd {

// The gate's settings: the served hosts are the configured domains plus the SBC's own
// listen and advertised addresses (only when domains are configured).
admission::GateSettings gateSettings(const config::Config& config);
admission::CallCaps callCaps(const config::Config& config);

}  // namespace sbc::sbcd

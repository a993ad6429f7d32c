#pragma once

// What the B2BUA refused or removed at a realm's edge (issue 14, defects 10 and 11):
// plain counters per realm, read by whoever reports them (tools/sbcd/metrics_source.cc).

#include <cstdint>

namespace sbc::b2bua {

struct EdgeCounters {
  // In-dialog requests (403) and ACKs (dropped) naming a dialog of an untrusted realm
  // from a source other than the dialog's flow: spoofed, or a peer that moved.
  uint64_t foreignSource = 0;
  // Body parts not allowed into this realm (bodies:), removed from what was sent into it.
  uint64_t bodyPartsRemoved = 0;
  // Malformed multipart bodies from this realm's peers, refused with 400 (or removed from
  // a response).
  uint64_t malformedBodies = 0;
};

}  // namespace sbc::b2bua

#pragma once

// A realm as the B2BUA uses it: where it sends from, what it advertises, which headers
// may cross into it, and how its callers' calls went.

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "signaling/b2bua/call_counters.h"
#include "signaling/b2bua/edge_counters.h"
#include "signaling/dialog/dialog.h"
#include "signaling/transport/transport.h"
#include "topology/header_filter.h"
#include "topology/realm.h"

namespace sbc::b2bua {

// A realm as the B2BUA uses it: where it sends from and what it advertises.
struct RealmContext {
  const topology::Realm* config = nullptr;
  std::string name;
  std::string advertised;  // for Via, Contact, SDP o= (IPv6 in brackets)
  std::optional<dialog::LocalAddress> udp;
  std::optional<dialog::LocalAddress> tcp;
  topology::FilterChain filters;
  uint32_t activeCalls = 0;  // calls that came in through this realm
  CallCounters calls;        // ... and how they went
  EdgeCounters edge;         // refused in-dialog sources, removed body parts

  const dialog::LocalAddress* local(transport::Protocol p) const;
};

// Every configured realm by name, and the listeners (by their realm names) that tie the
// transport to them. `config` pointers point into `realms`, which must outlive them.
void buildRealms(const std::vector<topology::Realm>& realms,
                 const std::vector<transport::ListenerInfo>& listeners,
                 std::unordered_map<std::string, RealmContext>& byName,
                 std::unordered_map<transport::ListenerId, RealmContext*>& byListener);

}  // namespace sbc::b2bua

#include "signaling/b2bua/realm_context.h"

#include "mediaplane/api/address.h"

namespace sbc::b2bua {

const dialog::LocalAddress* RealmContext::local(transport::Protocol p) const {
  const auto& l = p == transport::Protocol::kTcp ? tcp : udp;
  if (l) return &*l;
  const auto& other = p == transport::Protocol::kTcp ? udp : tcp;
  return other ? &*other : nullptr;
}

void buildRealms(const std::vector<topology::Realm>& realms,
                 const std::vector<transport::ListenerInfo>& listeners,
                 std::unordered_map<std::string, RealmContext>& byName,
                 std::unordered_map<transport::ListenerId, RealmContext*>& byListener) {
  for (const topology::Realm& r : realms) {
    RealmContext ctx;
    ctx.config = &r;
    ctx.name = r.name;
    ctx.filters = topology::FilterChain::forRealm(r);
    byName.emplace(r.name, std::move(ctx));
  }
  for (const transport::ListenerInfo& l : listeners) {
    auto it = byName.find(l.realm);
    if (it == byName.end()) continue;
    RealmContext& ctx = it->second;
    std::string advertised = ctx.config->advertisedAddress.empty()
                                 ? l.address.uriHost()
                                 : net::bracketHost(ctx.config->advertisedAddress);
    if (ctx.advertised.empty()) ctx.advertised = advertised;
    dialog::LocalAddress local{l.id, l.protocol, advertised, l.port};
    (l.protocol == transport::Protocol::kTcp ? ctx.tcp : ctx.udp) = local;
    byListener[l.id] = &ctx;
  }
}

}  // namespace sbc::b2bua

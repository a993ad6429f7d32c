#include "signaling/b2bua/call_registry.h"

#include <algorithm>

namespace sbc::b2bua {
namespace {

void forget(std::vector<TransactionId>& open, TransactionId id) {
  auto it = std::find(open.begin(), open.end(), id);
  if (it == open.end()) return;
  *it = open.back();  // order does not matter
  open.pop_back();
}

}  // namespace

Call& CallRegistry::add(std::unique_ptr<Call> call) {
  Call& c = *call;
  calls_.emplace(c.id, std::move(call));
  return c;
}

void CallRegistry::remove(uint64_t id) {
  calls_.erase(id);
}

Call* CallRegistry::find(uint64_t id) {
  auto it = calls_.find(id);
  return it == calls_.end() ? nullptr : it->second.get();
}

std::vector<uint64_t> CallRegistry::ids() const {
  std::vector<uint64_t> ids;
  for (const auto& [id, c] : calls_)
    ids.push_back(id);
  return ids;
}

std::string CallRegistry::dialogKey(std::string_view callId, std::string_view localTag) {
  std::string k(callId);
  k += '\x01';
  k.append(localTag);
  return k;
}

void CallRegistry::registerDialog(Call& call, Side side) {
  const dialog::Dialog& d = call.leg(side).dialog;
  dialogs_[dialogKey(d.callId, d.localTag)] = {call.id, side};
}

void CallRegistry::unregisterDialog(const dialog::Dialog& d) {
  dialogs_.erase(dialogKey(d.callId, d.localTag));
}

std::optional<DialogRef> CallRegistry::findDialog(std::string_view callId,
                                                  std::string_view localTag) {
  auto it = dialogs_.find(dialogKey(callId, localTag));
  if (it == dialogs_.end()) return std::nullopt;
  Call* c = find(it->second.first);
  if (!c) return std::nullopt;
  return DialogRef{c, it->second.second};
}

void CallRegistry::openServer(Call& call, TransactionId server, Side side, TransactionId peer) {
  servers_[server] = ServerCtx{call.id, side, peer};
  call.servers.push_back(server);
}

ServerCtx* CallRegistry::server(TransactionId id) {
  auto it = servers_.find(id);
  return it == servers_.end() ? nullptr : &it->second;
}

void CallRegistry::setServerPeer(TransactionId server, TransactionId peer) {
  if (auto it = servers_.find(server); it != servers_.end()) it->second.peer = peer;
}

void CallRegistry::closeServer(TransactionId id) {
  auto it = servers_.find(id);
  if (it == servers_.end()) return;
  if (Call* c = find(it->second.call)) forget(c->servers, id);
  servers_.erase(it);
}

Call* CallRegistry::callOfServer(TransactionId server) {
  auto it = servers_.find(server);
  return it == servers_.end() ? nullptr : find(it->second.call);
}

void CallRegistry::openClient(Call& call, TransactionId id, const ClientCtx& ctx) {
  clients_[id] = ctx;
  call.clients.push_back(id);
}

void CallRegistry::closeClient(TransactionId id) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  if (Call* c = find(it->second.call)) forget(c->clients, id);
  clients_.erase(it);
}

size_t CallRegistry::trackedTransactions() const {
  size_t n = servers_.size() + clients_.size();
  for (const auto& [id, c] : calls_)
    n += c->servers.size() + c->clients.size();
  return n;
}

const ClientCtx* CallRegistry::client(TransactionId id) const {
  auto it = clients_.find(id);
  return it == clients_.end() ? nullptr : &it->second;
}

}  // namespace sbc::b2bua

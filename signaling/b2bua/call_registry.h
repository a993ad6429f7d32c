#pragma once

// The calls the B2BUA holds and how messages find them: by call id, by dialog (Call-ID and
// our tag, either leg), and by the server and client transactions open on their behalf.
// Private to signaling/b2bua.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "signaling/b2bua/call.h"

namespace sbc::b2bua {

using transaction::TransactionId;

// Why we sent a request: what its responses mean to the call.
enum class Purpose : uint8_t { kInitialInvite, kRelay, kBye, kCancel };

struct ServerCtx {
  uint64_t call = 0;
  Side side = Side::kA;
  TransactionId peer = 0;  // the client transaction it waits on, if any
};

struct ClientCtx {
  uint64_t call = 0;
  Side side = Side::kA;  // the leg it was sent on
  Purpose purpose = Purpose::kRelay;
  TransactionId peer = 0;  // the server transaction waiting for its answer, if any
  sip::Method method = sip::Method::kUnknown;
  bool offer = false;  // it carried SDP
};

using DialogRef = std::pair<Call*, Side>;

class CallRegistry {
 public:
  Call& add(std::unique_ptr<Call> call);
  void remove(uint64_t id);  // the call is destroyed
  Call* find(uint64_t id);
  size_t size() const { return calls_.size(); }
  std::vector<uint64_t> ids() const;

  void registerDialog(Call& call, Side side);
  void unregisterDialog(const dialog::Dialog& d);
  size_t dialogs() const { return dialogs_.size(); }
  std::optional<DialogRef> findDialog(std::string_view callId, std::string_view localTag);

  void openServer(Call& call, TransactionId server, Side side, TransactionId peer = 0);
  ServerCtx* server(TransactionId id);
  void setServerPeer(TransactionId server, TransactionId peer);
  // Forgets a server transaction, in the registry and in its call's list: a call's lists
  // hold only what is open, however many in-dialog requests it carried.
  void closeServer(TransactionId id);
  Call* callOfServer(TransactionId server);

  void openClient(Call& call, TransactionId id, const ClientCtx& ctx);
  const ClientCtx* client(TransactionId id) const;
  void closeClient(TransactionId id);
  // The open transactions of every call (their lists summed), and the B2BUA's own maps:
  // what tests check to see that nothing grows per request.
  size_t trackedTransactions() const;

 private:
  static std::string dialogKey(std::string_view callId, std::string_view localTag);

  std::unordered_map<uint64_t, std::unique_ptr<Call>> calls_;
  std::unordered_map<std::string, std::pair<uint64_t, Side>> dialogs_;
  std::unordered_map<TransactionId, ServerCtx> servers_;
  std::unordered_map<TransactionId, ClientCtx> clients_;
};

}  // namespace sbc::b2bua

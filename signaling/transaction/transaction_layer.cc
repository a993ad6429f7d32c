#include "signaling/transaction/transaction_layer.h"

#include <unordered_map>
#include <utility>
#include <vector>

#include "signaling/sip/random_token.h"
#include "signaling/sip/response.h"
#include "signaling/transaction/client_invite.h"
#include "signaling/transaction/client_non_invite.h"
#include "signaling/transaction/matching.h"
#include "signaling/transaction/server_invite.h"
#include "signaling/transaction/server_non_invite.h"

namespace sbc::transaction {
namespace {

// The same peer, and the same connection when both sides name one.
bool sameDestination(const transport::Destination& a, const transport::Destination& b) {
  return a.remote == b.remote &&
         (a.connection == 0 || b.connection == 0 || a.connection == b.connection);
}

// What a peer over the server transaction cap is told to wait: long enough to shed the
// load, short enough that a real caller retries the same call.
constexpr std::string_view kRetryAfterSeconds = "5";

// Whether a CANCEL comes from the INVITE's sender (§9.1 sends it where the INVITE went,
// so from the same place): the same protocol and address, and over UDP the same port. Over
// TCP the port is the connection's ephemeral one, and a UAC may send its CANCEL on a new
// connection; only a host that owns the address can open one.
bool sameSender(const transport::Source& invite, const transport::Source& cancel) {
  const transport::Endpoint& a = invite.remote;
  const transport::Endpoint& b = cancel.remote;
  if (a.protocol != b.protocol || !(a.address == b.address)) return false;
  return transport::isReliable(a.protocol) || a.port == b.port;
}

}  // namespace

class TransactionLayer::Impl final : public Context {
 public:
  Impl(transport::Transport& transport, timer::TimerService& timers, TimerConfig config,
       TransactionUser& user, Limits limits)
      : transport_(transport), timers_(timers), config_(config), limits_(limits), user_(user) {}

  ~Impl() override {
    // Nothing may call back into a destroyed layer.
    for (auto& [id, tx] : clients_)
      tx->stopTimers();
    for (auto& [id, tx] : servers_)
      tx->stopTimers();
    if (noticeTimer_ != 0) timers_.cancel(noticeTimer_);
  }

  // Context
  const TimerConfig& config() const override { return config_; }
  const Limits& limits() const { return limits_; }
  TransactionUser& user() override { return user_; }
  Counters& counters() override { return counters_; }
  void countRetransmission(transport::ListenerId listener) override {
    ++counters_.retransmissionsSent;
    auto& by = counters_.retransmissionsByListener;
    if (by.size() <= listener) by.resize(size_t(listener) + 1);
    ++by[listener];
  }
  bool send(const transport::Destination& to, std::string bytes) override {
    return transport_.send(to, std::move(bytes));
  }
  timer::TimerId startTimer(TransactionId id, TimerSlot slot, timer::Duration after) override {
    // Two lambdas of 16 bytes rather than one capturing the slot: std::function keeps
    // them inline, so a timer costs no allocation.
    if (slot == TimerSlot::kRetransmit) {
      return timers_.schedule(after, [this, id] { onTimer(id, TimerSlot::kRetransmit); });
    }
    return timers_.schedule(after, [this, id] { onTimer(id, TimerSlot::kTimeout); });
  }
  void cancelTimer(timer::TimerId id) override { timers_.cancel(id); }
  void terminate(TransactionId id) override;
  void retire(std::unique_ptr<sip::Message> message) override {
    retired_.push_back(std::move(message));
  }
  void reportClientFailure(TransactionId id) override { notice(id, true); }
  void reportServerFailure(TransactionId id) override { notice(id, false); }

  // TransactionLayer
  void onMessage(sip::Message&& message, const transport::Source& from);
  void onSendFailure(const transport::Destination& to);
  bool respond(TransactionId server, sip::Message&& response);
  const ServerTransaction* server(TransactionId id) const {
    auto it = servers_.find(id);
    return it == servers_.end() ? nullptr : it->second.get();
  }
  TransactionId sendRequest(sip::Message&& request, const transport::Destination& to);
  void abandon(TransactionId client) {
    Entry entry(*this);
    auto it = clients_.find(client);
    if (it == clients_.end()) return;
    if (auto* invite = dynamic_cast<ClientInvite*>(it->second.get())) invite->abandon();
  }
  bool sendStateless(const sip::Message& message, const transport::Destination& to) {
    return transport_.send(to, message.serialize());
  }
  std::string newBranch() { return sip::randomBranch(); }
  size_t serverCount() const { return servers_.size(); }
  size_t clientCount() const { return clients_.size(); }
  const Counters& counterValues() const { return counters_; }

 private:
  // Every way into the layer holds one: transactions and requests put aside while it
  // runs are destroyed only when the outermost one ends, so no machine or TU callback
  // ever sees its own object disappear under it.
  class Entry {
   public:
    explicit Entry(Impl& impl) : impl_(impl) { ++impl_.depth_; }
    ~Entry() {
      if (--impl_.depth_ == 0) {
        impl_.graveyard_.clear();
        impl_.retired_.clear();
      }
    }
    Entry(const Entry&) = delete;
    Entry& operator=(const Entry&) = delete;

   private:
    Impl& impl_;
  };

  struct Notice {
    TransactionId id;
    bool client;
  };

  void onTimer(TransactionId id, TimerSlot slot);
  void onRequest(sip::Message&& request, const transport::Source& from);
  void onResponse(const sip::Message& response, const transport::Source& from);
  void onAck(const sip::Message& ack, const transport::Source& from);
  void onCancel(const sip::Message& cancel, const transport::Source& from);
  // The server transaction `request` belongs to under `key` (serverKey()), or nullptr.
  ServerTransaction* findServer(const std::string& key, const sip::Message& request);
  void createServer(sip::Message&& request, const transport::Source& from, std::string key);
  void answerStateless(const sip::Message& request, const transport::Source& from, int status,
                       std::string_view toTag = {}, std::string_view retryAfter = {});
  void notice(TransactionId id, bool client);
  void deliverNotices();

  transport::Transport& transport_;
  timer::TimerService& timers_;
  const TimerConfig config_;
  const Limits limits_;
  TransactionUser& user_;
  Counters counters_;
  TransactionId nextId_ = 1;

  std::unordered_map<TransactionId, std::unique_ptr<ClientTransaction>> clients_;
  std::unordered_map<std::string_view, ClientTransaction*> clientsByKey_;
  std::unordered_map<TransactionId, std::unique_ptr<ServerTransaction>> servers_;
  std::unordered_map<std::string_view, ServerTransaction*> serversByKey_;
  std::unordered_map<std::string_view, ServerTransaction*> serversByMergeKey_;

  int depth_ = 0;
  std::vector<std::unique_ptr<Transaction>> graveyard_;
  std::vector<std::unique_ptr<sip::Message>> retired_;
  std::vector<Notice> notices_;
  timer::TimerId noticeTimer_ = 0;
};

// ---- entry points ----------------------------------------------------------------------

void TransactionLayer::Impl::onTimer(TransactionId id, TimerSlot slot) {
  Entry entry(*this);
  if (auto it = clients_.find(id); it != clients_.end()) {
    it->second->timerFired(slot);
  } else if (auto st = servers_.find(id); st != servers_.end()) {
    st->second->timerFired(slot);
  }
}

void TransactionLayer::Impl::onMessage(sip::Message&& message, const transport::Source& from) {
  Entry entry(*this);
  if (message.isResponse()) {
    onResponse(message, from);
  } else if (message.methodId() == sip::Method::kAck) {
    onAck(message, from);
  } else if (message.methodId() == sip::Method::kCancel) {
    onCancel(message, from);
  } else {
    onRequest(std::move(message), from);
  }
}

void TransactionLayer::Impl::onSendFailure(const transport::Destination& to) {
  Entry entry(*this);
  // A linear walk: failures are rare (a TCP connection lost) and an index per
  // destination would cost every transaction memory.
  std::vector<ClientTransaction*> clients;
  std::vector<ServerTransaction*> servers;
  for (auto& [id, tx] : clients_) {
    if (tx->awaitingResponse() && sameDestination(tx->destination(), to)) {
      clients.push_back(tx.get());
    }
  }
  for (auto& [id, tx] : servers_) {
    if (tx->delivering() && sameDestination(tx->responseDestination(), to)) {
      servers.push_back(tx.get());
    }
  }
  // Failing terminates, which edits the maps: hence collect first. The objects stay
  // alive (graveyard) until this call returns; the TU hears of it from a timer.
  for (ClientTransaction* tx : clients)
    tx->onTransportError();
  for (ServerTransaction* tx : servers)
    tx->onTransportError();
}

bool TransactionLayer::Impl::respond(TransactionId server, sip::Message&& response) {
  Entry entry(*this);
  auto it = servers_.find(server);
  return it != servers_.end() && it->second->respond(std::move(response));
}

TransactionId TransactionLayer::Impl::sendRequest(sip::Message&& request,
                                                  const transport::Destination& to) {
  Entry entry(*this);
  TransactionId id = nextId_++;
  sip::Parsed<sip::Via> via = request.topVia();
  std::string key = via && via.value.hasBranch ? clientKey(via.value.branch, request.method()) : "";
  // No branch, an ACK (no transaction of its own) or a branch already in use: the
  // request cannot be matched to its responses, so it is not sent at all.
  if (key.empty() || request.methodId() == sip::Method::kAck || clientsByKey_.count(key) != 0) {
    notice(id, true);
    return id;
  }
  // CANCEL and BYE end calls: they get a tenth more room than the requests that start
  // work, so a full table never leaves a callee ringing or a call up that should end.
  size_t cap = limits_.maxClientTransactions;
  if (request.methodId() == sip::Method::kCancel || request.methodId() == sip::Method::kBye)
    cap += cap / 10;
  if (clients_.size() >= cap) {
    ++counters_.clientTransactionsRefused;
    notice(id, true);
    return id;
  }
  std::string wire = request.serialize();
  std::unique_ptr<ClientTransaction> tx;
  if (request.methodId() == sip::Method::kInvite) {
    tx = std::make_unique<ClientInvite>(*this, id, std::move(key), to, std::move(wire));
  } else {
    tx = std::make_unique<ClientNonInvite>(*this, id, std::move(key), to, std::move(wire));
  }
  ClientTransaction* raw = tx.get();
  clientsByKey_.emplace(raw->key(), raw);
  clients_.emplace(id, std::move(tx));
  raw->start();
  return id;
}

// ---- matching and dispatch ----------------------------------------------------------------

void TransactionLayer::Impl::onResponse(const sip::Message& response,
                                        const transport::Source& from) {
  sip::Parsed<sip::Via> via = response.topVia();
  sip::Parsed<sip::CSeq> cseq = response.cseq();
  if (via && cseq && via.value.hasBranch) {
    auto it = clientsByKey_.find(clientKey(via.value.branch, cseq.value.method));
    if (it != clientsByKey_.end()) {
      if (!it->second->acceptsResponseFrom(from)) {
        // Not from where the request went: a guessed or observed branch must not fail
        // or answer someone else's request. Neither the TU nor the peer hears of it.
        ++counters_.responsesFromElsewhere;
        return;
      }
      it->second->onResponse(response);
      return;
    }
  }
  ++counters_.strayResponses;
  user_.onStrayResponse(response, from);
}

ServerTransaction* TransactionLayer::Impl::findServer(const std::string& key,
                                                      const sip::Message& request) {
  if (key.empty()) return nullptr;
  auto it = serversByKey_.find(key);
  if (it == serversByKey_.end()) return nullptr;
  ServerTransaction* tx = it->second;
  if (isLegacyKey(key)) {
    // RFC 2543 (§17.2.3): the To tag too; an ACK carries the tag of our response.
    std::string_view toTag = request.to().value.tag();
    auto* invite = dynamic_cast<ServerInvite*>(tx);
    bool ack = request.methodId() == sip::Method::kAck;
    std::string_view expected = ack && invite && !invite->responseToTag().empty()
                                    ? invite->responseToTag()
                                    : tx->legacyToTag();
    if (toTag != expected) return nullptr;
  }
  return tx;
}

void TransactionLayer::Impl::onAck(const sip::Message& ack, const transport::Source& from) {
  auto* invite = dynamic_cast<ServerInvite*>(findServer(serverKey(ack, "INVITE"), ack));
  if (invite && invite->onAck()) return;
  user_.onAck(ack, from);
}

void TransactionLayer::Impl::onCancel(const sip::Message& cancel, const transport::Source& from) {
  // §9.2: the CANCEL matches the INVITE it cancels; it has no server transaction here
  // (a retransmitted CANCEL is simply answered again).
  auto* invite = dynamic_cast<ServerInvite*>(findServer(serverKey(cancel, "INVITE"), cancel));
  if (!invite) {
    answerStateless(cancel, from, 481);
    return;
  }
  if (!sameSender(invite->source(), from)) {
    // The branch and Call-ID of someone else's INVITE (observed, or guessed from an
    // earlier message) must not end their call set-up: only the INVITE's sender cancels.
    ++counters_.cancelsFromElsewhere;
    answerStateless(cancel, from, 481);
    return;
  }
  answerStateless(cancel, from, 200, invite->responseToTag());
  if (invite->takeCancel()) {
    user_.onCancel(invite->id(), cancel);
  } else if (invite->state() == ServerInvite::State::kProceeding) {
    ++counters_.retransmissionsAbsorbed;  // the same CANCEL again
  }
}

void TransactionLayer::Impl::onRequest(sip::Message&& request, const transport::Source& from) {
  std::string key = serverKey(request, request.method());
  if (key.empty()) return;  // no usable top Via: nowhere to answer
  if (ServerTransaction* tx = findServer(key, request)) {
    tx->onRetransmission();
    return;
  }
  sip::Parsed<sip::NameAddr> to = request.to();
  if (to && !to.value.hasTag() && serversByMergeKey_.count(mergeKey(request)) != 0) {
    ++counters_.merged;
    answerStateless(request, from, 482);
    return;
  }
  // In-dialog requests (a To tag) get a tenth more room than new ones: under overload new
  // work is shed first, and the calls already up can still be ended or re-negotiated. A
  // forged in-dialog request holds no room: the TU answers it 481/403, statelessly.
  size_t cap = limits_.maxServerTransactions;
  if (request.to() && request.to().value.hasTag()) cap += cap / 10;
  if (servers_.size() >= cap) {
    // Over the cap: answered once and forgotten, before any state is made.
    ++counters_.serverTransactionsRefused;
    answerStateless(request, from, 503, {}, kRetryAfterSeconds);
    return;
  }
  createServer(std::move(request), from, std::move(key));
}

void TransactionLayer::Impl::createServer(sip::Message&& request, const transport::Source& from,
                                          std::string key) {
  TransactionId id = nextId_++;
  transport::Destination responseTo = transport::responseDestination(request, from);
  std::unique_ptr<ServerTransaction> tx;
  if (request.methodId() == sip::Method::kInvite) {
    tx = std::make_unique<ServerInvite>(*this, id, from, responseTo);
  } else {
    tx = std::make_unique<ServerNonInvite>(*this, id, from, responseTo);
  }
  ServerTransaction* raw = tx.get();
  sip::Parsed<sip::NameAddr> to = request.to();
  std::string legacyToTag(isLegacyKey(key) ? to.value.tag() : std::string_view{});
  raw->setKeys(std::move(key), to && !to.value.hasTag() ? mergeKey(request) : std::string(),
               std::move(legacyToTag));
  serversByKey_.emplace(raw->key(), raw);
  if (!raw->mergeKey().empty()) serversByMergeKey_.emplace(raw->mergeKey(), raw);
  servers_.emplace(id, std::move(tx));
  raw->start(std::make_unique<sip::Message>(std::move(request)));
}

void TransactionLayer::Impl::answerStateless(const sip::Message& request,
                                             const transport::Source& from, int status,
                                             std::string_view toTag, std::string_view retryAfter) {
  sip::Message response = sip::makeResponse(request, status, {}, toTag);
  if (!retryAfter.empty()) response.addHeader(sip::HeaderId::kRetryAfter, retryAfter);
  transport_.send(transport::responseDestination(request, from), response.serialize());
}

// ---- lifetime --------------------------------------------------------------------------

void TransactionLayer::Impl::terminate(TransactionId id) {
  if (auto it = clients_.find(id); it != clients_.end()) {
    clientsByKey_.erase(it->second->key());
    graveyard_.push_back(std::move(it->second));
    clients_.erase(it);
  } else if (auto st = servers_.find(id); st != servers_.end()) {
    ServerTransaction* tx = st->second.get();
    serversByKey_.erase(tx->key());
    if (auto m = serversByMergeKey_.find(tx->mergeKey());
        m != serversByMergeKey_.end() && m->second == tx) {
      serversByMergeKey_.erase(m);
    }
    graveyard_.push_back(std::move(st->second));
    servers_.erase(st);
  }
}

void TransactionLayer::Impl::notice(TransactionId id, bool client) {
  notices_.push_back({id, client});
  if (noticeTimer_ == 0) {
    noticeTimer_ = timers_.schedule(timer::Duration(0), [this] { deliverNotices(); });
  }
}

void TransactionLayer::Impl::deliverNotices() {
  Entry entry(*this);
  noticeTimer_ = 0;
  std::vector<Notice> batch;
  batch.swap(notices_);
  for (const Notice& n : batch) {
    if (n.client) {
      user_.onClientFailure(n.id, ClientFailure::kTransportError);
    } else {
      user_.onServerFailure(n.id);
    }
  }
}

// ---- TransactionLayer ------------------------------------------------------------------

TransactionLayer::TransactionLayer(transport::Transport& transport, timer::TimerService& timers,
                                   TimerConfig config, TransactionUser& user, Limits limits)
    : impl_(std::make_unique<Impl>(transport, timers, config, user, limits)) {}

TransactionLayer::~TransactionLayer() = default;

void TransactionLayer::onMessage(sip::Message&& message, const transport::Source& from) {
  impl_->onMessage(std::move(message), from);
}

void TransactionLayer::onSendFailure(const transport::Destination& to, std::string_view) {
  impl_->onSendFailure(to);
}

bool TransactionLayer::respond(TransactionId server, sip::Message&& response) {
  return impl_->respond(server, std::move(response));
}

void TransactionLayer::abandon(TransactionId client) {
  impl_->abandon(client);
}

const sip::Message* TransactionLayer::request(TransactionId server) const {
  const ServerTransaction* tx = impl_->server(server);
  return tx ? tx->request() : nullptr;
}

const transport::Source* TransactionLayer::source(TransactionId server) const {
  const ServerTransaction* tx = impl_->server(server);
  return tx ? &tx->source() : nullptr;
}

TransactionId TransactionLayer::sendRequest(sip::Message&& request,
                                            const transport::Destination& to) {
  return impl_->sendRequest(std::move(request), to);
}

bool TransactionLayer::sendStateless(const sip::Message& message,
                                     const transport::Destination& to) {
  return impl_->sendStateless(message, to);
}

void TransactionLayer::countRetransmission(transport::ListenerId listener) {
  impl_->countRetransmission(listener);
}

std::string TransactionLayer::newBranch() {
  return impl_->newBranch();
}

size_t TransactionLayer::serverTransactions() const {
  return impl_->serverCount();
}

size_t TransactionLayer::clientTransactions() const {
  return impl_->clientCount();
}

const Counters& TransactionLayer::counters() const {
  return impl_->counterValues();
}

const TimerConfig& TransactionLayer::timers() const {
  return impl_->config();
}

const Limits& TransactionLayer::limits() const {
  return impl_->limits();
}

}  // namespace sbc::transaction

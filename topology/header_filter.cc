#include "topology/header_filter.h"

#include <array>
#include <bitset>
#include <utility>

#include "signaling/sip/charset.h"
#include "signaling/sip/header_id.h"
#include "topology/free_text.h"

namespace sbc::topology {
namespace {

using sip::HeaderId;

// Built per leg by the B2BUA (dialog and transaction identity, hop-by-hop negotiation,
// the body's own headers, which travel with the body it forwards or rewrites), or
// carrying the far side's topology, credentials or dialog identifiers (which the B2BUA
// must translate, never pass raw).
constexpr auto kNeverCopied = std::to_array<std::string_view>(
    {// dialog and transaction state of one leg
     "Via", "Route", "Record-Route", "Contact", "Call-ID", "From", "To", "CSeq", "Max-Forwards",
     "RSeq", "RAck", "Require", "Proxy-Require", "Unsupported", "Max-Breadth",
     // what the SBC itself can do, presented per leg by the B2BUA (b2bua/capabilities.h)
     "Allow", "Supported",
     // the body's headers
     "Content-Length", "Content-Type", "Content-Encoding", "Content-Disposition",
     "Content-Language", "MIME-Version",
     // registrar and outbound topology
     "Path", "Service-Route", "Flow-Timer", "Feature-Caps",
     // credentials and security agreement are per hop
     "Authorization", "Proxy-Authorization", "WWW-Authenticate", "Proxy-Authenticate",
     "Authentication-Info", "Security-Client", "Security-Server", "Security-Verify",
     // references to the far side's dialogs (Call-IDs, tags, URIs)
     "Replaces", "Join", "Target-Dialog", "Refer-To", "Referred-By", "In-Reply-To"});

// Identities and URIs that can name a far-side host or address.
constexpr auto kSensitive = std::to_array<std::string_view>({
    "P-Asserted-Identity",
    "P-Preferred-Identity",
    "Remote-Party-ID",
    "Diversion",
    "History-Info",
    "P-Called-Party-ID",
    "P-Served-User",
    "P-Associated-URI",
    "Identity",
    "Identity-Info",
    "Reply-To",
    "Warning",  // warn-agent is the far side's host:port
    "Error-Info",
    "Call-Info",
    "Alert-Info",
    "P-Charging-Vector",  // icid-generated-at is an address
    "P-Charging-Function-Addresses",
    "P-Access-Network-Info",
    "P-Visited-Network-ID",
    "Geolocation",
});

constexpr auto kIdentity =
    std::to_array<std::string_view>({"User-Agent", "Server", "Organization"});

struct ClassTable {
  std::array<HeaderClass, sip::kHeaderIdCount> byId{};           // kOrdinary by default
  std::vector<std::pair<std::string_view, HeaderClass>> byName;  // names without an id
};

const ClassTable& classTable() {
  static const ClassTable table = [] {
    ClassTable t;
    auto add = [&t](std::span<const std::string_view> names, HeaderClass cls) {
      for (std::string_view name : names) {
        HeaderId id = sip::lookupHeader(name);
        if (id == HeaderId::kUnknown) {
          t.byName.emplace_back(name, cls);
        } else {
          t.byId[static_cast<size_t>(id)] = cls;
        }
      }
    };
    add(kNeverCopied, HeaderClass::kNeverCopied);
    add(kSensitive, HeaderClass::kSensitive);
    add(kIdentity, HeaderClass::kIdentity);
    return t;
  }();
  return table;
}

HeaderClass classify(HeaderId id, std::string_view name) {
  const ClassTable& table = classTable();
  if (id != HeaderId::kUnknown) return table.byId[static_cast<size_t>(id)];
  for (const auto& [known, cls] : table.byName) {
    if (sip::iequals(known, name)) return cls;
  }
  return HeaderClass::kOrdinary;
}

// Two header names denote the same header (compact forms resolve to their full name).
bool sameHeader(HeaderId id, std::string_view name, std::string_view other) {
  HeaderId otherId = sip::lookupHeader(other);
  if (id != HeaderId::kUnknown || otherId != HeaderId::kUnknown) return id == otherId;
  return sip::iequals(name, other);
}

bool hasHeader(const sip::Message& message, std::string_view name) {
  HeaderId id = sip::lookupHeader(name);
  if (id != HeaderId::kUnknown) return message.first(id) != nullptr;
  for (const sip::HeaderField& f : message.fields()) {
    if (!f.removed && f.id == HeaderId::kUnknown && sip::iequals(message.name(f), name))
      return true;
  }
  return false;
}

// A set of header names resolved once, so that each field costs one bit test (or a short
// scan for names without an id).
class NameSet {
 public:
  explicit NameSet(const std::vector<std::string>& names) {
    for (const std::string& name : names) {
      HeaderId id = sip::lookupHeader(name);
      if (id == HeaderId::kUnknown) {
        others_.push_back(name);
      } else {
        ids_.set(static_cast<size_t>(id));
      }
    }
  }

  bool contains(HeaderId id, std::string_view name) const {
    if (id != HeaderId::kUnknown) return ids_.test(static_cast<size_t>(id));
    for (std::string_view other : others_) {
      if (sip::iequals(other, name)) return true;
    }
    return false;
  }

 private:
  std::bitset<sip::kHeaderIdCount> ids_;
  std::vector<std::string_view> others_;
};

}  // namespace

HeaderClass classifyHeader(std::string_view name) {
  return classify(sip::lookupHeader(name), name);
}

std::span<const std::string_view> neverCopiedHeaders() {
  return kNeverCopied;
}
std::span<const std::string_view> sensitiveHeaders() {
  return kSensitive;
}
std::span<const std::string_view> builtinIdentityHeaders() {
  return kIdentity;
}

bool isHeaderName(std::string_view name) {
  return sip::allOf(name, sip::kToken);
}

bool isHeaderValue(std::string_view value) {
  for (char c : value) {
    auto b = static_cast<unsigned char>(c);
    if ((b < 0x20 && b != '\t') || b == 0x7f) return false;
  }
  return true;
}

void IdentityHeaderFilter::apply(sip::Message& message) const {
  switch (header_.policy) {
    case HeaderPolicy::kStrip:
      message.removeHeader(header_.name);
      break;
    case HeaderPolicy::kReplace:
      if (hasHeader(message, header_.name)) message.setHeader(header_.name, header_.value);
      break;
    case HeaderPolicy::kKeep:
      break;
  }
}

void RemoveHeaderFilter::apply(sip::Message& message) const {
  message.removeHeader(name_);
}

void AddHeaderFilter::apply(sip::Message& message) const {
  message.addHeader(name_, value_);
}

void ReplaceHeaderFilter::apply(sip::Message& message) const {
  if (hasHeader(message, name_)) message.setHeader(name_, value_);
}

FilterChain FilterChain::forRealm(const Realm& realm) {
  FilterChain chain;
  for (const IdentityHeader& header : realm.identityHeaders) {
    chain.add(std::make_unique<IdentityHeaderFilter>(header));
  }
  for (std::string_view builtin : kIdentity) {
    bool named = false;
    for (const IdentityHeader& header : realm.identityHeaders)
      named = named || sip::iequals(header.name, builtin);
    if (!named)
      chain.add(std::make_unique<IdentityHeaderFilter>(
          IdentityHeader{std::string(builtin), HeaderPolicy::kStrip, {}}));
  }
  for (const HeaderRule& rule : realm.headers.rules) {
    switch (rule.action) {
      case HeaderRule::Action::kAdd:
        chain.add(std::make_unique<AddHeaderFilter>(rule.header, rule.value));
        break;
      case HeaderRule::Action::kRemove:
        chain.add(std::make_unique<RemoveHeaderFilter>(rule.header));
        break;
      case HeaderRule::Action::kReplace:
        chain.add(std::make_unique<ReplaceHeaderFilter>(rule.header, rule.value));
        break;
    }
  }
  return chain;
}

FilterChain& FilterChain::add(HeaderFilterPtr filter) {
  filters_.push_back(std::move(filter));
  return *this;
}

void FilterChain::apply(sip::Message& message) const {
  for (const HeaderFilterPtr& filter : filters_)
    filter->apply(message);
}

void copyAllowedHeaders(const sip::Message& from, sip::Message& to, const HeaderRules& rules,
                        std::span<const IdentityHeader> identity) {
  NameSet listed(rules.names);
  // Identity headers replaced so far: a replaced header gets one line, however many the
  // far side sent.
  std::vector<const IdentityHeader*> replaced;
  for (const sip::HeaderField& f : from.fields()) {
    if (f.removed) continue;
    std::string_view name = from.name(f);
    HeaderClass cls = classify(f.id, name);
    if (cls == HeaderClass::kNeverCopied) continue;

    const IdentityHeader* policy = nullptr;
    for (const IdentityHeader& header : identity) {
      if (sameHeader(f.id, name, header.name)) {
        policy = &header;
        break;
      }
    }
    if (policy != nullptr || cls == HeaderClass::kIdentity) {
      HeaderPolicy action = policy != nullptr ? policy->policy : HeaderPolicy::kStrip;
      if (action == HeaderPolicy::kKeep) {
        to.addHeader(name, from.value(f));
      } else if (action == HeaderPolicy::kReplace) {
        bool done = false;
        for (const IdentityHeader* r : replaced)
          done = done || r == policy;
        if (!done) {
          to.addHeader(name, policy->value);
          replaced.push_back(policy);
        }
      }
      continue;
    }

    bool named = listed.contains(f.id, name);
    bool cross = rules.mode == HeaderRules::Mode::kWhitelist
                     ? named
                     : !named && cls != HeaderClass::kSensitive;
    if (!cross) continue;
    // Reason's text and Session-ID's parameters stay behind (free_text.h).
    if (std::optional<std::string> value = crossingValue(f.id, name, from.value(f)))
      to.addHeader(name, *value);
  }
}

void copyAllowedHeaders(const sip::Message& from, sip::Message& to, const Realm& realm) {
  copyAllowedHeaders(from, to, realm.headers, realm.identityHeaders);
}

}  // namespace sbc::topology

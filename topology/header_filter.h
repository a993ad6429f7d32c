#pragma once

// Topology hiding at the header level: which of the other leg's headers may cross into a
// realm (copyAllowedHeaders), and the realm's own edits as a chain of small filters
// (FilterChain). docs/CONFIG.md ("Topology hiding") is the operator's view of the same.
//
// The B2BUA builds each outbound message itself (new Call-ID, tags, Via, Contact, CSeq,
// Max-Forwards, body headers) and then, in this order:
//   1. copyAllowedHeaders(inbound, outbound, realm)  -- what may cross, in inbound order
//   2. FilterChain::forRealm(realm).apply(outbound)  -- identity policy, then the rules

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "signaling/sip/message.h"
#include "topology/realm.h"

namespace sbc::topology {

// How a header is treated when headers cross from one leg to the other.
enum class HeaderClass : uint8_t {
  kOrdinary,     // crosses as the realm's whitelist / blacklist says
  kSensitive,    // may carry a far-side host, address or identity: crosses only when named
                 // in a whitelist (never in blacklist mode)
  kIdentity,     // User-Agent, Server, Organization: the realm's identity policy decides
  kNeverCopied,  // built per leg by the B2BUA, or the far side's topology: never crosses
};

// The class of a header name as written (any case, compact forms included). Names a realm
// adds to its identity policy are kIdentity on top of this (copyAllowedHeaders does that).
HeaderClass classifyHeader(std::string_view name);

// The lists behind classifyHeader, in canonical spelling (for docs and error messages).
std::span<const std::string_view> neverCopiedHeaders();
std::span<const std::string_view> sensitiveHeaders();
std::span<const std::string_view> builtinIdentityHeaders();

bool isHeaderName(std::string_view name);    // an RFC 3261 token
bool isHeaderValue(std::string_view value);  // no CR, LF or other control byte but HTAB

// One edit of a message sent into a realm.
class HeaderFilter {
 public:
  virtual ~HeaderFilter() = default;
  virtual void apply(sip::Message& message) const = 0;
};
using HeaderFilterPtr = std::unique_ptr<const HeaderFilter>;

// An identity header: strip removes every line, replace rewrites the value of a present
// header (one line), keep leaves it alone.
class IdentityHeaderFilter final : public HeaderFilter {
 public:
  explicit IdentityHeaderFilter(IdentityHeader header) : header_(std::move(header)) {}
  void apply(sip::Message& message) const override;

 private:
  IdentityHeader header_;
};

// Removes every line of a header.
class RemoveHeaderFilter final : public HeaderFilter {
 public:
  explicit RemoveHeaderFilter(std::string name) : name_(std::move(name)) {}
  void apply(sip::Message& message) const override;

 private:
  std::string name_;
};

// Adds a line at the bottom of the header section, whether or not the header is present.
class AddHeaderFilter final : public HeaderFilter {
 public:
  AddHeaderFilter(std::string name, std::string value)
      : name_(std::move(name)), value_(std::move(value)) {}
  void apply(sip::Message& message) const override;

 private:
  std::string name_;
  std::string value_;
};

// Replaces a present header's lines with one line holding the value; absent: no change.
class ReplaceHeaderFilter final : public HeaderFilter {
 public:
  ReplaceHeaderFilter(std::string name, std::string value)
      : name_(std::move(name)), value_(std::move(value)) {}
  void apply(sip::Message& message) const override;

 private:
  std::string name_;
  std::string value_;
};

// The filters of one realm, applied in order. Immutable once built: apply() may run on
// several threads at once.
class FilterChain {
 public:
  // The identity policy first (the realm's entries, then a strip for each of User-Agent,
  // Server and Organization it does not name), then the header rules in config order, so
  // that an operator's explicit rule has the last word.
  static FilterChain forRealm(const Realm& realm);

  FilterChain& add(HeaderFilterPtr filter);
  void apply(sip::Message& message) const;
  size_t size() const { return filters_.size(); }

 private:
  std::vector<HeaderFilterPtr> filters_;
};

// Appends to `to` (in `from`'s order, at the bottom) the header lines of `from` that may
// cross into the realm these rules belong to:
//   - kNeverCopied headers never cross, whatever the lists say;
//   - identity headers (the three built-in ones and any named in `identity`) follow their
//     policy: strip drops them, keep copies them, replace copies one line with our value;
//     built-in ones not named in `identity` are stripped;
//   - whitelist mode: a header crosses when named (kSensitive ones too);
//   - blacklist mode: a header crosses unless named; kSensitive ones never do;
//   - what crosses loses its free text (Reason text=, Session-ID parameters: free_text.h).
// Names compare case-insensitively, compact forms included. `from` and `to` must be
// different messages.
void copyAllowedHeaders(const sip::Message& from, sip::Message& to, const HeaderRules& rules,
                        std::span<const IdentityHeader> identity = {});
// The same with the realm's header rules and identity policy.
void copyAllowedHeaders(const sip::Message& from, sip::Message& to, const Realm& realm);

}  // namespace sbc::topology

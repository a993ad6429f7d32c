#pragma once

// Where a new (out-of-dialog) request goes: the first route, in config order, whose every
// criterion holds. Criteria (all optional, AND-ed; docs/CONFIG.md "routes"):
//   source_realm  the realm the request arrived in, exactly
//   methods       the request method is one of these (case-sensitive, RFC 3261 §7.1)
//   user_prefix   the %-decoded Request-URI user starts with this
//   user_regex    std::regex_search (ECMAScript) on that user; groups become $1..$9
//   to_domain     the To URI host equals this (case-insensitive, IPv6 brackets ignored)
//   from_domain   the From URI host, likewise
// A reject route is matched like any other: the first match decides, forward or reject.
// No match at all is the caller's to answer (404 Not Found is the usual choice).

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "signaling/sip/message.h"
#include "topology/config.h"

namespace sbc::topology {

struct RouteDecision {
  // The matched route, owned by the RouteTable that decided: valid while it lives.
  const Route* route = nullptr;
  // [0] is the whole user_regex match, [1..9] its groups; "" for a group that took no part
  // and for every entry when the route has no user_regex.
  std::array<std::string, 10> captures;
};

class RouteTable {
 public:
  RouteTable() = default;
  explicit RouteTable(const Config& config);
  // `realms` give each forward route's trunk realm its advertised address.
  RouteTable(std::vector<Route> routes, const std::vector<Realm>& realms);

  std::optional<RouteDecision> match(const sip::Message& request,
                                     std::string_view sourceRealm) const;

  // Expands a rewrite template: $1..$9 (captures), $user (the inbound Request-URI user,
  // %-decoded) and $$ (a literal $); other text is copied. The result is decoded text: put
  // it in a URI user part through escapeUser() (the *Uri() helpers below do).
  std::string expand(std::string_view tmpl, const RouteDecision& decision,
                     const sip::Message& request) const;

  // The outbound URIs of a forward route, rewrites applied (no display name, no tag):
  //   Request-URI  sip:<request_uri_user or $user>@<trunk host>:<port>[;transport=tcp];
  //                with request_uri_host set: sip:<user>@<that host> (the request still
  //                goes to the trunk: the next hop is always trunk host:port/transport)
  //   From         sip:<from_user or inbound From user>@<from_host or the outbound
  //                realm's advertised address>
  //   To           sip:<to_user or inbound To user>@<to_host or the trunk host>
  // An empty user leaves out the "user@" part.
  std::string requestUri(const RouteDecision& decision, const sip::Message& request) const;
  std::string fromUri(const RouteDecision& decision, const sip::Message& request) const;
  std::string toUri(const RouteDecision& decision, const sip::Message& request) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
  std::vector<std::string> advertised_;  // per route: its trunk realm's advertised address
};

// Why a rewrite template is invalid ("" when it is fine); `groups` is the number of capture
// groups of the route's user_regex (0 without one).
std::string templateError(std::string_view tmpl, size_t groups);

// The %-decoded user part of a request's Request-URI ("" when it has none).
std::string requestUser(const sip::Message& request);

// Escapes text for the user part of a sip: URI (RFC 3261 §25.1: unreserved and
// user-unreserved characters stay, everything else becomes %HH).
std::string escapeUser(std::string_view user);

}  // namespace sbc::topology

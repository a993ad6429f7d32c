#pragma once

// A route as plain data: what a new request must match, and where it goes (a trunk, with
// rewrites) or how it is rejected. The config loader (config/) fills it; RouteTable
// (route_table.h) applies it.

#include <cstdint>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "topology/realm.h"

namespace sbc::topology {

// Every non-empty criterion must hold (AND); an empty RouteMatch matches every request.
struct RouteMatch {
  std::string sourceRealm;           // empty: any
  std::vector<std::string> methods;  // request method is one of these (case-sensitive); empty: any
  // The Request-URI user below is %-decoded before it is compared.
  std::string userPrefix;               // Request-URI user starts with this; empty: any
  std::optional<std::regex> userRegex;  // regex_search on the Request-URI user ($1..$9)
  std::string userRegexText;
  std::string toDomain;    // To URI host equals (case-insensitive); empty: any
  std::string fromDomain;  // From URI host equals; empty: any
};

struct Trunk {
  std::string realm;  // the realm the trunk is in (sends from its listener)
  std::string host;   // IP literal or hostname
  uint16_t port = 5060;
  Transport transport = Transport::kUdp;
};

// Rewrites applied to the outbound request; each is a template over $1..$9 (captures of
// userRegex), $user (the inbound Request-URI user, %-decoded), $$ (a literal $) and the
// literal text around them. route_table.h builds the outbound URIs from them.
struct Rewrites {
  std::optional<std::string> requestUriUser;
  std::optional<std::string> requestUriHost;  // default: the trunk host
  std::optional<std::string> fromUser;
  std::optional<std::string> fromHost;  // default: the outbound realm's advertised address
  std::optional<std::string> toUser;
  std::optional<std::string> toHost;  // default: the trunk host
};

struct Route {
  std::string name;
  RouteMatch match;
  enum class Action : uint8_t { kForward, kReject };
  Action action = Action::kForward;
  Trunk trunk;               // kForward
  Rewrites rewrites;         // kForward
  int rejectCode = 403;      // kReject
  std::string rejectReason;  // the loader fills in the standard phrase when omitted
  enum class Media : uint8_t { kAnchor, kBypass };
  Media media = Media::kAnchor;  // the default: the SBC anchors the media of every call
};

}  // namespace sbc::topology

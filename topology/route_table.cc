#include "topology/route_table.h"

#include <algorithm>

#include "signaling/sip/charset.h"
#include "signaling/sip/uri.h"

namespace sbc::topology {
namespace {

// std::regex (libstdc++) recurses per input character on some patterns: a user part of a
// few kilobytes could exhaust the stack. Real users are short, so longer ones never match
// a user_regex.
constexpr size_t kMaxRegexSubject = 256;

std::string_view stripBrackets(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    return host.substr(1, host.size() - 2);
  return host;
}

bool sameHost(std::string_view a, std::string_view b) {
  return sip::iequals(stripBrackets(a), stripBrackets(b));
}

// An IPv6 literal needs brackets in a URI host.
std::string uriHost(std::string_view host) {
  if (host.find(':') != std::string_view::npos && host.front() != '[')
    return "[" + std::string(host) + "]";
  return std::string(host);
}

bool domainMatches(const sip::Parsed<sip::NameAddr>& address, std::string_view domain) {
  if (domain.empty()) return true;
  if (!address) return false;
  return sameHost(address.value.uri.host, domain);
}

bool regexMatches(const std::regex& regex, const std::string& user,
                  std::array<std::string, 10>& captures) {
  if (user.size() > kMaxRegexSubject) return false;
  std::smatch m;
  try {
    if (!std::regex_search(user, m, regex)) return false;
  } catch (const std::regex_error&) {
    return false;  // error_complexity / error_stack: treat as no match
  }
  for (size_t i = 0; i < captures.size() && i < m.size(); ++i) {
    if (m[i].matched) captures[i] = m[i].str();
  }
  return true;
}

std::string addressUser(const sip::Parsed<sip::NameAddr>& address) {
  return address ? sip::unescape(address.value.uri.user) : std::string();
}

std::string buildUri(std::string_view user, std::string_view host) {
  std::string uri = "sip:";
  if (!user.empty()) uri.append(escapeUser(user)).append("@");
  uri.append(uriHost(host));
  return uri;
}

}  // namespace

RouteTable::RouteTable(const Config& config) : RouteTable(config.routes, config.realms) {}

RouteTable::RouteTable(std::vector<Route> routes, const std::vector<Realm>& realms)
    : routes_(std::move(routes)) {
  advertised_.reserve(routes_.size());
  for (const Route& route : routes_) {
    auto realm = std::find_if(realms.begin(), realms.end(),
                              [&](const Realm& r) { return r.name == route.trunk.realm; });
    advertised_.push_back(realm != realms.end() ? realm->advertisedAddress : std::string());
  }
}

std::optional<RouteDecision> RouteTable::match(const sip::Message& request,
                                               std::string_view sourceRealm) const {
  // Parsed once per request, on demand, however many routes look at them.
  std::optional<std::string> user;
  std::optional<sip::Parsed<sip::NameAddr>> from;
  std::optional<sip::Parsed<sip::NameAddr>> to;
  for (const Route& route : routes_) {
    const RouteMatch& m = route.match;
    if (!m.sourceRealm.empty() && m.sourceRealm != sourceRealm) continue;
    if (!m.methods.empty() &&
        std::find(m.methods.begin(), m.methods.end(), request.method()) == m.methods.end())
      continue;
    if (!m.userPrefix.empty() || m.userRegex) {
      if (!user) user = requestUser(request);
      if (!user->starts_with(m.userPrefix)) continue;
    }
    if (!m.toDomain.empty()) {
      if (!to) to = request.to();
      if (!domainMatches(*to, m.toDomain)) continue;
    }
    if (!m.fromDomain.empty()) {
      if (!from) from = request.from();
      if (!domainMatches(*from, m.fromDomain)) continue;
    }
    RouteDecision decision;
    decision.route = &route;
    if (m.userRegex && !regexMatches(*m.userRegex, *user, decision.captures)) continue;
    return decision;
  }
  return std::nullopt;
}

std::string RouteTable::expand(std::string_view tmpl, const RouteDecision& decision,
                               const sip::Message& request) const {
  std::string out;
  out.reserve(tmpl.size());
  for (size_t i = 0; i < tmpl.size(); ++i) {
    char c = tmpl[i];
    std::string_view rest = tmpl.substr(i + 1);
    if (c != '$' || rest.empty()) {
      out.push_back(c);
    } else if (rest[0] == '$') {
      out.push_back('$');
      ++i;
    } else if (rest[0] >= '1' && rest[0] <= '9') {
      out.append(decision.captures[static_cast<size_t>(rest[0] - '0')]);
      ++i;
    } else if (rest.starts_with("user")) {
      out.append(requestUser(request));
      i += 4;
    } else {
      out.push_back(c);  // the loader rejects this; at run time it stays literal
    }
  }
  return out;
}

std::string RouteTable::requestUri(const RouteDecision& decision,
                                   const sip::Message& request) const {
  const Route& route = *decision.route;
  const Rewrites& rw = route.rewrites;
  std::string user =
      rw.requestUriUser ? expand(*rw.requestUriUser, decision, request) : requestUser(request);
  if (rw.requestUriHost) return buildUri(user, expand(*rw.requestUriHost, decision, request));
  std::string uri = buildUri(user, route.trunk.host);
  uri.append(":").append(std::to_string(route.trunk.port));
  if (route.trunk.transport == Transport::kTcp) uri.append(";transport=tcp");
  return uri;
}

std::string RouteTable::fromUri(const RouteDecision& decision, const sip::Message& request) const {
  const Rewrites& rw = decision.route->rewrites;
  std::string user =
      rw.fromUser ? expand(*rw.fromUser, decision, request) : addressUser(request.from());
  std::string host;
  if (rw.fromHost) {
    host = expand(*rw.fromHost, decision, request);
  } else {
    auto index = static_cast<size_t>(decision.route - routes_.data());
    if (index < advertised_.size()) host = advertised_[index];
  }
  return buildUri(user, host);
}

std::string RouteTable::toUri(const RouteDecision& decision, const sip::Message& request) const {
  const Route& route = *decision.route;
  const Rewrites& rw = route.rewrites;
  std::string user = rw.toUser ? expand(*rw.toUser, decision, request) : addressUser(request.to());
  std::string host = rw.toHost ? expand(*rw.toHost, decision, request) : route.trunk.host;
  return buildUri(user, host);
}

std::string templateError(std::string_view tmpl, size_t groups) {
  for (size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl[i] != '$') continue;
    std::string_view rest = tmpl.substr(i + 1);
    if (!rest.empty() && rest[0] == '$') {
      ++i;
    } else if (!rest.empty() && rest[0] >= '1' && rest[0] <= '9') {
      auto group = static_cast<size_t>(rest[0] - '0');
      if (groups == 0) {
        return "'$" + std::string(1, rest[0]) + "' needs a user_regex with a capture group";
      }
      if (group > groups) {
        return "'$" + std::string(1, rest[0]) + "' refers to group " + std::to_string(group) +
               " but user_regex has " + std::to_string(groups) +
               (groups == 1 ? " group" : " groups");
      }
      ++i;
    } else if (rest.starts_with("user")) {
      i += 4;
    } else {
      return "'$' must be followed by 1-9, 'user' or '$' (write '$$' for a literal '$')";
    }
  }
  return {};
}

std::string requestUser(const sip::Message& request) {
  sip::Parsed<sip::Uri> uri = request.requestUriParsed();
  return uri ? sip::unescape(uri.value.user) : std::string();
}

std::string escapeUser(std::string_view user) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(user.size());
  for (char c : user) {
    if (sip::is(c, sip::kUnreserved | sip::kUserUnreserved)) {
      out.push_back(c);
    } else {
      auto b = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 0xf]);
    }
  }
  return out;
}

}  // namespace sbc::topology

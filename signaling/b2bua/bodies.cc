// Bodies crossing the legs: SDP anchored in plain and multipart bodies, other parts kept
// only where the receiving realm allows them (issue 14, defect 11).

#include "signaling/b2bua/bodies.h"

#include <spdlog/spdlog.h>

#include <vector>

#include "signaling/b2bua/b2bua_impl.h"
#include "signaling/b2bua/message_util.h"

namespace sbc::b2bua {
namespace {

bool isMultipart(const sip::MediaType& t) {
  return sip::iequals(t.type, "multipart");
}

bool isSdpType(const sip::MediaType& t) {
  return t.matches("application", "sdp");
}

// The parts of a message's body: one for a plain body (its Content-Type and
// Content-Disposition), the parts of a multipart one. nullptr, or why the multipart body is
// malformed.
const char* partsOf(const sip::Message& m, std::vector<sip::BodyPart>& parts) {
  parts.clear();
  sip::Parsed<sip::MediaType> ct = m.contentType();
  if (!ct || !isMultipart(ct.value)) {
    parts.push_back(sip::BodyPart{ct ? m.header(sip::HeaderId::kContentType) : std::string_view(),
                                  m.header(sip::HeaderId::kContentDisposition), m.body()});
    return nullptr;
  }
  std::string_view boundary;
  if (const char* err = sip::multipartBoundary(ct.value, boundary)) return err;
  return sip::parseMultipart(m.body(), boundary, kMultipartLimits, parts);
}

}  // namespace

std::optional<std::string_view> sdpBody(const sip::Message& m) {
  if (m.body().empty()) return std::nullopt;
  std::vector<sip::BodyPart> parts;
  if (partsOf(m, parts)) return std::nullopt;
  for (const sip::BodyPart& p : parts) {
    sip::MediaType t;
    if (!p.contentType.empty() && !sip::parseMediaType(p.contentType, false, t) && isSdpType(t))
      return p.body;
  }
  return std::nullopt;
}

bool bodyAllowed(const topology::Realm& realm, const sip::MediaType& type) {
  for (const std::string& allowed : realm.bodies) {
    std::string_view a = allowed;
    size_t slash = a.find('/');
    if (slash != std::string_view::npos && sip::iequals(a.substr(0, slash), type.type) &&
        sip::iequals(a.substr(slash + 1), type.subtype))
      return true;
  }
  return false;
}

// The body of `src` as leg `to` may see it, put in `dst`: the first SDP (plain or a part)
// through sdpFor, the other parts when `to`'s realm allows their type, nothing else. False
// with `error` and `code` (400 malformed multipart; sdpFor's 488/503) when it cannot cross.
bool B2bua::Impl::crossBody(Call& call, Side to, const sip::Message& src, sip::Message& dst,
                            std::string& error, int& code) {
  if (src.body().empty()) return true;
  Leg& leg = call.leg(to);
  std::vector<sip::BodyPart> parts;
  if (const char* err = partsOf(src, parts)) {
    ++call.leg(other(to)).realm->edge.malformedBodies;
    error = err;
    code = 400;
    return false;
  }
  std::string sdp;  // owns the anchored SDP the kept part points to
  bool haveSdp = false;
  std::vector<sip::BodyPart> kept;
  size_t removed = 0;
  for (const sip::BodyPart& p : parts) {
    sip::MediaType type;
    bool typed = !p.contentType.empty() && !sip::parseMediaType(p.contentType, false, type);
    if (typed && isSdpType(type) && !haveSdp) {
      std::optional<std::string> body =
          sdpFor(call, to, p.body, sdpRole(call, to, src), error, code);
      if (!body) return false;
      sdp = std::move(*body);  // not touched again: the kept part points into it
      haveSdp = true;
      kept.push_back(sip::BodyPart{"application/sdp", {}, sdp});
    } else if (typed && !isSdpType(type) && !isMultipart(type) && leg.realm->config &&
               bodyAllowed(*leg.realm->config, type)) {
      kept.push_back(p);
    } else {
      ++removed;  // a second SDP, a nested multipart, an untyped or unlisted part
    }
  }
  if (removed) {
    leg.realm->edge.bodyPartsRemoved += removed;
    spdlog::debug("event=body_parts_removed call={} leg={} removed={}", call.id, sideName(to),
                  removed);
  }
  if (kept.empty()) return true;
  if (kept.size() == 1) {
    // A part that crosses keeps its disposition (RFC 6086 INFO packages name theirs).
    dst.setBody(kept.front().body, kept.front().contentType);
    if (!kept.front().contentDisposition.empty())
      dst.setHeader(sip::HeaderId::kContentDisposition, kept.front().contentDisposition);
    return true;
  }
  // A boundary of our own: the sender's could carry anything, and it must appear in no
  // kept part.
  std::string boundary;
  bool clash = true;
  while (clash) {
    boundary = "sbc-" + randomToken(24);
    clash = false;
    for (const sip::BodyPart& p : kept)
      clash |= p.body.find(boundary) != std::string_view::npos;
  }
  dst.setBody(sip::buildMultipart(kept, boundary), "multipart/mixed;boundary=" + boundary);
  return true;
}

}  // namespace sbc::b2bua

#include "signaling/b2bua/srtp_policy.h"

#include <algorithm>
#include <span>

#include "signaling/b2bua/media_anchor.h"
#include "signaling/sip/random_token.h"

namespace sbc::b2bua {
namespace {

using mediaplane::SrtpKeys;
using mediaplane::SrtpMasterKey;
using mediaplane::SrtpSuite;
using topology::SrtpMode;

enum class Profile : uint8_t { kOther, kAvp, kSavp, kDtls };

// RTP/AVP(F) and RTP/SAVP(F) (RFC 3551, 3711, 4585, 5124); the DTLS-SRTP profiles of RFC
// 5764 and its TCP variants; anything else (udptl, TCP/MSRP, ...) is not RTP.
Profile profileOf(std::string_view proto, bool& feedback) {
  feedback = !proto.empty() && proto.back() == 'F';
  std::string_view base = feedback ? proto.substr(0, proto.size() - 1) : proto;
  if (base == "RTP/AVP") return Profile::kAvp;
  if (base == "RTP/SAVP") return Profile::kSavp;
  if (base.ends_with("/RTP/SAVP") && base.find("TLS/") != std::string_view::npos)
    return Profile::kDtls;
  return Profile::kOther;
}

std::string_view protoFor(bool srtp, bool feedback) {
  if (srtp) return feedback ? "RTP/SAVPF" : "RTP/SAVP";
  return feedback ? "RTP/AVPF" : "RTP/AVP";
}

const topology::RealmSrtp& policyOf(const CallMedia& call, size_t side) {
  static const topology::RealmSrtp kDefault;
  const topology::Realm* r = call.realms[side];
  return r && r->media ? r->media->srtp : kDefault;
}

bool allowed(const topology::RealmSrtp& p, SrtpSuite s) {
  return std::find(p.suites.begin(), p.suites.end(), s) != p.suites.end();
}

SrtpMasterKey freshKey(SrtpSuite suite) {
  SrtpMasterKey k;
  k.length = static_cast<uint8_t>(mediaplane::srtpMasterKeyLength(suite));
  sip::randomBytes(std::span<uint8_t>(k.bytes.data(), k.length));
  return k;
}

// The SBC's key for `side` with `suite`: the one it sends with already when the suite is
// unchanged (a re-offer, hold, resume: no re-key), else a new one.
SrtpMasterKey sbcKey(const SrtpSide& side, SrtpSuite suite) {
  if (side.active && side.active->suite == suite) return side.active->send;
  return freshKey(suite);
}

// "tag 1 FOO: unknown crypto suite": what a Warning may say of a line (no key material;
// the suite is a token, cut short).
std::string describe(const sdp::SdesLine& l, const char* reason) {
  std::string s = "tag " + std::to_string(l.tag);
  if (!l.suite.empty()) s += " " + std::string(l.suite.substr(0, 32));
  return s + ": " + reason;
}

void addReason(std::string& reasons, size_t& count, const std::string& r) {
  if (++count > 4) return;  // the Warning stays short
  if (!reasons.empty()) reasons += "; ";
  reasons += r;
}

}  // namespace

bool planSrtpOffer(const CallMedia& call, size_t from, size_t to, const sdp::SessionDescription& sd,
                   std::vector<SrtpOfferLine>& plan, std::string& error) {
  const topology::RealmSrtp& mine = policyOf(call, from);
  const topology::RealmSrtp& theirs = policyOf(call, to);
  plan.assign(sd.mediaCount(), {});
  for (size_t i = 0; i < sd.mediaCount(); ++i) {
    const sdp::MediaDescription& md = sd.media(i);
    SrtpOfferLine& line = plan[i];
    Profile profile = profileOf(md.proto(), line.feedback);
    if (profile == Profile::kOther || md.port() == 0) continue;
    if (profile == Profile::kDtls) {
      error = "DTLS-SRTP is not supported";
      return false;
    }
    line.rtp = true;
    if (profile == Profile::kAvp) {
      if (mine.mode == SrtpMode::kRequired) {
        error = "SRTP required in this realm";
        return false;
      }
    } else {
      if (mine.mode == SrtpMode::kOff) {
        error = "SRTP is off in this realm";
        return false;
      }
      std::string reasons;
      size_t count = 0;
      // The offerer lists its lines in its preference order (RFC 4568 §7.1.1).
      for (std::string_view value : md.attributes("crypto")) {
        sdp::SdesLine l = sdp::parseSdesCrypto(value);
        if (!l.usable()) {
          addReason(reasons, count, describe(l, l.unusable));
        } else if (!allowed(mine, l.crypto.suite)) {
          addReason(reasons, count, describe(l, "suite not enabled in this realm"));
        } else {
          line.peer = l.crypto;
          break;
        }
      }
      if (!line.peer) {
        if (count == 0) reasons = "no a=crypto line";
        error = "no usable SRTP crypto suite (" + reasons + ")";
        return false;
      }
    }
    line.offerSrtp = theirs.mode == SrtpMode::kRequired ||
                     (theirs.mode == SrtpMode::kOptional && line.peer.has_value());
  }
  return true;
}

void applySrtpOffer(CallMedia& call, size_t from, size_t to, sdp::SessionDescription& sd,
                    const std::vector<SrtpOfferLine>& plan) {
  const topology::RealmSrtp& theirs = policyOf(call, to);
  for (size_t i = 0; i < plan.size() && i < call.streams.size(); ++i) {
    const SrtpOfferLine& line = plan[i];
    sdp::MediaDescription& md = sd.media(i);
    // The offerer's keys stay on its leg, whatever the line.
    md.removeCryptos();
    AnchoredStream& s = call.streams[i];
    SrtpSide& offerer = s.srtp[from];
    SrtpSide& answerer = s.srtp[to];
    offerer.answering.reset();
    offerer.answeringTag = 0;
    answerer.offered.clear();
    s.rtp = line.rtp;
    if (!line.rtp) continue;
    if (line.peer) {
      offerer.answering =
          SrtpKeys{line.peer->suite, line.peer->key, sbcKey(offerer, line.peer->suite)};
      offerer.answeringTag = line.peer->tag;
    }
    if (line.offerSrtp) {
      uint32_t tag = 0;
      for (SrtpSuite suite : theirs.suites)
        answerer.offered.push_back(sdp::SdesCrypto{++tag, suite, sbcKey(answerer, suite)});
    }
    // setProto only fails for text that is not a token; these are constants.
    (void)md.setProto(protoFor(line.offerSrtp, line.feedback));
    for (const sdp::SdesCrypto& c : answerer.offered)
      (void)md.addAttribute("crypto", sdp::formatSdesCrypto(c));
  }
  call.offerFrom = from;
}

bool planSrtpAnswer(const CallMedia& call, size_t from, size_t /*to*/,
                    const sdp::SessionDescription& sd, std::vector<SrtpAnswerLine>& plan,
                    std::string& error) {
  plan.assign(sd.mediaCount(), {});
  for (size_t i = 0; i < sd.mediaCount() && i < call.streams.size(); ++i) {
    const sdp::MediaDescription& md = sd.media(i);
    SrtpAnswerLine& line = plan[i];
    Profile profile = profileOf(md.proto(), line.feedback);
    const AnchoredStream& s = call.streams[i];
    const SrtpSide& answerer = s.srtp[from];
    // Only the lines the offer had as RTP with a port take part.
    line.rtp = s.rtp;
    if (!line.rtp) continue;
    if (md.port() == 0) {
      line.rejected = true;
      continue;
    }
    std::string where = sd.mediaCount() > 1 ? "m-line " + std::to_string(i) + ": " : "";
    if (answerer.offered.empty()) {
      if (profile != Profile::kAvp) {
        error = "SRTP answer unusable (" + where + "plain RTP was offered, " +
                std::string(md.proto().substr(0, 32)) + " answered)";
        return false;
      }
      continue;
    }
    if (profile != Profile::kSavp) {
      error = "SRTP answer unusable (" + where + "RTP/SAVP was offered, " +
              std::string(md.proto().substr(0, 32)) + " answered)";
      return false;
    }
    std::vector<std::string_view> lines = md.attributes("crypto");
    if (lines.size() != 1) {
      error = "SRTP answer unusable (" + where + std::to_string(lines.size()) +
              " a=crypto lines, one expected)";
      return false;
    }
    sdp::SdesLine l = sdp::parseSdesCrypto(lines[0]);
    const char* reason = l.unusable;
    if (!reason) {
      auto offered = std::find_if(answerer.offered.begin(), answerer.offered.end(),
                                  [&](const sdp::SdesCrypto& c) { return c.tag == l.crypto.tag; });
      if (offered == answerer.offered.end()) {
        reason = "tag not offered";
      } else if (offered->suite != l.crypto.suite) {
        reason = "suite differs from the offered tag's";
      }
    }
    if (reason) {
      error = "SRTP answer unusable (" + where + describe(l, reason) + ")";
      return false;
    }
    line.peer = l.crypto;
  }
  return true;
}

void applySrtpAnswer(CallMedia& call, size_t from, size_t to, sdp::SessionDescription& sd,
                     const std::vector<SrtpAnswerLine>& plan) {
  for (size_t i = 0; i < plan.size() && i < call.streams.size(); ++i) {
    const SrtpAnswerLine& line = plan[i];
    sdp::MediaDescription& md = sd.media(i);
    md.removeCryptos();
    if (!line.rtp) continue;
    AnchoredStream& s = call.streams[i];
    SrtpSide& answerer = s.srtp[from];
    SrtpSide& offerer = s.srtp[to];
    bool offererSrtp = offerer.answering.has_value();
    // The answer carries the profile the offerer offered (RFC 3264 §6).
    (void)md.setProto(protoFor(offererSrtp, line.feedback));
    if (line.rejected) {
      answerer.active.reset();
      offerer.active.reset();
      continue;
    }
    if (line.peer) {
      auto offered =
          std::find_if(answerer.offered.begin(), answerer.offered.end(),
                       [&](const sdp::SdesCrypto& c) { return c.tag == line.peer->tag; });
      answerer.active = SrtpKeys{line.peer->suite, line.peer->key, offered->key};
    } else {
      answerer.active.reset();
    }
    offerer.active = offerer.answering;
    if (offererSrtp) {
      (void)md.addAttribute(
          "crypto", sdp::formatSdesCrypto(sdp::SdesCrypto{
                        offerer.answeringTag, offerer.answering->suite, offerer.answering->send}));
    }
  }
}

}  // namespace sbc::b2bua

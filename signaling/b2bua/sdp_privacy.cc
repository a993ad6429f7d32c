#include "signaling/b2bua/sdp_privacy.h"

namespace sbc::b2bua {
namespace {

// Descriptive lines that name people, hosts or equipment (RFC 4566 §5.4-5.6).
constexpr char kDescriptive[] = {'i', 'u', 'e', 'p'};

void hideLevel(sdp::Section& level, std::string_view cname) {
  for (char type : kDescriptive)
    level.removeLines(type);
  level.removeAttribute("tool");
  // The CNAME is SBC-made text, valid by construction: this cannot fail.
  (void)level.setSsrcCnames(cname);
}

}  // namespace

void hideSdpIdentity(sdp::SessionDescription& sd, std::string_view cname) {
  hideLevel(sd, cname);
  for (sdp::MediaDescription& m : sd.media())
    hideLevel(m, cname);
  (void)sd.setSessionName("-");
}

}  // namespace sbc::b2bua

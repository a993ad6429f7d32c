#include "mediaplane/api/media_plane.h"

namespace sbc::mediaplane {

std::string_view dropReasonName(DropReason r) {
  switch (r) {
    case DropReason::kMalformed:
      return "malformed";
    case DropReason::kNoSession:
      return "no_session";
    case DropReason::kUnexpectedSource:
      return "unexpected_source";
    case DropReason::kNoRoute:
      return "no_route";
    case DropReason::kTxFull:
      return "tx_full";
    case DropReason::kCount:
      break;
  }
  return "?";
}

}  // namespace sbc::mediaplane

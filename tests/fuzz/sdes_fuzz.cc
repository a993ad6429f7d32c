// libFuzzer target for the SDES a=crypto reader (signaling/sdp/crypto.h): any text gives a
// usable line or a reason, never a crash; a usable line carries exactly its suite's key
// length and formats into a line that reads back the same; an unusable one carries no key.
// The strict base64 decoder must agree with the encoder on whatever it accepts.

#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

#include "signaling/sdp/crypto.h"

namespace {

using sbc::sdp::SdesLine;

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  SdesLine l = sbc::sdp::parseSdesCrypto(text);
  if (l.usable()) {
    check(l.crypto.key.length == sbc::mediaplane::srtpMasterKeyLength(l.crypto.suite));
    check(l.tag == l.crypto.tag && l.tag <= 999999999);
    std::string again = sbc::sdp::formatSdesCrypto(l.crypto);
    SdesLine back = sbc::sdp::parseSdesCrypto(again);
    check(back.usable());
    check(back.crypto.tag == l.crypto.tag && back.crypto.suite == l.crypto.suite &&
          back.crypto.key == l.crypto.key);
  } else {
    check(l.unusable[0] != '\0');
    check(l.crypto.key == sbc::mediaplane::SrtpMasterKey{});
  }
  // The decoder on the raw input: what it accepts encodes back to the same text.
  uint8_t out[96];
  size_t n = 0;
  if (sbc::sdp::base64Decode(text, out, n)) {
    check(n <= sizeof(out));
    check(sbc::sdp::base64Encode(std::span<const uint8_t>(out, n)) == text);
  }
  return 0;
}

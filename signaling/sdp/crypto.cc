#include "signaling/sdp/crypto.h"

#include "signaling/sdp/fields.h"

#include <array>

namespace sbc::sdp {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// The 6-bit value of a base64 character, -1 for anything else.
int sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

bool isWsp(char c) {
  return c == ' ' || c == '\t';
}

bool isDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] + 32) : a[i];
    char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] + 32) : b[i];
    if (x != y) return false;
  }
  return true;
}

// RFC 4568 §6.1: lifetime = ["2^"] 1*(DIGIT), in packets. The SBC keeps a key until the
// next offer/answer, so it takes only lifetimes that libsrtp's own limits (2^31 SRTCP,
// 2^48 SRTP packets) reach first: 2^n with n >= 31, or a number at least 2^31.
bool lifetimeAcceptable(std::string_view s) {
  constexpr uint64_t kMin = uint64_t{1} << 31;
  if (s.size() > 2 && s[0] == '2' && s[1] == '^') {
    std::string_view n = s.substr(2);
    if (!isDigits(n) || n.size() > 3) return false;
    uint32_t v = 0;
    for (char c : n)
      v = v * 10 + static_cast<uint32_t>(c - '0');
    return v >= 31;
  }
  if (!isDigits(s)) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (v > (UINT64_MAX - 9) / 10) return true;  // beyond 64 bits: far above the minimum
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v >= kMin;
}

// RFC 4568 §6.3.7: WSH=<window size>, at least 64 (the replay window the relay keeps
// anyway; a larger one asked for is not needed to interwork).
bool isWsh(std::string_view p) {
  return p.size() > 4 && p.substr(0, 4) == "WSH=" && isDigits(p.substr(4)) && p.size() <= 4 + 9;
}

}  // namespace

std::string base64Encode(std::span<const uint8_t> bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  size_t left = bytes.size() - i;
  if (left == 1) {
    uint32_t v = uint32_t{bytes[i]} << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (left == 2) {
    uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

bool base64Decode(std::string_view text, std::span<uint8_t> out, size_t& length) {
  if (text.empty() || text.size() % 4 != 0) return false;
  size_t pad = 0;
  if (text.back() == '=') pad = text[text.size() - 2] == '=' ? 2 : 1;
  size_t bytes = text.size() / 4 * 3 - pad;
  if (bytes > out.size()) return false;
  size_t n = 0;
  for (size_t i = 0; i < text.size(); i += 4) {
    bool last = i + 4 == text.size();
    std::array<int, 4> s{};
    for (size_t j = 0; j < 4; ++j) {
      bool padding = last && j >= 4 - pad;
      s[j] = padding ? (text[i + j] == '=' ? 0 : -1) : sextet(text[i + j]);
      if (s[j] < 0) return false;
    }
    uint32_t v =
        (uint32_t(s[0]) << 18) | (uint32_t(s[1]) << 12) | (uint32_t(s[2]) << 6) | uint32_t(s[3]);
    // Strict: the bits padding leaves over must be zero (one text per byte string).
    if (last && pad == 2 && (v & 0xffff) != 0) return false;
    if (last && pad == 1 && (v & 0xff) != 0) return false;
    out[n++] = static_cast<uint8_t>(v >> 16);
    if (!(last && pad == 2)) out[n++] = static_cast<uint8_t>(v >> 8);
    if (!(last && pad >= 1)) out[n++] = static_cast<uint8_t>(v);
  }
  length = n;
  return true;
}

SdesLine parseSdesCrypto(std::string_view value) {
  SdesLine line;
  if (value.empty() || isWsp(value.front())) {
    line.unusable = "tag missing";
    return line;
  }
  // The grammar (tag, suite, key-params, session-params) is the SDP layer's; what SDES
  // and the relay can run is checked here.
  Crypto c;
  if (const char* malformed = parseCrypto(value, c)) {
    line.unusable = malformed;
    return line;
  }
  line.tag = c.tag;
  line.crypto.tag = c.tag;
  line.suite = c.suite;
  std::string_view keyParams = c.keyParams;
  std::string_view rest = c.sessionParams;
  std::optional<mediaplane::SrtpSuite> suite = mediaplane::srtpSuiteFromName(line.suite);
  if (!suite) {
    line.unusable = "unknown crypto suite";
    return line;
  }
  line.crypto.suite = *suite;
  if (keyParams.find(';') != std::string_view::npos) {
    line.unusable = "more than one key is not supported";
    return line;
  }
  size_t colon = keyParams.find(':');
  if (colon == std::string_view::npos || !iequals(keyParams.substr(0, colon), "inline")) {
    line.unusable = "key method must be inline";
    return line;
  }
  // srtp-key-info = key-salt ["|" lifetime] ["|" mki]; mki = mki-value ":" mki-length.
  std::string_view info = keyParams.substr(colon + 1);
  std::array<std::string_view, 3> parts{};
  size_t count = 0;
  while (true) {
    size_t bar = info.find('|');
    if (count == parts.size()) {
      line.unusable = "malformed key-params";
      return line;
    }
    parts[count++] = info.substr(0, bar);
    if (bar == std::string_view::npos) break;
    info.remove_prefix(bar + 1);
  }
  for (size_t i = 1; i + 1 < count; ++i) {
    if (parts[i].find(':') != std::string_view::npos) {
      line.unusable = "malformed key-params";  // the MKI comes last
      return line;
    }
  }
  if (count > 1 && parts[count - 1].find(':') != std::string_view::npos) {
    line.unusable = "MKI not supported";
    return line;
  }
  for (size_t i = 1; i < count; ++i) {
    if (i != 1 || !lifetimeAcceptable(parts[i])) {
      line.unusable = "key lifetime not supported (below 2^31 or malformed)";
      return line;
    }
  }
  size_t length = 0;
  mediaplane::SrtpMasterKey& key = line.crypto.key;
  if (!base64Decode(parts[0], key.bytes, length)) {
    line.unusable = "key is not valid base64 of the suite's key and salt length";
    key = {};
    return line;
  }
  if (length != mediaplane::srtpMasterKeyLength(*suite)) {
    line.unusable = "key is not valid base64 of the suite's key and salt length";
    key = {};
    return line;
  }
  key.length = static_cast<uint8_t>(length);
  for (std::string_view p = nextField(rest); !p.empty(); p = nextField(rest)) {
    if (isWsh(p)) continue;  // the replay window: the relay's own is used
    line.unusable = "session parameter not supported";
    key = {};
    return line;
  }
  return line;
}

std::string formatSdesCrypto(const SdesCrypto& c) {
  std::string s = std::to_string(c.tag);
  s += ' ';
  s += mediaplane::srtpSuiteName(c.suite);
  s += " inline:";
  s += base64Encode(std::span<const uint8_t>(c.key.bytes.data(), c.key.length));
  return s;
}

}  // namespace sbc::sdp

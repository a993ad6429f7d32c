#include "signaling/sdp/section.h"

#include <algorithm>
#include <charconv>

namespace sbc::sdp {
namespace {

bool isAttribute(const Line& l, std::string_view name) {
  return l.type == 'a' && splitAttribute(l.value).name == name;
}

// The first SP/HTAB-separated field of `s`.
std::string_view firstField(std::string_view s) {
  size_t e = 0;
  while (e < s.size() && s[e] != ' ' && s[e] != '\t')
    ++e;
  return s.substr(0, e);
}

// "a=<name>:<format> ..." lines that belong to one format of the m= line.
bool isFormatAttribute(const Line& l, std::string_view format) {
  if (l.type != 'a') return false;
  Attribute a = splitAttribute(l.value);
  if (a.name != "rtpmap" && a.name != "fmtp" && a.name != "rtcp-fb") return false;
  return firstField(a.value) == format;
}

std::string attributeLine(std::string_view name, std::string_view value) {
  std::string s;
  s.reserve(name.size() + 1 + value.size());
  s.append(name).append(":").append(value);
  return s;
}

const char* checkNewAttribute(std::string_view name, std::string_view value, bool hasValue) {
  if (!isToken(name)) return "attribute name is not a token";
  if (const char* err = checkLineText(value)) return err;
  if (!hasValue && (name == "rtpmap" || name == "rtcp" || name == "crypto")) {
    return "this attribute needs a value";
  }
  return checkAttribute(name, value);
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Section

const Line* Section::findLine(char type) const {
  for (const Line& l : lines_) {
    if (l.type == type) return &l;
  }
  return nullptr;
}

std::vector<Line>::iterator Section::findAttribute(std::string_view name) {
  return std::find_if(lines_.begin(), lines_.end(),
                      [name](const Line& l) { return isAttribute(l, name); });
}

std::vector<Line>::const_iterator Section::findAttribute(std::string_view name) const {
  return std::find_if(lines_.begin(), lines_.end(),
                      [name](const Line& l) { return isAttribute(l, name); });
}

template <class Pred>
size_t Section::removeLinesIf(Pred pred, size_t from) {
  auto it = std::remove_if(lines_.begin() + static_cast<std::ptrdiff_t>(from), lines_.end(), pred);
  size_t n = static_cast<size_t>(lines_.end() - it);
  lines_.erase(it, lines_.end());
  return n;
}

void Section::appendLine(char type, std::string value) {
  lines_.push_back(Line{type, LineEnd::kDefault, std::move(value)});
}

void Section::putAttribute(std::string_view name, std::string lineValue) {
  auto it = findAttribute(name);
  if (it == lines_.end()) {
    appendLine('a', std::move(lineValue));
    return;
  }
  it->value = std::move(lineValue);
  // `name` may have viewed into the replaced line: read it back from the new one.
  std::string_view kept = splitAttribute(it->value).name;
  size_t next = static_cast<size_t>(it - lines_.begin()) + 1;
  removeLinesIf([kept](const Line& l) { return isAttribute(l, kept); }, next);
}

std::optional<std::string_view> Section::attribute(std::string_view name) const {
  auto it = findAttribute(name);
  if (it == lines_.end()) return std::nullopt;
  return splitAttribute(it->value).value;
}

std::vector<std::string_view> Section::attributes(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const Line& l : lines_) {
    if (l.type != 'a') continue;
    Attribute a = splitAttribute(l.value);
    if (a.name == name) out.push_back(a.value);
  }
  return out;
}

const char* Section::addAttribute(std::string_view name) {
  if (const char* err = checkNewAttribute(name, {}, false)) return err;
  appendLine('a', std::string(name));
  return nullptr;
}

const char* Section::addAttribute(std::string_view name, std::string_view value) {
  if (const char* err = checkNewAttribute(name, value, true)) return err;
  appendLine('a', attributeLine(name, value));
  return nullptr;
}

const char* Section::setAttribute(std::string_view name) {
  if (const char* err = checkNewAttribute(name, {}, false)) return err;
  putAttribute(name, std::string(name));
  return nullptr;
}

const char* Section::setAttribute(std::string_view name, std::string_view value) {
  if (const char* err = checkNewAttribute(name, value, true)) return err;
  putAttribute(name, attributeLine(name, value));
  return nullptr;
}

size_t Section::removeAttribute(std::string_view name) {
  // Lines move while they are removed: `name` must not view into one of them.
  std::string n(name);
  return removeLinesIf([&n](const Line& l) { return isAttribute(l, n); });
}

size_t Section::removeIceAttributes() {
  return removeLinesIf(
      [](const Line& l) { return l.type == 'a' && isIceAttribute(splitAttribute(l.value).name); });
}

size_t Section::removeLines(char type) {
  if (std::string_view("vostcm").find(type) != std::string_view::npos) return 0;
  return removeLinesIf([type](const Line& l) { return l.type == type; });
}

const char* Section::setSsrcCnames(std::string_view cname) {
  if (cname.empty()) return "empty cname";
  if (const char* err = checkLineText(cname)) return err;
  std::string name(cname);  // `cname` may view into a line rewritten below
  for (Line& l : lines_) {
    if (!isAttribute(l, "ssrc")) continue;
    std::string_view value = splitAttribute(l.value).value;
    std::string_view id = firstField(value);
    std::string_view rest = value.substr(id.size());
    size_t start = rest.find_first_not_of(" \t");
    if (start == std::string_view::npos || rest.substr(start, 6) != "cname:") continue;
    l.value = "ssrc:" + std::string(id) + " cname:" + name;
  }
  return nullptr;
}

std::optional<Connection> Section::connection() const {
  const Line* l = findLine('c');
  Connection c;
  if (l == nullptr || parseConnection(l->value, c) != nullptr) return std::nullopt;
  return c;
}

const char* Section::setConnection(const Connection& c) {
  if (const char* err = checkConnection(c)) return err;
  std::string value = formatConnection(c);

  auto first =
      std::find_if(lines_.begin(), lines_.end(), [](const Line& l) { return l.type == 'c'; });
  if (first != lines_.end()) {
    first->value = std::move(value);
    size_t next = static_cast<size_t>(first - lines_.begin()) + 1;
    removeLinesIf([](const Line& l) { return l.type == 'c'; }, next);
    return nullptr;
  }
  // RFC 4566 order: session "v o s i u e p c b t r z k a", media "m i c b k a".
  auto at = std::find_if(lines_.begin(), lines_.end(), [](const Line& l) {
    return std::string_view("btrzka").find(l.type) != std::string_view::npos;
  });
  lines_.insert(at, Line{'c', LineEnd::kDefault, std::move(value)});
  return nullptr;
}

std::optional<Direction> Section::direction() const {
  for (const Line& l : lines_) {
    if (l.type != 'a') continue;
    if (auto d = directionFromName(splitAttribute(l.value).name)) return d;
  }
  return std::nullopt;
}

void Section::setDirection(Direction d) {
  auto isDirection = [](const Line& l) {
    return l.type == 'a' && directionFromName(splitAttribute(l.value).name).has_value();
  };
  auto first = std::find_if(lines_.begin(), lines_.end(), isDirection);
  if (first == lines_.end()) {
    appendLine('a', std::string(directionName(d)));
    return;
  }
  first->value = std::string(directionName(d));
  size_t next = static_cast<size_t>(first - lines_.begin()) + 1;
  removeLinesIf(isDirection, next);
}

// ---------------------------------------------------------------------------------------
// MediaDescription

MediaField MediaDescription::mediaField() const {
  MediaField m;
  // The m= line was validated by the parser or written by a validating setter.
  (void)parseMediaField(media_.value, m);
  return m;
}

uint16_t MediaDescription::port() const {
  // The second field, read without building the format list.
  std::string_view s = media_.value;
  size_t b = s.find_first_not_of(" \t");
  b = s.find_first_of(" \t", b);
  b = s.find_first_not_of(" \t", b);
  if (b == std::string_view::npos) return 0;
  uint32_t port = 0;
  std::from_chars(s.data() + b, s.data() + s.size(), port);
  return static_cast<uint16_t>(port);
}

void MediaDescription::setPort(uint16_t port) {
  std::string_view s = media_.value;
  size_t b = s.find_first_not_of(" \t");
  b = s.find_first_not_of(" \t", s.find_first_of(" \t", b));
  if (b == std::string_view::npos) return;
  size_t e = b;
  while (e < s.size() && s[e] >= '0' && s[e] <= '9')
    ++e;
  char buf[8];
  auto r = std::to_chars(buf, buf + sizeof(buf), port);
  media_.value.replace(b, e - b, buf, static_cast<size_t>(r.ptr - buf));
}

const char* MediaDescription::setProto(std::string_view proto) {
  if (proto.empty()) return "proto is not a token";
  MediaField m = mediaField();
  m.proto = proto;
  std::string value = formatMediaField(m);
  if (const char* err = checkLineText(value)) return err;
  MediaField check;
  if (const char* err = parseMediaField(value, check)) return err;
  if (check.proto != proto) return "proto is not a token";
  media_.value = std::move(value);
  return nullptr;
}

const char* MediaDescription::setFormats(std::span<const std::string_view> formats) {
  MediaField m = mediaField();
  m.formats.assign(formats.begin(), formats.end());
  for (std::string_view f : formats) {
    if (!isToken(f)) return "format is not a token";
  }
  std::string value = formatMediaField(m);
  MediaField check;
  if (const char* err = parseMediaField(value, check)) return err;
  media_.value = std::move(value);
  return nullptr;
}

const char* MediaDescription::removeFormat(std::string_view format) {
  MediaField m = mediaField();
  auto it = std::find(m.formats.begin(), m.formats.end(), format);
  if (it == m.formats.end()) return "format is not in the m= line";
  if (m.formats.size() == 1) return "cannot remove the last format of an m= line";
  m.formats.erase(it);
  // `format` may view into a line about to change: compare against a copy.
  std::string fmt(format);
  media_.value = formatMediaField(m);
  removeLinesIf([&fmt](const Line& l) { return isFormatAttribute(l, fmt); });
  return nullptr;
}

std::optional<RtpMap> MediaDescription::rtpmap(uint8_t payloadType) const {
  for (const Line& l : lines_) {
    if (l.type != 'a') continue;
    Attribute a = splitAttribute(l.value);
    RtpMap r;
    if (a.name == "rtpmap" && parseRtpMap(a.value, r) == nullptr && r.payloadType == payloadType) {
      return r;
    }
  }
  return std::nullopt;
}

std::vector<RtpMap> MediaDescription::rtpmaps() const {
  std::vector<RtpMap> out;
  for (const Line& l : lines_) {
    if (l.type != 'a') continue;
    Attribute a = splitAttribute(l.value);
    RtpMap r;
    if (a.name == "rtpmap" && parseRtpMap(a.value, r) == nullptr) out.push_back(r);
  }
  return out;
}

const char* MediaDescription::setRtpmap(const RtpMap& r) {
  std::string value = formatRtpMap(r);
  if (const char* err = checkLineText(value)) return err;
  RtpMap check;
  if (const char* err = parseRtpMap(value, check)) return err;
  if (check.encoding != r.encoding) return "encoding name missing or not a token";
  std::string line = attributeLine("rtpmap", value);
  for (Line& l : lines_) {
    if (l.type != 'a') continue;
    Attribute a = splitAttribute(l.value);
    RtpMap old;
    if (a.name == "rtpmap" && parseRtpMap(a.value, old) == nullptr &&
        old.payloadType == r.payloadType) {
      l.value = std::move(line);
      return nullptr;
    }
  }
  appendLine('a', std::move(line));
  return nullptr;
}

std::optional<std::string_view> MediaDescription::fmtp(std::string_view format) const {
  for (const Line& l : lines_) {
    if (l.type != 'a') continue;
    Attribute a = splitAttribute(l.value);
    std::string_view f, params;
    if (a.name == "fmtp" && parseFmtp(a.value, f, params) == nullptr && f == format) {
      return params;
    }
  }
  return std::nullopt;
}

std::optional<std::string_view> MediaDescription::fmtp(uint8_t payloadType) const {
  char buf[4];
  auto r = std::to_chars(buf, buf + sizeof(buf), payloadType);
  return fmtp(std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
}

const char* MediaDescription::setFmtp(std::string_view format, std::string_view params) {
  if (!isToken(format)) return "format missing or not a token";
  if (const char* err = checkLineText(params)) return err;
  std::string line;
  line.reserve(5 + format.size() + 1 + params.size());
  line.append("fmtp:").append(format);
  if (!params.empty()) line.append(" ").append(params);
  for (Line& l : lines_) {
    if (l.type != 'a') continue;
    Attribute a = splitAttribute(l.value);
    std::string_view f, p;
    if (a.name == "fmtp" && parseFmtp(a.value, f, p) == nullptr && f == format) {
      l.value = std::move(line);
      return nullptr;
    }
  }
  appendLine('a', std::move(line));
  return nullptr;
}

std::optional<Rtcp> MediaDescription::rtcp() const {
  auto it = findAttribute("rtcp");
  Rtcp r;
  if (it == lines_.end() || parseRtcp(splitAttribute(it->value).value, r) != nullptr) {
    return std::nullopt;
  }
  return r;
}

const char* MediaDescription::setRtcp(const Rtcp& r) {
  std::string value = formatRtcp(r);
  if (const char* err = checkLineText(value)) return err;
  Rtcp check;
  if (const char* err = parseRtcp(value, check)) return err;
  putAttribute("rtcp", attributeLine("rtcp", value));
  return nullptr;
}

void MediaDescription::setRtcpMux(bool on) {
  if (!on) {
    removeAttribute("rtcp-mux");
  } else if (!rtcpMux()) {
    appendLine('a', "rtcp-mux");
  }
}

std::vector<Crypto> MediaDescription::cryptos() const {
  std::vector<Crypto> out;
  for (const Line& l : lines_) {
    if (l.type != 'a') continue;
    Attribute a = splitAttribute(l.value);
    Crypto c;
    if (a.name == "crypto" && parseCrypto(a.value, c) == nullptr) out.push_back(c);
  }
  return out;
}

const char* MediaDescription::addCrypto(const Crypto& c) {
  std::string value = formatCrypto(c);
  if (const char* err = checkLineText(value)) return err;
  Crypto check;
  if (const char* err = parseCrypto(value, check)) return err;
  if (check.suite != c.suite || check.keyParams != c.keyParams) {
    return "crypto-suite and key-params must not contain blanks";
  }
  appendLine('a', attributeLine("crypto", value));
  return nullptr;
}

}  // namespace sbc::sdp

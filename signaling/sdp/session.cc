#include "signaling/sdp/session.h"

#include <algorithm>
#include <utility>

namespace sbc::sdp {
namespace {

bool isLower(char c) {
  return c >= 'a' && c <= 'z';
}

std::string_view trimRight(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// True when `s` is a run of CRLF / LF: the blank lines some endpoints leave at the end.
bool isOnlyLineEnds(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n') continue;
    if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') continue;
    return false;
  }
  return true;
}

std::string_view eolText(LineEnd end, LineEnd fallback) {
  if (end == LineEnd::kDefault) end = fallback;
  return end == LineEnd::kLf ? std::string_view("\n") : std::string_view("\r\n");
}

ParseError fail(uint32_t line, std::string_view what, const char* reason = nullptr) {
  ParseError e;
  e.line = line;
  e.reason.assign(what);
  if (reason != nullptr) e.reason.append(reason);
  return e;
}

// Decimal text plus one ("9" -> "10").
std::string increment(std::string_view digits) {
  std::string s(digits);
  for (size_t i = s.size(); i-- > 0;) {
    if (s[i] != '9') {
      ++s[i];
      return s;
    }
    s[i] = '0';
  }
  s.insert(s.begin(), '1');
  return s;
}

}  // namespace

std::string ParseError::toString() const {
  if (line == 0) return reason;
  return "line " + std::to_string(line) + ": " + reason;
}

ParseResult SessionDescription::parse(std::string_view text) {
  if (text.empty()) return fail(0, "empty session description");
  if (text.size() > kMaxBytes) return fail(0, "session description larger than 65536 bytes");

  SessionDescription sd;
  sd.lines_.reserve(8);
  size_t mediaGuess = 0;
  for (size_t p = text.find("\nm="); p != std::string_view::npos; p = text.find("\nm=", p + 1)) {
    ++mediaGuess;
  }
  sd.media_.reserve(mediaGuess);

  Section* level = &sd;
  bool haveO = false;
  bool haveS = false;
  bool haveT = false;
  bool sessionC = false;
  bool mediaC = false;
  uint32_t mediaLineNo = 0;

  // Called where the session level ends (first m= or end of input).
  auto checkSessionLevel = [&]() -> std::optional<ParseError> {
    if (!haveO) return fail(0, "missing o= line at session level");
    if (!haveS) return fail(0, "missing s= line at session level");
    if (!haveT) return fail(0, "missing t= line at session level");
    return std::nullopt;
  };
  // Called where a media section ends (next m= or end of input). RFC 4566 §5.7.
  auto checkMediaSection = [&]() -> std::optional<ParseError> {
    if (!mediaC && !sessionC) {
      return fail(mediaLineNo, "no c= line in this media section and none at session level");
    }
    return std::nullopt;
  };

  uint32_t lineNo = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t start = pos;
    if (++lineNo > kMaxLines) return fail(lineNo, "more than 1000 lines");
    size_t nl = text.find('\n', pos);
    std::string_view raw;
    LineEnd end = LineEnd::kDefault;
    if (nl == std::string_view::npos) {
      raw = text.substr(pos);
      pos = text.size();
    } else {
      raw = text.substr(pos, nl - pos);
      pos = nl + 1;
      end = LineEnd::kLf;
      if (!raw.empty() && raw.back() == '\r') {
        raw.remove_suffix(1);
        end = LineEnd::kCrlf;
      }
    }

    if (raw.empty()) {
      if (lineNo > 1 && isOnlyLineEnds(text.substr(start))) {
        sd.trailer_.assign(text.substr(start));
        break;
      }
      return fail(lineNo, lineNo == 1 ? "first line must be v=0" : "empty line");
    }
    char type = raw[0];
    if (raw.size() < 2 || raw[1] != '=') {
      return fail(lineNo, "line is not of the form <type>=<value>");
    }
    if (!isLower(type)) return fail(lineNo, "line type must be a single lowercase letter a-z");
    std::string_view value = raw.substr(2);
    if (value.find('\r') != std::string_view::npos) {
      return fail(lineNo, "CR without LF (lines must end with CRLF or LF)");
    }
    if (const char* err = checkLineText(value)) return fail(lineNo, err);

    if (lineNo == 1) {
      if (type != 'v' || trimRight(value) != "0") return fail(lineNo, "first line must be v=0");
      sd.eol_ = end == LineEnd::kLf ? LineEnd::kLf : LineEnd::kCrlf;
      sd.lines_.push_back(Line{type, end, std::string(value)});
      continue;
    }

    bool inMedia = level != &sd;
    switch (type) {
      case 'v':
        return fail(lineNo, "v= must be the first line and appear only once");
      case 'o': {
        if (inMedia) return fail(lineNo, "o= line inside a media section");
        if (haveO) return fail(lineNo, "duplicate o= line");
        Origin o;
        if (const char* err = parseOrigin(value, o)) {
          return fail(lineNo, "malformed o= line: ", err);
        }
        haveO = true;
        break;
      }
      case 's':
        if (inMedia) return fail(lineNo, "s= line inside a media section");
        if (haveS) return fail(lineNo, "duplicate s= line");
        haveS = true;
        break;
      case 't':
        // Kept opaque; only its presence at session level matters here.
        if (!inMedia) haveT = true;
        break;
      case 'c': {
        Connection c;
        if (const char* err = parseConnection(value, c)) {
          return fail(lineNo, "malformed c= line: ", err);
        }
        if (inMedia) {
          mediaC = true;
        } else {
          if (sessionC) return fail(lineNo, "duplicate c= line at session level");
          sessionC = true;
        }
        break;
      }
      case 'm': {
        if (!inMedia) {
          if (auto e = checkSessionLevel()) return std::move(*e);
        } else if (auto e = checkMediaSection()) {
          return std::move(*e);
        }
        MediaField m;
        if (const char* err = parseMediaField(value, m)) {
          return fail(lineNo, "malformed m= line: ", err);
        }
        MediaDescription& md = sd.media_.emplace_back();
        md.media_ = Line{type, end, std::string(value)};
        md.lines_.reserve(16);
        level = &md;
        mediaC = false;
        mediaLineNo = lineNo;
        continue;
      }
      case 'a': {
        Attribute a = splitAttribute(value);
        if (!isToken(a.name)) {
          return fail(lineNo, "malformed a= line: attribute name missing or not a token");
        }
        if (const char* err = checkAttribute(a.name, a.value)) {
          ParseError e = fail(lineNo, "malformed a=");
          e.reason.append(a.name).append(": ").append(err);
          return e;
        }
        break;
      }
      default:
        // i= u= e= p= b= r= z= k= and letters RFC 4566 does not define: kept as they are.
        break;
    }
    level->lines_.push_back(Line{type, end, std::string(value)});
  }

  if (level == &sd) {
    if (auto e = checkSessionLevel()) return std::move(*e);
  } else if (auto e = checkMediaSection()) {
    return std::move(*e);
  }
  return ParseResult(std::move(sd));
}

void SessionDescription::serializeTo(std::string& out) const {
  size_t size = trailer_.size();
  for (const Line& l : lines_) {
    size += l.value.size() + 4;
  }
  for (const MediaDescription& m : media_) {
    size += m.media_.value.size() + 4;
    for (const Line& l : m.lines_) {
      size += l.value.size() + 4;
    }
  }
  out.reserve(out.size() + size);

  auto put = [&](const Line& l) {
    out += l.type;
    out += '=';
    out += l.value;
    out += eolText(l.end, eol_);
  };
  for (const Line& l : lines_) {
    put(l);
  }
  for (const MediaDescription& m : media_) {
    put(m.media_);
    for (const Line& l : m.lines_) {
      put(l);
    }
  }
  out += trailer_;
}

std::string SessionDescription::serialize() const {
  std::string out;
  serializeTo(out);
  return out;
}

std::optional<Origin> SessionDescription::origin() const {
  const Line* l = findLine('o');
  Origin o;
  if (l == nullptr || parseOrigin(l->value, o) != nullptr) return std::nullopt;
  return o;
}

const char* SessionDescription::setOrigin(const Origin& o) {
  std::string value = formatOrigin(o);
  if (const char* err = checkLineText(value)) return err;
  Origin check;
  if (const char* err = parseOrigin(value, check)) return err;
  for (Line& l : lines_) {
    if (l.type == 'o') {
      l.value = std::move(value);
      return nullptr;
    }
  }
  // RFC 4566 order: o= follows v=.
  auto at = lines_.begin();
  if (at != lines_.end() && at->type == 'v') ++at;
  lines_.insert(at, Line{'o', LineEnd::kDefault, std::move(value)});
  return nullptr;
}

bool SessionDescription::bumpVersion() {
  for (Line& l : lines_) {
    if (l.type != 'o') continue;
    Origin o;
    if (parseOrigin(l.value, o) != nullptr) return false;
    size_t off = static_cast<size_t>(o.sessionVersion.data() - l.value.data());
    size_t len = o.sessionVersion.size();
    std::string next = increment(o.sessionVersion);
    l.value.replace(off, len, next);
    return true;
  }
  return false;
}

std::string_view SessionDescription::sessionName() const {
  const Line* l = findLine('s');
  return l == nullptr ? std::string_view() : std::string_view(l->value);
}

const char* SessionDescription::setSessionName(std::string_view name) {
  if (name.empty()) return "empty session name";
  if (const char* err = checkLineText(name)) return err;
  for (Line& l : lines_) {
    if (l.type == 's') {
      l.value = std::string(name);
      return nullptr;
    }
  }
  return "no s= line";  // parse() guarantees one
}

Direction SessionDescription::effectiveDirection(size_t mediaIndex) const {
  if (auto d = media_[mediaIndex].direction()) return *d;
  if (auto d = direction()) return *d;
  return Direction::kSendRecv;
}

std::optional<Connection> SessionDescription::effectiveConnection(size_t mediaIndex) const {
  if (auto c = media_[mediaIndex].connection()) return c;
  return connection();
}

const char* SessionDescription::rewriteConnections(const Connection& c) {
  // `c` may view into the c= lines about to change: write it out once, then use the copy.
  if (const char* err = checkConnection(c)) return err;
  std::string text = formatConnection(c);
  Connection copy;
  (void)parseConnection(text, copy);

  bool any = hasConnection();
  if (any) (void)setConnection(copy);
  for (MediaDescription& m : media_) {
    if (m.hasConnection()) {
      (void)m.setConnection(copy);
      any = true;
    }
  }
  if (!any) (void)setConnection(copy);
  return nullptr;
}

size_t SessionDescription::stripIce() {
  size_t n = removeIceAttributes();
  for (MediaDescription& m : media_) {
    n += m.removeIceAttributes();
  }
  return n;
}

}  // namespace sbc::sdp

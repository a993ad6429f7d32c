#include "signaling/sip/message.h"

#include <charconv>

namespace sbc::sip {
namespace {

constexpr std::array<std::string_view, 15> kMethodNames = {
    "",       "INVITE", "ACK",       "BYE",    "CANCEL", "OPTIONS", "REGISTER", "PRACK",
    "UPDATE", "INFO",   "SUBSCRIBE", "NOTIFY", "REFER",  "MESSAGE", "PUBLISH",
};

}  // namespace

Method methodFromName(std::string_view name) {
  for (size_t i = 1; i < kMethodNames.size(); ++i) {
    if (kMethodNames[i] == name) return static_cast<Method>(i);
  }
  return Method::kUnknown;
}

std::string_view methodName(Method m) {
  return kMethodNames[static_cast<size_t>(m)];
}

Message Message::request(std::string_view method, std::string_view requestUri) {
  Message m;
  m.clear();
  m.kind_ = Kind::kRequest;
  m.startEdited_ = true;
  m.method_ = m.appendEdit(method);
  m.methodId_ = methodFromName(method);
  m.uri_ = m.appendEdit(requestUri);
  m.version_ = m.appendEdit("SIP/2.0");
  return m;
}

Message Message::response(int status, std::string_view reason) {
  Message m;
  m.clear();
  m.kind_ = Kind::kResponse;
  m.startEdited_ = true;
  m.version_ = m.appendEdit("SIP/2.0");
  m.status_ = status;
  m.reason_ = m.appendEdit(reason);
  return m;
}

void Message::clear() {
  raw_.clear();
  edits_.clear();
  fields_.clear();
  first_.fill(kNone);
  rawEnd_ = 0;
  kind_ = Kind::kRequest;
  methodId_ = Method::kUnknown;
  startEdited_ = bodyEdited_ = false;
  status_ = 0;
  startLine_ = method_ = uri_ = version_ = reason_ = headerEnd_ = body_ = Span{};
}

Span Message::appendEdit(std::string_view text) {
  Span s{static_cast<uint32_t>(edits_.size()), static_cast<uint32_t>(text.size())};
  edits_.append(text);
  return s;
}

const HeaderField* Message::first(HeaderId id) const {
  uint16_t i = first_[static_cast<size_t>(id)];
  return i == kNone ? nullptr : &fields_[i];
}

size_t Message::count(HeaderId id) const {
  uint16_t start = first_[static_cast<size_t>(id)];
  if (start == kNone) return 0;
  size_t n = 0;
  for (size_t i = start; i < fields_.size(); ++i)
    n += fields_[i].id == id && !fields_[i].removed;
  return n;
}

std::string_view Message::header(HeaderId id) const {
  const HeaderField* f = first(id);
  return f ? value(*f) : std::string_view{};
}

std::string_view Message::header(std::string_view headerName) const {
  HeaderId id = lookupHeader(headerName);
  if (id != HeaderId::kUnknown) return header(id);
  for (const HeaderField& f : fields_) {
    if (!f.removed && f.id == HeaderId::kUnknown && iequals(name(f), headerName)) return value(f);
  }
  return {};
}

namespace {
template <class T>
Parsed<T> missing(const char* what) {
  Parsed<T> p;
  p.error = what;
  p.present = false;
  return p;
}
}  // namespace

Parsed<CSeq> Message::cseq() const {
  const HeaderField* f = first(HeaderId::kCSeq);
  if (!f) return missing<CSeq>("missing CSeq");
  Parsed<CSeq> p;
  p.error = parseCSeq(value(*f), p.value);
  return p;
}

Parsed<NameAddr> Message::address(HeaderId id) const {
  const HeaderField* f = first(id);
  if (!f) return missing<NameAddr>("header missing");
  Parsed<NameAddr> p;
  p.error = parseNameAddr(value(*f), AddressForm::kNameAddrOrSpec, p.value);
  return p;
}

Parsed<Via> Message::topVia() const {
  const HeaderField* f = first(HeaderId::kVia);
  if (!f) return missing<Via>("missing Via");
  Parsed<Via> p;
  p.error = parseFirstVia(value(*f), p.value);
  return p;
}

Parsed<uint32_t> Message::number(HeaderId id, uint32_t max) const {
  const HeaderField* f = first(id);
  if (!f) return missing<uint32_t>("header missing");
  Parsed<uint32_t> p;
  uint64_t v = 0;
  p.error = parseNumber(value(*f), max, v);
  p.value = static_cast<uint32_t>(v);
  return p;
}

Parsed<MediaType> Message::contentType() const {
  const HeaderField* f = first(HeaderId::kContentType);
  if (!f) return missing<MediaType>("missing Content-Type");
  Parsed<MediaType> p;
  p.error = parseMediaType(value(*f), false, p.value);
  return p;
}

Parsed<Uri> Message::requestUriParsed() const {
  Parsed<Uri> p;
  if (!isRequest()) return missing<Uri>("not a request");
  p.error = parseUri(requestUri(), p.value);
  return p;
}

void Message::reindex() {
  first_.fill(kNone);
  for (size_t i = fields_.size(); i-- > 0;) {
    if (!fields_[i].removed) first_[static_cast<size_t>(fields_[i].id)] = static_cast<uint16_t>(i);
  }
}

void Message::setRequestUri(std::string_view uri) {
  // Re-encode the whole start line from its parts; the other parts are copied first so
  // that they survive in the edit buffer.
  std::string method(this->method());
  std::string version(this->version());
  startEdited_ = true;
  method_ = appendEdit(method);
  uri_ = appendEdit(uri);
  version_ = appendEdit(version);
}

void Message::setStatus(int status, std::string_view reason) {
  std::string version(this->version());
  startEdited_ = true;
  status_ = status;
  version_ = appendEdit(version);
  reason_ = appendEdit(reason);
}

void Message::setFieldValue(size_t index, std::string_view newValue) {
  HeaderField& f = fields_[index];
  std::string nameText(f.id == HeaderId::kUnknown ? name(f) : headerInfo(f.id).name);
  f.name = appendEdit(nameText);
  f.value = appendEdit(newValue);
  f.edited = true;
}

void Message::setHeader(HeaderId id, std::string_view newValue) {
  uint16_t at = first_[static_cast<size_t>(id)];
  if (at == kNone) {
    addHeader(id, newValue);
    return;
  }
  setFieldValue(at, newValue);
  for (size_t i = at + 1u; i < fields_.size(); ++i) {
    if (fields_[i].id == id) fields_[i].removed = true;
  }
}

void Message::setHeader(std::string_view headerName, std::string_view newValue) {
  HeaderId id = lookupHeader(headerName);
  if (id != HeaderId::kUnknown) return setHeader(id, newValue);
  bool done = false;
  for (size_t i = 0; i < fields_.size(); ++i) {
    HeaderField& f = fields_[i];
    if (f.removed || f.id != HeaderId::kUnknown || !iequals(name(f), headerName)) continue;
    if (done) {
      f.removed = true;
    } else {
      setFieldValue(i, newValue);
      done = true;
    }
  }
  if (!done) addHeader(headerName, newValue);
}

void Message::insertField(size_t at, HeaderField f) {
  fields_.insert(fields_.begin() + static_cast<std::ptrdiff_t>(at), f);
  reindex();
}

void Message::addHeader(HeaderId id, std::string_view newValue, Where where) {
  HeaderField f;
  f.id = id;
  f.edited = true;
  f.name = appendEdit(headerInfo(id).name);
  f.value = appendEdit(newValue);
  size_t at = fields_.size();
  if (where == Where::kTop) {
    uint16_t existing = first_[static_cast<size_t>(id)];
    at = existing == kNone ? 0 : existing;
  }
  insertField(at, f);
}

void Message::addHeader(std::string_view headerName, std::string_view newValue, Where where) {
  HeaderId id = lookupHeader(headerName);
  if (id != HeaderId::kUnknown) return addHeader(id, newValue, where);
  HeaderField f;
  f.edited = true;
  f.name = appendEdit(headerName);
  f.value = appendEdit(newValue);
  size_t at = fields_.size();
  if (where == Where::kTop) {
    at = 0;
    for (size_t i = 0; i < fields_.size(); ++i) {
      if (!fields_[i].removed && fields_[i].id == HeaderId::kUnknown &&
          iequals(name(fields_[i]), headerName)) {
        at = i;
        break;
      }
    }
  }
  insertField(at, f);
}

size_t Message::removeHeader(HeaderId id) {
  size_t n = 0;
  for (HeaderField& f : fields_) {
    if (f.id == id && !f.removed) {
      f.removed = true;
      ++n;
    }
  }
  if (n) first_[static_cast<size_t>(id)] = kNone;
  return n;
}

size_t Message::removeHeader(std::string_view headerName) {
  HeaderId id = lookupHeader(headerName);
  if (id != HeaderId::kUnknown) return removeHeader(id);
  size_t n = 0;
  for (HeaderField& f : fields_) {
    if (!f.removed && f.id == HeaderId::kUnknown && iequals(name(f), headerName)) {
      f.removed = true;
      ++n;
    }
  }
  return n;
}

void Message::removeField(size_t index) {
  fields_[index].removed = true;
  reindex();
}

void Message::setBody(std::string_view newBody, std::string_view contentType) {
  body_ = appendEdit(newBody);
  bodyEdited_ = true;
  char digits[16];
  auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), newBody.size());
  (void)ec;
  setHeader(HeaderId::kContentLength, std::string_view(digits, static_cast<size_t>(end - digits)));
  if (!contentType.empty()) {
    setHeader(HeaderId::kContentType, contentType);
  } else if (newBody.empty()) {
    removeHeader(HeaderId::kContentType);
  }
}

void Message::serializeTo(std::string& out) const {
  out.reserve(out.size() + rawEnd_ + edits_.size() + 64);
  if (!startEdited_) {
    out.append(raw_, startLine_.off, startLine_.len);
  } else if (isRequest()) {
    out.append(method())
        .append(" ")
        .append(requestUri())
        .append(" ")
        .append(version())
        .append("\r\n");
  } else {
    char code[8];
    auto [end, ec] = std::to_chars(code, code + sizeof(code), status_);
    (void)ec;
    out.append(version())
        .append(" ")
        .append(code, end)
        .append(" ")
        .append(reasonPhrase())
        .append("\r\n");
  }
  for (const HeaderField& f : fields_) {
    if (f.removed) continue;
    if (!f.edited) {
      out.append(raw_, f.line.off, f.line.len);
    } else {
      out.append(name(f)).append(": ").append(value(f)).append("\r\n");
    }
  }
  if (headerEnd_.len) {
    out.append(raw_, headerEnd_.off, headerEnd_.len);
  } else {
    out.append("\r\n");
  }
  out.append(body());
}

std::string Message::serialize() const {
  std::string out;
  serializeTo(out);
  return out;
}

}  // namespace sbc::sip

#include "signaling/sip/header_id.h"

#include <array>

namespace sbc::sip {
namespace {

// Indexed by HeaderId. `single` marks the headers whose duplication makes a message
// ambiguous (RFC 4475 §3.3.8): the validator rejects a second instance.
constexpr std::array<HeaderInfo, kHeaderIdCount> kInfo = {{
    {"", 0, false, false},  // kUnknown
    {"Accept", 0, true, false},
    {"Accept-Contact", 'a', true, false},
    {"Accept-Encoding", 0, true, false},
    {"Accept-Language", 0, true, false},
    {"Alert-Info", 0, true, false},
    {"Allow", 0, true, false},
    {"Allow-Events", 'u', true, false},
    {"Authentication-Info", 0, false, false},
    {"Authorization", 0, false, false},
    {"Call-ID", 'i', false, true},
    {"Call-Info", 0, true, false},
    {"Contact", 'm', true, false},
    {"Content-Disposition", 0, false, false},
    {"Content-Encoding", 'e', true, false},
    {"Content-Language", 0, true, false},
    {"Content-Length", 'l', false, true},
    {"Content-Type", 'c', false, true},
    {"CSeq", 0, false, true},
    {"Date", 0, false, false},
    {"Error-Info", 0, true, false},
    {"Event", 'o', false, false},
    {"Expires", 0, false, false},
    {"From", 'f', false, true},
    {"Identity", 'y', false, false},
    {"Identity-Info", 'n', false, false},
    {"In-Reply-To", 0, true, false},
    {"Max-Forwards", 0, false, true},
    {"Min-Expires", 0, false, false},
    {"Min-SE", 0, false, false},
    {"MIME-Version", 0, false, false},
    {"Organization", 0, false, false},
    {"P-Asserted-Identity", 0, true, false},
    {"P-Preferred-Identity", 0, true, false},
    {"Path", 0, true, false},
    {"Priority", 0, false, false},
    {"Privacy", 0, false, false},
    {"Proxy-Authenticate", 0, false, false},
    {"Proxy-Authorization", 0, false, false},
    {"Proxy-Require", 0, true, false},
    {"RAck", 0, false, true},
    {"RSeq", 0, false, true},
    {"Reason", 0, true, false},
    {"Record-Route", 0, true, false},
    {"Refer-To", 'r', false, false},
    {"Referred-By", 'b', false, false},
    {"Reject-Contact", 'j', true, false},
    {"Replaces", 0, false, false},
    {"Reply-To", 0, false, false},
    {"Request-Disposition", 'd', true, false},
    {"Require", 0, true, false},
    {"Retry-After", 0, false, false},
    {"Route", 0, true, false},
    {"Server", 0, false, false},
    {"Service-Route", 0, true, false},
    {"Session-Expires", 'x', false, false},
    {"Subject", 's', false, false},
    {"Subscription-State", 0, false, false},
    {"Supported", 'k', true, false},
    {"Timestamp", 0, false, false},
    {"To", 't', false, true},
    {"Unsupported", 0, true, false},
    {"User-Agent", 0, false, false},
    {"Via", 'v', true, false},
    {"Warning", 0, true, false},
    {"WWW-Authenticate", 0, false, false},
}};

static_assert(kInfo.back().name == "WWW-Authenticate", "kInfo must list every HeaderId in order");

// (length, first letter) -> the few ids with that shape, so that a lookup compares the
// name against one candidate in the common case. Header lookup runs for every line of
// every message, so it is worth the table.
struct NameIndex {
  static constexpr size_t kMaxLen = 24;
  static constexpr size_t kPerSlot = 4;
  std::array<std::array<std::array<HeaderId, kPerSlot>, 26>, kMaxLen + 1> ids{};
  std::array<HeaderId, 26> compact{};
};

constexpr int letterIndex(char c) {
  c = static_cast<char>(c | 0x20);
  return (c >= 'a' && c <= 'z') ? c - 'a' : -1;
}

constexpr NameIndex makeIndex() {
  NameIndex index{};
  for (size_t i = 1; i < kHeaderIdCount; ++i) {
    const HeaderInfo& info = kInfo[i];
    auto& slot = index.ids[info.name.size()][static_cast<size_t>(letterIndex(info.name[0]))];
    size_t n = 0;
    while (slot[n] != HeaderId::kUnknown)
      ++n;  // a full slot fails constant evaluation
    slot[n] = static_cast<HeaderId>(i);
    if (info.compact)
      index.compact[static_cast<size_t>(info.compact - 'a')] = static_cast<HeaderId>(i);
  }
  return index;
}

constexpr NameIndex kIndex = makeIndex();

// Case-insensitive compare against a canonical name made of letters and '-': OR-ing 0x20
// folds exactly the upper-case letters, once control characters (CR | 0x20 == '-') are
// excluded.
bool sameName(std::string_view name, std::string_view canonical) {
  for (size_t i = 0; i < name.size(); ++i) {
    if ((name[i] | 0x20) != (canonical[i] | 0x20) || static_cast<unsigned char>(name[i]) <= 0x20)
      return false;
  }
  return true;
}

}  // namespace

const HeaderInfo& headerInfo(HeaderId id) {
  return kInfo[static_cast<size_t>(id)];
}

bool allowsEmptyList(HeaderId id) {
  switch (id) {
    case HeaderId::kAccept:
    case HeaderId::kAcceptEncoding:
    case HeaderId::kAcceptLanguage:
    case HeaderId::kAllow:
    case HeaderId::kSupported:
      return true;
    default:
      return false;
  }
}

HeaderId lookupHeader(std::string_view name) {
  if (name.empty() || name.size() > NameIndex::kMaxLen) return HeaderId::kUnknown;
  int letter = letterIndex(name[0]);
  if (letter < 0) return HeaderId::kUnknown;
  if (name.size() == 1) return kIndex.compact[static_cast<size_t>(letter)];
  for (HeaderId id : kIndex.ids[name.size()][static_cast<size_t>(letter)]) {
    if (id == HeaderId::kUnknown) break;
    if (sameName(name, kInfo[static_cast<size_t>(id)].name)) return id;
  }
  return HeaderId::kUnknown;
}

}  // namespace sbc::sip

#include "signaling/transaction/matching.h"

#include "signaling/sip/charset.h"

namespace sbc::transaction {
namespace {

constexpr std::string_view kLegacyPrefix = "2543\n";

// Tokens compare case-insensitively (§7.3.1): branch and sent-by are kept lowercase.
void appendLower(std::string& out, std::string_view s) {
  for (char c : s)
    out += sip::toLower(c);
}

}  // namespace

std::string clientKey(std::string_view branch, std::string_view method) {
  std::string key;
  key.reserve(branch.size() + method.size() + 1);
  appendLower(key, branch);
  key += '\n';
  key.append(method);
  return key;
}

std::string serverKey(const sip::Message& request, std::string_view method) {
  sip::Parsed<sip::Via> via = request.topVia();
  if (!via) return {};
  std::string key;
  if (via.value.hasMagicCookie()) {
    appendLower(key, via.value.branch);
    key += '\n';
    appendLower(key, via.value.host);
    if (via.value.hasPort) key += ':' + std::to_string(via.value.port);
  } else {
    sip::Parsed<sip::CSeq> cseq = request.cseq();
    key.append(kLegacyPrefix);
    key.append(request.requestUri()).append("\n");
    key.append(request.from().value.tag()).append("\n");
    key.append(request.callId()).append("\n");
    key.append(std::to_string(cseq.value.number)).append("\n");
    key.append(via.value.text);
  }
  key += '\n';
  key.append(method);
  return key;
}

bool isLegacyKey(std::string_view key) {
  return key.substr(0, kLegacyPrefix.size()) == kLegacyPrefix;
}

std::string mergeKey(const sip::Message& request) {
  sip::Parsed<sip::CSeq> cseq = request.cseq();
  std::string key(request.from().value.tag());
  key += '\n';
  key.append(request.callId()).append("\n");
  key.append(std::to_string(cseq.value.number)).append(" ");
  key.append(cseq.value.method);
  return key;
}

}  // namespace sbc::transaction

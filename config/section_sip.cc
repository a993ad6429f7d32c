// The sip section: timers, Max-Forwards, no-answer timeout, response map, User-Agent,
// transaction table caps.

#include <algorithm>
#include <string>
#include <vector>

#include "config/sections.h"
#include "topology/header_filter.h"

namespace sbc::config {
namespace {

using topology::isHeaderValue;

class SipSection : public Schema {
 public:
  void sipSettings(const Entry& e, SipSettings& out);

  explicit SipSection(Schema& s) : Schema(s) {}
};

void SipSection::sipSettings(const Entry& e, SipSettings& out) {
  const std::string owner = "sip";
  Fields f(*this, e, owner, "",
           {"timers", "max_forwards", "no_answer_timeout_s", "response_map", "user_agent",
            "max_server_transactions", "max_client_transactions", "timer_c_s", "max_calls",
            "max_dialogs", "max_media_lines"});
  if (const Entry* timers = f.get("timers")) {
    Fields t(*this, *timers, owner, "timers", {"t1_ms", "t2_ms", "t4_ms"});
    if (const Entry* v = t.get("t1_ms")) {
      if (auto n = number(*v, owner, t.what("t1_ms"), 1, 60000))
        out.t1 = std::chrono::milliseconds(*n);
    }
    const Entry* t2 = t.get("t2_ms");
    if (t2) {
      if (auto n = number(*t2, owner, t.what("t2_ms"), 1, 600000))
        out.t2 = std::chrono::milliseconds(*n);
    }
    if (const Entry* v = t.get("t4_ms")) {
      if (auto n = number(*v, owner, t.what("t4_ms"), 1, 600000))
        out.t4 = std::chrono::milliseconds(*n);
    }
    if (out.t2 < out.t1) {
      error(t2 ? t2->mark : t.mark(), owner,
            "timers t2_ms " + std::to_string(out.t2.count()) + " must not be below t1_ms " +
                std::to_string(out.t1.count()));
    }
  }
  if (const Entry* v = f.get("max_forwards")) {
    if (auto n = number(*v, owner, "max_forwards", 1, 255)) out.maxForwards = uint32_t(*n);
  }
  if (const Entry* v = f.get("no_answer_timeout_s")) {
    if (auto n = number(*v, owner, "no_answer_timeout_s", 1, 86400))
      out.noAnswerTimeout = std::chrono::seconds(*n);
  }
  if (const Entry* v = f.get("timer_c_s")) {
    if (auto n = number(*v, owner, "timer_c_s", 1, 86400)) out.timerC = std::chrono::seconds(*n);
  }
  if (const Entry* v = f.get("max_calls")) {
    if (auto n = number(*v, owner, "max_calls", 1, 10000000)) out.maxCalls = uint32_t(*n);
  }
  const Entry* dialogs = f.get("max_dialogs");
  if (dialogs) {
    if (auto n = number(*dialogs, owner, "max_dialogs", 2, 20000000)) out.maxDialogs = uint32_t(*n);
  }
  if (const Entry* v = f.get("max_media_lines")) {
    if (auto n = number(*v, owner, "max_media_lines", 1, 64)) out.maxMediaLines = uint32_t(*n);
  }
  // Every call holds two dialogs: fewer than that per call would make max_calls a lie.
  if (!dialogs) out.maxDialogs = uint32_t(std::min<uint64_t>(2 * uint64_t(out.maxCalls), 20000000));
  if (dialogs && uint64_t(out.maxDialogs) < 2 * uint64_t(out.maxCalls)) {
    error(dialogs->mark, owner,
          "max_dialogs " + std::to_string(out.maxDialogs) + " must be at least twice max_calls (" +
              std::to_string(out.maxCalls) + "): every call holds two dialogs");
  }
  if (const Entry* map = f.get("response_map")) {
    if (!map->value.IsMap()) {
      error(map->mark, owner, "response_map must be a map of 'code: code' entries");
    } else {
      for (auto it = map->value.begin(); it != map->value.end(); ++it) {
        Entry key = mapEntry(it->first, it->first);
        Entry value = mapEntry(it->first, it->second);
        auto from = number(key, owner, "response_map code", 300, 699);
        if (!from) continue;
        auto to = number(value, owner, "response_map " + std::to_string(*from) + ":", 300, 699);
        if (!to) continue;
        if (!out.responseMap.emplace(int(*from), int(*to)).second) {
          error(key.mark, owner, "response_map code " + std::to_string(*from) + " appears twice");
        }
      }
    }
  }
  if (const Entry* v = f.get("max_server_transactions")) {
    if (auto n = number(*v, owner, "max_server_transactions", 1, 10000000))
      out.maxServerTransactions = uint32_t(*n);
  }
  if (const Entry* v = f.get("max_client_transactions")) {
    if (auto n = number(*v, owner, "max_client_transactions", 1, 10000000))
      out.maxClientTransactions = uint32_t(*n);
  }
  if (const Entry* v = f.get("user_agent")) {
    if (auto s = text(*v, owner, "user_agent")) {
      if (s->empty() || !isHeaderValue(*s)) {
        error(v->mark, owner, "user_agent must be one line of printable text");
      } else {
        out.userAgent = *s;
      }
    }
  }
}

}  // namespace

void loadSip(Schema& schema, const Entry& e, Config& config, Notes&) {
  SipSection(schema).sipSettings(e, config.sip);
}

}  // namespace sbc::config

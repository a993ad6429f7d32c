#include "signaling/b2bua/codec_policy.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <string_view>
#include <vector>

#include "signaling/sip/charset.h"

namespace sbc::b2bua {

namespace {

// RFC 3551 table 4: the static audio payload types an offer may use without a=rtpmap.
std::string_view staticName(int pt) {
  static constexpr std::array<std::string_view, 19> kNames = {
      "PCMU", "",    "",      "GSM", "G723", "DVI4", "DVI4", "LPC",  "PCMA", "G722",
      "L16",  "L16", "QCELP", "CN",  "MPA",  "G728", "DVI4", "DVI4", "G729"};
  return pt >= 0 && pt < static_cast<int>(kNames.size()) ? kNames[static_cast<size_t>(pt)]
                                                         : std::string_view();
}

// The position of `name` in `list`, or -1.
int rank(const std::vector<std::string>& list, std::string_view name) {
  for (size_t i = 0; i < list.size(); ++i)
    if (sip::iequals(list[i], name)) return static_cast<int>(i);
  return -1;
}

bool allowedBy(const topology::RealmCodecs& r, std::string_view name) {
  return rank(r.strip, name) < 0 && (r.allow.empty() || rank(r.allow, name) >= 0);
}

}  // namespace

std::string codecNameOf(const sdp::MediaDescription& md, std::string_view format) {
  int pt = -1;
  auto [end, ec] = std::from_chars(format.data(), format.data() + format.size(), pt);
  if (ec != std::errc() || end != format.data() + format.size() || pt < 0 || pt > 127)
    return std::string(format);
  if (auto map = md.rtpmap(static_cast<uint8_t>(pt))) return std::string(map->encoding);
  std::string_view name = staticName(pt);
  return name.empty() ? std::string(format) : std::string(name);
}

bool applyCodecPolicy(sdp::SessionDescription& sd, const topology::RealmCodecs& from,
                      const topology::RealmCodecs& to, std::string& error) {
  const bool rules =
      !from.allow.empty() || !from.strip.empty() || !to.allow.empty() || !to.strip.empty();
  if (!rules) return true;
  struct Plan {
    size_t media;
    std::vector<std::string> keep;  // formats, in the new order
    std::vector<std::string> drop;
  };
  std::vector<Plan> plans;
  for (size_t i = 0; i < sd.mediaCount(); ++i) {
    const sdp::MediaDescription& md = sd.media(i);
    if (md.type() != "audio" || md.port() == 0) continue;  // a refused stream stays as it is
    struct Entry {
      std::string format;
      int order;  // the receiving realm's preference, then the offering realm's
      size_t position;
    };
    std::vector<Entry> kept;
    Plan plan{i, {}, {}};
    bool audio = false;
    const std::vector<std::string_view> formats = md.formats();
    for (size_t k = 0; k < formats.size(); ++k) {
      const std::string name = codecNameOf(md, formats[k]);
      if (!allowedBy(from, name) || !allowedBy(to, name)) {
        plan.drop.emplace_back(formats[k]);
        continue;
      }
      int order = rank(to.allow, name);
      if (order < 0) order = rank(from.allow, name);
      if (order < 0) order = 1000;  // unranked: after the ranked ones, in the offer's order
      kept.push_back({std::string(formats[k]), order, k});
      audio = audio || !topology::carriesNoAudio(name);
    }
    if (!audio) {
      std::string offered;
      for (std::string_view f : formats)
        offered += (offered.empty() ? "" : " ") + codecNameOf(md, f);
      error = "no acceptable codec in the offer (offered: " + offered + ")";
      return false;
    }
    std::stable_sort(kept.begin(), kept.end(),
                     [](const Entry& a, const Entry& b) { return a.order < b.order; });
    for (const Entry& e : kept)
      plan.keep.push_back(e.format);
    plans.push_back(std::move(plan));
  }
  for (const Plan& plan : plans) {
    sdp::MediaDescription& md = sd.media(plan.media);
    for (const std::string& f : plan.drop)
      (void)md.removeFormat(f);  // never the last one: the plan keeps an audio codec
    std::vector<std::string_view> order(plan.keep.begin(), plan.keep.end());
    (void)md.setFormats(order);  // the same tokens, reordered
  }
  return true;
}

}  // namespace sbc::b2bua

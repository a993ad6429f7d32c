#include "config/schema.h"

#include <algorithm>
#include <charconv>

#include "signaling/sip/charset.h"
#include "signaling/sip/uri.h"

namespace sbc::config {

std::string quote(std::string_view s) {
  return "'" + std::string(s) + "'";
}

std::string joined(std::span<const std::string_view> words) {
  std::string out;
  for (std::string_view w : words) {
    if (!out.empty()) out += ", ";
    out += w;
  }
  return out;
}

namespace {

// Case-insensitive Levenshtein distance, for "did you mean" hints.
size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      size_t cost = sip::toLower(a[i - 1]) == sip::toLower(b[j - 1]) ? 0 : 1;
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + cost});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string_view closest(std::string_view word, std::span<const std::string_view> choices) {
  size_t limit = word.size() < 4 ? 1 : 2;
  size_t best = limit + 1;
  std::string_view suggestion;
  for (std::string_view choice : choices) {
    size_t d = editDistance(word, choice);
    if (d < best) {
      best = d;
      suggestion = choice;
    }
  }
  return suggestion;
}

std::string didYouMean(std::string_view word, std::span<const std::string_view> choices) {
  std::string_view suggestion = closest(word, choices);
  return suggestion.empty() ? std::string() : " (did you mean " + quote(suggestion) + "?)";
}

bool isName(std::string_view name) {
  return std::all_of(name.begin(), name.end(), [](char c) {
    return sip::is(c, sip::kAlnum) || c == '-' || c == '_' || c == '.';
  });
}

bool isHost(std::string_view host) {
  return sip::classifyHost(host) != sip::HostType::kNone ||
         net::IpAddress::parseHost(host).has_value();
}

Entry mapEntry(const YAML::Node& key, const YAML::Node& value) {
  // An empty value's mark points past the line break: the key is where the operator looks.
  return Entry{key, value, value.IsNull() ? key.Mark() : value.Mark()};
}

Entry listItem(const YAML::Node& value, const YAML::Mark& fallback) {
  YAML::Mark mark = value.IsNull() || value.Mark().is_null() ? fallback : value.Mark();
  return Entry{YAML::Node(), value, mark};
}

int lineOf(const Entry& e) {
  return e.mark.is_null() ? 0 : e.mark.line + 1;
}

std::string ownerOf(const YAML::Node& map, std::string_view kind, size_t index) {
  if (map.IsMap()) {
    for (auto it = map.begin(); it != map.end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar() == "name" && it->second.IsScalar() &&
          !it->second.Scalar().empty() && isName(it->second.Scalar())) {
        return std::string(kind) + " " + quote(it->second.Scalar());
      }
    }
  }
  return std::string(kind) + " #" + std::to_string(index);
}

void Schema::error(const YAML::Mark& at, const std::string& owner, std::string message) {
  ConfigError e;
  if (!at.is_null()) {
    e.line = at.line + 1;
    e.column = at.column + 1;
  }
  e.message = owner.empty() ? std::move(message) : owner + ": " + message;
  errors_->push_back(std::move(e));
}

Fields::Fields(Schema& schema, const Entry& map, std::string owner, std::string section,
               std::span<const std::string_view> known)
    : schema_(schema), mark_(map.mark), owner_(std::move(owner)), section_(std::move(section)) {
  if (map.value.IsNull()) return;  // "match:" with nothing: an empty map
  if (!map.value.IsMap()) {
    std::string what = !section_.empty() ? section_ + " must"
                       : owner_.empty()  ? "the configuration must"
                                         : "must";
    schema_.error(mark_, owner_, what + " be a map of 'key: value' entries");
    valid_ = false;
    return;
  }
  std::span<const std::string_view> names = known;
  std::string where = owner_.empty() ? " at the top level"
                                     : " in " + owner_ + (section_.empty() ? "" : " " + section_);
  for (auto it = map.value.begin(); it != map.value.end(); ++it) {
    Entry entry = mapEntry(it->first, it->second);
    if (!it->first.IsScalar()) {
      schema_.error(it->first.Mark(), "", "a key" + where + " must be plain text");
      continue;
    }
    const std::string& key = it->first.Scalar();
    if (std::find(names.begin(), names.end(), key) == names.end()) {
      schema_.error(it->first.Mark(), "",
                    "unknown key " + quote(key) + where + didYouMean(key, names));
      std::string_view suggestion = closest(key, names);
      if (!suggestion.empty()) suggested_.push_back(suggestion);
      continue;
    }
    auto first = std::find_if(entries_.begin(), entries_.end(),
                              [&key](const Entry& e) { return e.key.Scalar() == key; });
    if (first != entries_.end()) {
      schema_.error(it->first.Mark(), "",
                    "duplicate key " + quote(key) + where + " (first on line " +
                        std::to_string(first->key.Mark().line + 1) + ")");
      continue;
    }
    entries_.push_back(entry);
  }
}

const Entry* Fields::get(std::string_view key) const {
  for (const Entry& e : entries_) {
    if (e.key.Scalar() == key) return e.empty() ? nullptr : &e;
  }
  return nullptr;
}

const Entry* Fields::require(std::string_view key) {
  if (!valid_) return nullptr;
  for (const Entry& e : entries_) {
    if (e.key.Scalar() != key) continue;
    if (e.empty()) schema_.error(e.mark, owner_, what(key) + " needs a value");
    return e.empty() ? nullptr : &e;
  }
  // "unknown key 'adress' (did you mean 'address'?)" said it already.
  if (std::find(suggested_.begin(), suggested_.end(), key) != suggested_.end()) return nullptr;
  schema_.error(mark_, owner_,
                "missing required key " + quote(key) + (section_.empty() ? "" : " in " + section_));
  return nullptr;
}

std::optional<std::string> Schema::text(const Entry& e, const std::string& owner,
                                        const std::string& what) {
  if (e.value.IsNull()) return std::string();
  if (!e.value.IsScalar()) {
    error(e.mark, owner, what + " must be text, not a " + (e.value.IsMap() ? "map" : "list"));
    return std::nullopt;
  }
  return e.value.Scalar();
}

std::optional<uint64_t> Schema::number(const Entry& e, const std::string& owner,
                                       const std::string& what, uint64_t min, uint64_t max) {
  if (!e.value.IsScalar()) {
    error(e.mark, owner, what + " must be a whole number");
    return std::nullopt;
  }
  const std::string& s = e.value.Scalar();
  std::string_view digits = s;
  if (!digits.empty() && digits[0] == '-') digits.remove_prefix(1);
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  bool allDigits = !digits.empty() && end == digits.data() + digits.size();
  if (!allDigits || (ec != std::errc() && ec != std::errc::result_out_of_range)) {
    error(e.mark, owner, what + " must be a whole number, got " + quote(s));
    return std::nullopt;
  }
  if (ec == std::errc::result_out_of_range || digits.size() != s.size() || v < min || v > max) {
    error(e.mark, owner,
          what + " " + s + " is out of range " + std::to_string(min) + "-" + std::to_string(max));
    return std::nullopt;
  }
  return v;
}

std::optional<size_t> Schema::choice(const Entry& e, const std::string& owner,
                                     const std::string& what,
                                     std::span<const std::string_view> choices) {
  std::optional<std::string> s = text(e, owner, what);
  if (!s) return std::nullopt;
  for (size_t i = 0; i < choices.size(); ++i) {
    if (choices[i] == *s) return i;
  }
  error(e.mark, owner,
        what + " " + quote(*s) + " is not one of " + joined(choices) + didYouMean(*s, choices));
  return std::nullopt;
}

std::optional<std::string> Schema::address(const Entry& e, const std::string& owner,
                                           const std::string& what, bool allowWildcard,
                                           net::IpAddress* parsed) {
  std::optional<std::string> s = text(e, owner, what);
  if (!s) return std::nullopt;
  std::optional<net::IpAddress> ip = net::IpAddress::parseHost(*s);
  if (!ip) {
    error(e.mark, owner, what + " " + quote(*s) + " is not an IPv4 or IPv6 address");
    return std::nullopt;
  }
  if (!allowWildcard && ip->isUnspecified()) {
    error(e.mark, owner,
          what + " " + quote(*s) + " is a wildcard: give the address peers reach this realm at");
    return std::nullopt;
  }
  if (parsed) *parsed = *ip;
  return std::string(net::stripBrackets(*s));
}

bool Schema::isList(const Entry& e, const std::string& owner, const std::string& what) {
  if (e.value.IsSequence()) return true;
  error(e.mark, owner, what + " must be a list (entries starting with '- ')");
  return false;
}

std::optional<std::string> Schema::uniqueName(Fields& f, const std::string& owner,
                                              std::vector<std::pair<std::string, int>>& seen) {
  const Entry* n = f.require("name");
  if (!n) return std::nullopt;
  std::optional<std::string> name = text(*n, owner, "name");
  if (!name) return std::nullopt;
  if (name->empty() || !isName(*name)) {
    error(n->mark, owner,
          "name " + quote(*name) + " may use only letters, digits, '.', '_' and '-'");
    return std::nullopt;
  }
  auto first =
      std::find_if(seen.begin(), seen.end(), [&name](const auto& s) { return s.first == *name; });
  if (first != seen.end()) {
    error(n->mark, owner, "defined twice (first on line " + std::to_string(first->second) + ")");
    return std::nullopt;
  }
  seen.emplace_back(*name, lineOf(*n));
  return name;
}

}  // namespace sbc::config

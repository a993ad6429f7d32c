#pragma once

// The schema helper every section of the configuration is read with: where a value is
// (Entry: line and column), the keys of a map checked against the known ones (Fields:
// unknown keys with a "did you mean" hint, duplicates, missing required keys), and typed
// readers that report their own problems (Schema: text, numbers in a range, one of a set
// of words, IP addresses, lists, unique names). Internal to config/: yaml-cpp appears
// nowhere else.

#include <yaml-cpp/yaml.h>

#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/loader.h"
#include "mediaplane/api/address.h"

namespace sbc::config {

inline constexpr auto kBooleans = std::to_array<std::string_view>({"true", "false"});

std::string quote(std::string_view s);
std::string joined(std::span<const std::string_view> words);
// The one of `choices` that `word` is a likely typo of, or "".
std::string_view closest(std::string_view word, std::span<const std::string_view> choices);
// " (did you mean 'x'?)" when one of `choices` is a likely typo of `word`, else "".
std::string didYouMean(std::string_view word, std::span<const std::string_view> choices);
// Letters, digits, '.', '_' and '-': realm and route names.
bool isName(std::string_view name);
// A SIP host name or an IP literal (IPv6 with or without brackets).
bool isHost(std::string_view host);

// One value of the document and where to report about it: a map entry (key and value) or
// a list item (no key).
struct Entry {
  YAML::Node key;
  YAML::Node value;
  YAML::Mark mark;  // the value's position; its key's when the value is empty

  bool empty() const { return value.IsNull(); }
};

Entry mapEntry(const YAML::Node& key, const YAML::Node& value);
Entry listItem(const YAML::Node& value, const YAML::Mark& fallback);
int lineOf(const Entry& e);

// "realm 'access'" when the map has a usable name, else "realm #2": messages about any
// key of the map, even those before its name, can then say which realm they are about.
std::string ownerOf(const YAML::Node& map, std::string_view kind, size_t index);

// Collects the errors of one load and reads typed values. Copies share the error list, so
// a section can be a class that derives from Schema and calls the readers directly.
class Schema {
 public:
  explicit Schema(std::vector<ConfigError>& errors) : errors_(&errors) {}

  void error(const YAML::Mark& at, const std::string& owner, std::string message);
  size_t errorCount() const { return errors_->size(); }

  // Scalars. Each reports its own problem and returns nullopt.
  std::optional<std::string> text(const Entry& e, const std::string& owner,
                                  const std::string& what);
  std::optional<uint64_t> number(const Entry& e, const std::string& owner, const std::string& what,
                                 uint64_t min, uint64_t max);
  std::optional<size_t> choice(const Entry& e, const std::string& owner, const std::string& what,
                               std::span<const std::string_view> choices);
  // An IP literal, returned without brackets.
  std::optional<std::string> address(const Entry& e, const std::string& owner,
                                     const std::string& what, bool allowWildcard,
                                     net::IpAddress* parsed = nullptr);
  bool isList(const Entry& e, const std::string& owner, const std::string& what);

  class Fields;
  // The "name" key of a realm or route: required, a valid name, not in `seen` (names seen
  // so far with the line of their definition, valid or not).
  std::optional<std::string> uniqueName(Fields& f, const std::string& owner,
                                        std::vector<std::pair<std::string, int>>& seen);

 private:
  std::vector<ConfigError>* errors_;
};

// The keys of one YAML map, checked against its schema: unknown keys (with a hint) and
// duplicate keys are reported as the map is read; values are then looked up by key.
class Schema::Fields {
 public:
  Fields(Schema& schema, const Entry& map, std::string owner, std::string section,
         std::span<const std::string_view> known);
  Fields(Schema& schema, const Entry& map, std::string owner, std::string section,
         std::initializer_list<std::string_view> known)
      : Fields(schema, map, std::move(owner), std::move(section),
               std::span<const std::string_view>(known.begin(), known.size())) {}

  bool valid() const { return valid_; }
  // nullptr when the key is absent or has an empty value.
  const Entry* get(std::string_view key) const;
  // Like get(), and reports the key as missing.
  const Entry* require(std::string_view key);
  const YAML::Mark& mark() const { return mark_; }

  // "port" in a top-level map, "listen port" in a section: how messages name a key.
  std::string what(std::string_view key) const {
    return section_.empty() ? std::string(key) : section_ + " " + std::string(key);
  }

 private:
  Schema& schema_;
  YAML::Mark mark_;
  std::string owner_;
  std::string section_;
  std::vector<Entry> entries_;
  std::vector<std::string_view> suggested_;  // keys a typo was taken for
  bool valid_ = true;
};

using Fields = Schema::Fields;

}  // namespace sbc::config

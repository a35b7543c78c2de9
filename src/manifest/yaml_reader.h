#pragma once

// INTERNAL to the manifest module (parser*.cc only): the adapter over yaml-cpp. It reads
// typed values out of nodes and reports what is wrong with them, with positions, instead of
// throwing: unknown keys (with suggestions), duplicate keys, wrong types, out-of-range
// numbers. It also enforces the node budget that keeps aliases from expanding without bound.
// Public headers of the module do not include it, so yaml-cpp stays out of them.

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "manifest/diagnostics.h"
#include "manifest/model.h"

namespace yard::manifest::internal {

/// Nodes visited while reading one manifest, aliases counted at every use.
inline constexpr int64_t kMaxNodes = 100'000;

Location At(const YAML::Node& node);

/// A key and its value in a map, or an item of a list (key empty).
struct Field {
  std::string key;
  YAML::Node value;
  Location key_where;
  /// Where to point at the value: its own position, or the key's when the value is null (an
  /// empty value has no useful position of its own).
  Location where;
};

class Reader {
 public:
  explicit Reader(Diagnostics& diagnostics) : diagnostics_(diagnostics) {}

  /// Reports an error prefixed with `prefix` ("component \"web\"") when it is not empty.
  void Error(Location where, std::string_view prefix, std::string_view message);

  /// Counts one visited node. Returns false once the budget is spent (reported once).
  bool Visit(Location where);
  bool exhausted() const { return exhausted_; }

  // Typed reads. Each reports a diagnostic and returns nullopt when the value does not fit;
  // `name` is how the message names the value ("port", "health.interval").
  std::optional<std::string> Text(const Field& field, std::string_view prefix,
                                  std::string_view name);
  std::optional<int64_t> Integer(const Field& field, std::string_view prefix, std::string_view name,
                                 int64_t min, int64_t max);
  std::optional<bool> Bool(const Field& field, std::string_view prefix, std::string_view name);
  std::optional<int64_t> DurationSeconds(const Field& field, std::string_view prefix,
                                         std::string_view name);
  std::optional<Command> ReadCommand(const Field& field, std::string_view prefix,
                                     std::string_view name);
  /// The items of a list; empty (after a diagnostic) when the value is not a list.
  std::vector<Field> Items(const Field& field, std::string_view prefix, std::string_view name);
  /// A map of env-style KEY: value pairs (env, exports, build.args).
  std::vector<EnvVar> EnvMap(const Field& field, std::string_view prefix, std::string_view name);

 private:
  Diagnostics& diagnostics_;
  int64_t visited_ = 0;
  bool exhausted_ = false;
};

/// How a value is described after "got" in messages: `70000`, `"abc"`, `a list`, `a map`,
/// `null`. Long scalars are cut and control characters replaced.
std::string Describe(const YAML::Node& node);

/// Text from the file as shown in messages: at most 40 characters, controls replaced by '?'.
std::string Printable(std::string_view text);

/// True for plain (unquoted, untagged) scalars, the only ones that may be numbers or booleans.
bool IsPlain(const YAML::Node& node);

/// The keys of one map, checked against the allowed ones: reports a value that is not a map,
/// unknown keys (with a suggestion) and duplicate keys.
class MapReader {
 public:
  /// `path` is the map's own name inside its owner ("health"), empty for the owner itself;
  /// messages about its keys then say "health.interval".
  MapReader(Reader& reader, const Field& field, std::string prefix, std::string path,
            std::span<const std::string_view> allowed);

  bool ok() const { return ok_; }
  /// The field for `key`, or nullptr when absent (or when the value was not a map).
  const Field* Get(std::string_view key) const;
  /// `path.key`, for messages.
  std::string Name(std::string_view key) const;
  const std::string& prefix() const { return prefix_; }
  /// Where the map is (for "missing key" messages).
  Location where() const { return where_; }

 private:
  std::vector<Field> fields_;
  std::string prefix_;
  std::string path_;
  Location where_;
  bool ok_ = false;
};

}  // namespace yard::manifest::internal

#include "manifest/yaml_reader.h"

#include <fmt/core.h>

#include <charconv>

#include "manifest/durations.h"
#include "manifest/interpolation.h"
#include "manifest/suggest.h"

namespace yard::manifest::internal {
namespace {

std::string Join(std::string_view prefix, std::string_view message) {
  if (prefix.empty()) return std::string(message);
  return fmt::format("{}: {}", prefix, message);
}

}  // namespace

// Scalars from the file go into messages: keep them short and free of terminal controls.
std::string Printable(std::string_view text) {
  constexpr size_t kMaxShown = 40;
  std::string out;
  for (size_t i = 0; i < text.size() && i < kMaxShown; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    out += (c < 0x20 || c == 0x7f) ? '?' : text[i];
  }
  if (text.size() > kMaxShown) out += "...";
  return out;
}

Location At(const YAML::Node& node) {
  YAML::Mark mark = node.Mark();
  if (mark.is_null()) return {};
  return {mark.line + 1, mark.column + 1};
}

bool IsPlain(const YAML::Node& node) { return node.IsScalar() && node.Tag() == "?"; }

std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return "null";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Scalar:
      break;
  }
  if (IsPlain(node)) return Printable(node.Scalar());
  return fmt::format("\"{}\"", Printable(node.Scalar()));
}

void Reader::Error(Location where, std::string_view prefix, std::string_view message) {
  diagnostics_.Error(where, Join(prefix, message));
}

bool Reader::Visit(Location where) {
  if (exhausted_) return false;
  if (++visited_ <= kMaxNodes) return true;
  exhausted_ = true;
  diagnostics_.Error(where, fmt::format("the manifest has more than {} nodes (counting what "
                                        "aliases expand to); it is too large to read",
                                        kMaxNodes));
  return false;
}

std::optional<std::string> Reader::Text(const Field& field, std::string_view prefix,
                                        std::string_view name) {
  if (!field.value.IsScalar()) {
    Error(field.where, prefix,
          fmt::format("{} must be a string, got {}", name, Describe(field.value)));
    return std::nullopt;
  }
  const std::string& text = field.value.Scalar();
  if (text.find('\0') != std::string::npos) {
    Error(field.where, prefix, fmt::format("{} must not contain a NUL character", name));
    return std::nullopt;
  }
  return text;
}

std::optional<int64_t> Reader::Integer(const Field& field, std::string_view prefix,
                                       std::string_view name, int64_t min, int64_t max) {
  int64_t value = 0;
  bool parsed = false;
  if (IsPlain(field.value)) {
    const std::string& text = field.value.Scalar();
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    parsed = error == std::errc() && end == text.data() + text.size();
    if (!parsed && error == std::errc::result_out_of_range) {
      Error(field.where, prefix,
            fmt::format("{} must be {}..{}, got {}", name, min, max, Describe(field.value)));
      return std::nullopt;
    }
  }
  if (!parsed) {
    Error(field.where, prefix,
          fmt::format("{} must be an integer, got {}", name, Describe(field.value)));
    return std::nullopt;
  }
  if (value < min || value > max) {
    Error(field.where, prefix, fmt::format("{} must be {}..{}, got {}", name, min, max, value));
    return std::nullopt;
  }
  return value;
}

std::optional<bool> Reader::Bool(const Field& field, std::string_view prefix,
                                 std::string_view name) {
  if (IsPlain(field.value)) {
    if (field.value.Scalar() == "true") return true;
    if (field.value.Scalar() == "false") return false;
  }
  Error(field.where, prefix,
        fmt::format("{} must be true or false, got {}", name, Describe(field.value)));
  return std::nullopt;
}

std::optional<int64_t> Reader::DurationSeconds(const Field& field, std::string_view prefix,
                                               std::string_view name) {
  if (field.value.IsScalar()) {
    if (auto seconds = ParseDuration(field.value.Scalar())) return seconds;
  }
  Error(field.where, prefix,
        fmt::format("{} must be a duration such as 30s, 5m or 1h30m (at most 365d), got {}", name,
                    Describe(field.value)));
  return std::nullopt;
}

std::optional<Command> Reader::ReadCommand(const Field& field, std::string_view prefix,
                                           std::string_view name) {
  Command command;
  command.where = field.where;
  if (field.value.IsSequence()) {
    command.shell = false;
    bool ok = true;
    for (const Field& item : Items(field, prefix, name)) {
      auto arg = Text(item, prefix, fmt::format("{} item", name));
      if (!arg) {
        ok = false;
        continue;
      }
      command.args.push_back(std::move(*arg));
    }
    if (!ok) return std::nullopt;
    if (command.args.empty() || command.args[0].empty()) {
      Error(field.where, prefix, fmt::format("{} must not be empty", name));
      return std::nullopt;
    }
  } else {
    if (!field.value.IsScalar()) {
      Error(field.where, prefix,
            fmt::format("{} must be a string or a list of strings, got {}", name,
                        Describe(field.value)));
      return std::nullopt;
    }
    auto text = Text(field, prefix, name);
    if (!text) return std::nullopt;
    if (text->find_first_not_of(" \t\n") == std::string::npos) {
      Error(field.where, prefix, fmt::format("{} must not be empty", name));
      return std::nullopt;
    }
    command.args.push_back(std::move(*text));
  }
  bool ok = true;
  for (const std::string& arg : command.args) {
    if (auto pieces = ParseTemplate(arg); !pieces) {
      Error(field.where, prefix, fmt::format("{}: {}", name, pieces.error().message));
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return command;
}

std::vector<Field> Reader::Items(const Field& field, std::string_view prefix,
                                 std::string_view name) {
  std::vector<Field> items;
  if (!field.value.IsSequence()) {
    Error(field.where, prefix,
          fmt::format("{} must be a list, got {}", name, Describe(field.value)));
    return items;
  }
  for (const YAML::Node& item : field.value) {
    Location where = item.IsNull() ? field.where : At(item);
    if (!Visit(where)) break;
    items.push_back({"", item, where, where});
  }
  return items;
}

std::vector<EnvVar> Reader::EnvMap(const Field& field, std::string_view prefix,
                                   std::string_view name) {
  std::vector<EnvVar> vars;
  if (!field.value.IsMap()) {
    Error(field.where, prefix,
          fmt::format("{} must be a map of KEY: value, got {}", name, Describe(field.value)));
    return vars;
  }
  // Any key is allowed, so the key check of MapReader does not apply; duplicates still do.
  std::vector<std::pair<std::string, Location>> seen;
  for (auto it = field.value.begin(); it != field.value.end(); ++it) {
    if (!Visit(At(it->first))) break;
    Location key_where = At(it->first);
    Field value{"", it->second, key_where, it->second.IsNull() ? key_where : At(it->second)};
    if (!it->first.IsScalar()) {
      Error(key_where, prefix,
            fmt::format("{} keys must be strings, got {}", name, Describe(it->first)));
      continue;
    }
    const std::string& key = it->first.Scalar();
    if (!IsEnvName(key)) {
      Error(key_where, prefix,
            fmt::format("{}: \"{}\" is not a valid variable name (letters, digits and '_', not "
                        "starting with a digit, at most 256)",
                        name, Printable(key)));
      continue;
    }
    if (key.starts_with("STACKYARD_")) {
      Error(key_where, prefix,
            fmt::format("{}: \"{}\": names starting with STACKYARD_ are reserved", name, key));
      continue;
    }
    bool duplicate = false;
    for (const auto& [other, other_where] : seen) {
      if (other == key) {
        Error(key_where, prefix,
              fmt::format("{}: duplicate key \"{}\" (first at line {})", name, key,
                          other_where.line));
        duplicate = true;
      }
    }
    if (duplicate) continue;
    seen.emplace_back(key, key_where);
    if (!value.value.IsScalar()) {
      Error(value.where, prefix,
            fmt::format("{}.{} must be a string, number or boolean, got {}{}", name, key,
                        Describe(value.value),
                        value.value.IsNull() ? " (write \"\" for an empty value)" : ""));
      continue;
    }
    auto text = Text(value, prefix, fmt::format("{}.{}", name, key));
    if (!text) continue;
    if (auto pieces = ParseTemplate(*text); !pieces) {
      Error(value.where, prefix, fmt::format("{}.{}: {}", name, key, pieces.error().message));
      continue;
    }
    vars.push_back({key, std::move(*text), key_where});
  }
  return vars;
}

MapReader::MapReader(Reader& reader, const Field& field, std::string prefix, std::string path,
                     std::span<const std::string_view> allowed)
    : prefix_(std::move(prefix)), path_(std::move(path)), where_(field.where) {
  if (!field.value.IsMap()) {
    std::string what =
        path_.empty() ? (prefix_.empty() ? "the manifest" : "this item") : fmt::format("{}", path_);
    reader.Error(field.where, prefix_,
                 fmt::format("{} must be a map, got {}", what, Describe(field.value)));
    return;
  }
  ok_ = true;
  for (auto it = field.value.begin(); it != field.value.end(); ++it) {
    Location key_where = At(it->first);
    if (!reader.Visit(key_where)) break;
    if (!it->first.IsScalar()) {
      reader.Error(key_where, prefix_,
                   fmt::format("keys must be strings, got {}", Describe(it->first)));
      continue;
    }
    std::string key = it->first.Scalar();
    std::string where_in = path_.empty() ? "" : fmt::format(" in {}", path_);
    bool known = false;
    for (std::string_view candidate : allowed) known = known || candidate == key;
    if (!known) {
      std::string suggestion = Suggest(key, allowed);
      if (!suggestion.empty()) {
        reader.Error(key_where, prefix_,
                     fmt::format("unknown key \"{}\"{}; did you mean \"{}\"?", Printable(key),
                                 where_in, suggestion));
      } else {
        std::string expected;
        for (std::string_view candidate : allowed) {
          expected += expected.empty() ? "" : ", ";
          expected += candidate;
        }
        reader.Error(key_where, prefix_,
                     fmt::format("unknown key \"{}\"{} (expected one of: {})", Printable(key),
                                 where_in, expected));
      }
      continue;
    }
    if (const Field* first = Get(key)) {
      reader.Error(
          key_where, prefix_,
          fmt::format("duplicate key \"{}\" (first at line {})", Name(key), first->key_where.line));
      continue;
    }
    Location value_where = it->second.IsNull() ? key_where : At(it->second);
    fields_.push_back({std::move(key), it->second, key_where, value_where});
  }
}

const Field* MapReader::Get(std::string_view key) const {
  for (const Field& field : fields_) {
    if (field.key == key) return &field;
  }
  return nullptr;
}

std::string MapReader::Name(std::string_view key) const {
  if (path_.empty()) return std::string(key);
  return fmt::format("{}.{}", path_, key);
}

}  // namespace yard::manifest::internal

#pragma once

// JSON object columns (maps of strings or integers). They are written only by the store, so a
// parse failure means a damaged row: it reads as empty rather than taking a listing down.

#include <map>
#include <string>
#include <type_traits>

#include <nlohmann/json.hpp>

namespace yard::store::internal {

template <typename Value>
std::map<std::string, Value> ReadMap(const std::string& text) {
  std::map<std::string, Value> out;
  nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (!json.is_object()) return out;
  for (auto& [key, value] : json.items()) {
    if constexpr (std::is_same_v<Value, std::string>) {
      if (value.is_string()) out[key] = value.template get<std::string>();
    } else {
      if (value.is_number_integer()) out[key] = value.template get<Value>();
    }
  }
  return out;
}

template <typename Value>
std::string WriteMap(const std::map<std::string, Value>& map) {
  return nlohmann::json(map).dump();
}

}  // namespace yard::store::internal

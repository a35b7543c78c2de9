#pragma once

// The --size, --cpus and --memory options of commands that make or change a deployment
// (create, clone, set), and the "size" object of their API request (docs/api.md "Sizes").

#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

namespace yard::cli {

struct SizeFlags {
  std::string name;  // a named size: small, medium, large, xlarge, unlimited
  std::string cpus;
  std::string memory;
};

/// Adds --size, --cpus and --memory to `command`. `base` says what is changed when a command
/// gives only some of them, e.g. "the source's" for a clone.
void AddSizeOptions(CLI::App* command, SizeFlags& flags, const std::string& base);

/// The request's "size": a named size and/or limits; an empty object when none was given.
nlohmann::json SizeBody(const SizeFlags& flags);

}  // namespace yard::cli

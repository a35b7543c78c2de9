#include "cli/size_flags.h"

namespace yard::cli {

void AddSizeOptions(CLI::App* command, SizeFlags& flags, const std::string& base) {
  command->add_option("--size", flags.name,
                      "small (0.5 CPU, 512 MiB), medium (1, 1 GiB), large (2, 4 GiB), xlarge "
                      "(4, 8 GiB) or unlimited, for each container (default: " +
                          base + "); --cpus and --memory override its limits");
  command->add_option("--cpus", flags.cpus, "CPU limit per container, e.g. 1.5 (0: none)");
  command->add_option("--memory", flags.memory,
                      "Memory limit per container, e.g. 512m or 2g (0: none)");
}

nlohmann::json SizeBody(const SizeFlags& flags) {
  nlohmann::json size = nlohmann::json::object();
  if (!flags.name.empty()) size["name"] = flags.name;
  if (!flags.cpus.empty()) size["cpus"] = flags.cpus;
  if (!flags.memory.empty()) size["memory"] = flags.memory;
  return size;
}

}  // namespace yard::cli

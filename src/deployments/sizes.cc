#include "deployments/sizes.h"

#include <fmt/core.h>
#include <fmt/format.h>

#include "deployments/deployment_service.h"

namespace yard::deployments {
namespace {

constexpr int64_t kMiB = 1LL << 20;
constexpr int64_t kGiB = 1LL << 30;

std::string Memory(int64_t bytes) {
  if (bytes % kGiB == 0) return fmt::format("{} GiB", bytes / kGiB);
  if (bytes % kMiB == 0) return fmt::format("{} MiB", bytes / kMiB);
  return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / kMiB);
}

}  // namespace

const std::vector<NamedSize>& NamedSizes() {
  static const std::vector<NamedSize> sizes = {
      {"small", {500, 512 * kMiB}},
      {"medium", {1000, 1 * kGiB}},
      {"large", {2000, 4 * kGiB}},
      {"xlarge", {4000, 8 * kGiB}},
      {"unlimited", {0, 0}},
  };
  return sizes;
}

std::string SizeName(const Limits& limits) {
  for (const NamedSize& size : NamedSizes()) {
    if (size.limits == limits) return std::string(size.name);
  }
  return "custom";
}

std::string DescribeLimits(const Limits& limits) {
  if (limits.cpu_millis == 0 && limits.memory_bytes == 0) return "unlimited";
  std::string cpus = limits.cpu_millis == 0
                         ? "unlimited CPU"
                         : fmt::format("{:g} CPU{}", static_cast<double>(limits.cpu_millis) / 1000,
                                       limits.cpu_millis > 1000 ? "s" : "");
  std::string memory =
      limits.memory_bytes == 0 ? "unlimited memory" : Memory(limits.memory_bytes);
  return cpus + " · " + memory;
}

Result<Limits> ApplySizeChange(const Limits& current, const SizeChange& change) {
  Limits limits = current;
  if (change.name) {
    const NamedSize* found = nullptr;
    std::vector<std::string> names;
    for (const NamedSize& size : NamedSizes()) {
      names.push_back(fmt::format("{} ({})", size.name, DescribeLimits(size.limits)));
      if (size.name == *change.name) found = &size;
    }
    if (found == nullptr) {
      return Unexpected(ErrorCode::kInvalidArgument,
                        fmt::format("'{}' is not a size; sizes: {}; or give cpus and memory",
                                    *change.name, fmt::join(names, ", ")));
    }
    limits = found->limits;
  }
  if (change.cpus) limits.cpu_millis = TRY(ParseCpus(*change.cpus));
  if (change.memory) limits.memory_bytes = TRY(ParseMemory(*change.memory));
  return limits;
}

}  // namespace yard::deployments

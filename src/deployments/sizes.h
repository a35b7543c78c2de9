#pragma once

// Deployment sizes: the CPU and memory limits of each of a deployment's containers, chosen by
// name (a few sizes that cover most needs) or given as numbers. The one place the named sizes
// are defined; the API, the CLI and the docs (docs/deployments.md "Sizes") follow it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace yard::deployments {

/// Limits of each container; 0: none.
struct Limits {
  int64_t cpu_millis = 0;
  int64_t memory_bytes = 0;
  bool operator==(const Limits&) const = default;
};

struct NamedSize {
  std::string_view name;
  Limits limits;
};

/// small (0.5 CPU, 512 MiB), medium (1 CPU, 1 GiB), large (2 CPUs, 4 GiB), xlarge (4 CPUs,
/// 8 GiB), and unlimited (no limits: what a deployment gets unless it asks).
const std::vector<NamedSize>& NamedSizes();

/// The name of the size with exactly these limits, or "custom".
std::string SizeName(const Limits& limits);

/// "1 CPU · 1 GiB", "0.5 CPU · unlimited memory", "unlimited".
std::string DescribeLimits(const Limits& limits);

/// A requested change of size: a named size, and/or either limit as text (ParseCpus,
/// ParseMemory). A limit given as text wins over the named size's.
struct SizeChange {
  std::optional<std::string> name;
  std::optional<std::string> cpus;
  std::optional<std::string> memory;
  bool empty() const { return !name && !cpus && !memory; }
};

/// The limits after `change` is applied to `current` (what is not changed stays).
/// kInvalidArgument for an unknown name (the message lists the sizes) or a bad limit.
Result<Limits> ApplySizeChange(const Limits& current, const SizeChange& change);

}  // namespace yard::deployments

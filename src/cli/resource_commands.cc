// `yard resources PROJECT/DEPLOYMENT [--range 1h|24h]`: each service's CPU, memory and disk
// over the last hour or day, as the server sampled them (GET …/resources): now, on average
// and at the peak.

#include <fmt/core.h>

#include <algorithm>
#include <cstdio>
#include <optional>

#include "cli/command.h"
#include "cli/deployment_target.h"
#include "cli/output.h"

namespace yard::cli {
namespace {

std::string Bytes(double bytes) {
  constexpr double kMiB = 1 << 20;
  constexpr double kGiB = 1 << 30;
  if (bytes >= kGiB) return fmt::format("{:.1f} GiB", bytes / kGiB);
  if (bytes >= kMiB) return fmt::format("{:.1f} MiB", bytes / kMiB);
  if (bytes >= 1024) return fmt::format("{:.0f} KiB", bytes / 1024);
  return fmt::format("{:.0f} B", bytes);
}

std::string Percent(double percent) { return fmt::format("{:.1f}%", percent); }

// The latest, mean and highest of one figure over a component's samples; the latest is
// unknown when the component does not run now (its last sample has none).
struct Summary {
  std::optional<double> now;
  std::optional<double> average;
  std::optional<double> peak;
  std::optional<double> last_known;
};

Summary Summarise(const Json& samples, const char* field) {
  Summary summary;
  double sum = 0;
  int count = 0;
  for (const Json& sample : samples) {
    const Json& value = sample[field];
    if (!value.is_number()) continue;
    double x = value.get<double>();
    sum += x;
    ++count;
    summary.peak = std::max(summary.peak.value_or(x), x);
    summary.last_known = x;
  }
  if (count > 0) summary.average = sum / count;
  if (!samples.empty() && samples.back()[field].is_number()) {
    summary.now = samples.back()[field].get<double>();
  }
  return summary;
}

std::string Show(const std::optional<double>& value, std::string (*format)(double)) {
  return value ? format(*value) : "-";
}

Status ShowResources(Invocation& invocation, const std::string& target_text,
                     const std::string& range) {
  DeploymentTarget target = TRY(ParseDeploymentTarget(target_text));
  ApiClient client = TRY(Connect(invocation));
  Json answer = TRY(client.Get(DeploymentPath(target) + "/resources?range=" + range));
  if (invocation.json) {
    PrintJson(answer);
    return Ok();
  }
  int64_t step = answer.value("step_seconds", 0);
  std::printf("%s/%s · the last %s%s\n\n", target.project.c_str(), target.deployment.c_str(),
              range == "24h" ? "day" : "hour",
              range == "24h" ? fmt::format(", in {}-minute averages", step / 60).c_str()
                             : fmt::format(", a sample every {} s", step).c_str());
  Table table({"COMPONENT", "CPU NOW", "CPU AVG", "CPU PEAK", "MEMORY NOW", "MEMORY AVG",
               "MEMORY PEAK", "DISK"});
  for (const Json& component : answer["components"]) {
    const Json& samples = component["samples"];
    Summary cpu = Summarise(samples, "cpu_percent");
    Summary memory = Summarise(samples, "memory_bytes");
    Summary disk = Summarise(samples, "disk_bytes");
    table.AddRow({Cell(component, "name"), Show(cpu.now, Percent), Show(cpu.average, Percent),
                  Show(cpu.peak, Percent), Show(memory.now, Bytes), Show(memory.average, Bytes),
                  Show(memory.peak, Bytes), Show(disk.last_known, Bytes)});
  }
  table.Print(fmt::format("No samples in the last {}: the server samples running deployments "
                          "every --resource-sample-interval (30 s by default).",
                          range == "24h" ? "day" : "hour"));
  return Ok();
}

}  // namespace

void AddResourceCommands(CLI::App& app, Invocation& invocation) {
  auto target = std::make_shared<std::string>();
  auto range = std::make_shared<std::string>("1h");
  auto* resources = app.add_subcommand(
      "resources",
      "Each component's (and add-on's) CPU (% of one core), memory and disk over the last hour "
      "or day: now, on average and at the peak. The server samples running deployments every "
      "30 s (yard server --resource-sample-interval) and keeps 25 hours; the last day is "
      "averaged over 5 minutes. '-' now: not running. --json gives every sample");
  resources->add_option("target", *target, "PROJECT/DEPLOYMENT, e.g. shop/dev")->required();
  resources->add_option("--range", *range, "1h (every sample) or 24h (5-minute averages)")
      ->capture_default_str()
      ->check(CLI::IsMember({"1h", "24h"}));
  resources->callback([&invocation, target, range] {
    invocation.status = ShowResources(invocation, *target, *range);
  });
}

}  // namespace yard::cli

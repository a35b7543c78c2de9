#include "deployments/metrics.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/core.h>

#include "controller/status.h"

namespace yard::deployments {
namespace {

std::string EscapeHelp(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// Phases listed even when no deployment is in them, so that a graph shows 0, not a gap.
constexpr std::array kPhases = {"creating", "building", "starting", "running",
                                "degraded", "stopped",  "failed",   "deleting"};

}  // namespace

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatMetricValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return fmt::format("{}", static_cast<int64_t>(value));
  }
  return fmt::format("{}", value);
}

void MetricsText::Family(std::string_view name, std::string_view type, std::string_view help) {
  text_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, EscapeHelp(help), name, type);
}

void MetricsText::Sample(std::string_view name, const MetricLabels& labels, double value) {
  text_ += name;
  if (!labels.empty()) {
    text_ += '{';
    bool first = true;
    for (const auto& [label, label_value] : labels) {
      if (!first) text_ += ',';
      first = false;
      text_ += fmt::format("{}=\"{}\"", label, EscapeLabelValue(label_value));
    }
    text_ += '}';
  }
  text_ += ' ';
  text_ += FormatMetricValue(value);
  text_ += '\n';
}

void RequestCounts::Count(int status) {
  int index = status / 100 - 1;
  if (index < 0 || index >= static_cast<int>(counts_.size())) return;
  counts_[static_cast<size_t>(index)].fetch_add(1, std::memory_order_relaxed);
}

std::vector<std::pair<std::string, int64_t>> RequestCounts::ByClass() const {
  std::vector<std::pair<std::string, int64_t>> out;
  for (size_t i = 0; i < counts_.size(); ++i) {
    out.emplace_back(fmt::format("{}xx", i + 1), counts_[i].load(std::memory_order_relaxed));
  }
  return out;
}

void WriteServerMetrics(MetricsText& out, const ServerFigures& figures) {
  out.Family("stackyard_build_info", "gauge", "The server's version; always 1.");
  out.Sample("stackyard_build_info", {{"version", figures.version}}, 1);
  out.Family("stackyard_server_start_time_seconds", "gauge",
             "When the server started, in Unix seconds.");
  out.Sample("stackyard_server_start_time_seconds", static_cast<double>(figures.start_time));
  out.Family("stackyard_server_uptime_seconds", "gauge", "How long the server has run.");
  out.Sample("stackyard_server_uptime_seconds",
             static_cast<double>(std::max<int64_t>(0, figures.now - figures.start_time)));
  out.Family("stackyard_http_requests_total", "counter",
             "API requests answered since the server started, by status class.");
  for (const auto& [status_class, count] : figures.requests) {
    out.Sample("stackyard_http_requests_total", {{"class", status_class}},
               static_cast<double>(count));
  }
  out.Family("stackyard_deployments", "gauge", "Deployments by phase.");
  std::set<std::string> phases(kPhases.begin(), kPhases.end());
  for (const auto& [phase, count] : figures.deployments_by_phase) phases.insert(phase);
  for (const std::string& phase : phases) {
    auto it = figures.deployments_by_phase.find(phase);
    out.Sample("stackyard_deployments", {{"phase", phase}},
               it == figures.deployments_by_phase.end() ? 0 : static_cast<double>(it->second));
  }
  out.Family("stackyard_builds", "gauge", "Builds waiting in the queue or running.");
  out.Sample("stackyard_builds", {{"state", "queued"}}, static_cast<double>(figures.builds_queued));
  out.Sample("stackyard_builds", {{"state", "running"}},
             static_cast<double>(figures.builds_running));
  out.Family("stackyard_log_store_bytes", "gauge", "Disk used by the kept logs of deployments.");
  out.Sample("stackyard_log_store_bytes", static_cast<double>(figures.log_store_bytes));
  if (figures.volumes_filesystem_bytes > 0) {
    out.Family("stackyard_volumes_filesystem_bytes", "gauge",
               "Size of the filesystem holding the volumes.");
    out.Sample("stackyard_volumes_filesystem_bytes",
               static_cast<double>(figures.volumes_filesystem_bytes));
    out.Family("stackyard_volumes_filesystem_available_bytes", "gauge",
               "Space left on the filesystem holding the volumes.");
    out.Sample("stackyard_volumes_filesystem_available_bytes",
               static_cast<double>(figures.volumes_filesystem_available_bytes));
  }
}

void WriteDeploymentMetrics(MetricsText& out, const std::vector<StatusTree>& trees) {
  auto base_labels = [](const StatusTree& tree) {
    return MetricLabels{{"project", tree.project}, {"deployment", tree.deployment}};
  };
  out.Family("stackyard_deployment_status", "gauge",
             "1 for the deployment's colour (green, yellow, red), 0 for the others.");
  for (const StatusTree& tree : trees) {
    for (controller::Colour colour :
         {controller::Colour::kGreen, controller::Colour::kYellow, controller::Colour::kRed}) {
      MetricLabels with = base_labels(tree);
      with.emplace_back("colour", controller::ColourName(colour));
      out.Sample("stackyard_deployment_status", with, tree.colour == colour ? 1 : 0);
    }
  }
  out.Family("stackyard_deployment_disk_bytes", "gauge",
             "Disk used by the deployment's volumes (code and data).");
  for (const StatusTree& tree : trees) {
    out.Sample("stackyard_deployment_disk_bytes", base_labels(tree),
               static_cast<double>(tree.storage.total_bytes));
  }
  out.Family("stackyard_volume_bytes", "gauge",
             "Disk used by one volume; component is empty for the code volume.");
  for (const StatusTree& tree : trees) {
    for (const VolumeNode& volume : tree.storage.volumes) {
      MetricLabels with = base_labels(tree);
      with.emplace_back("component", volume.service);
      with.emplace_back("volume", volume.storage);
      out.Sample("stackyard_volume_bytes", with, static_cast<double>(volume.bytes));
    }
  }
  out.Family("stackyard_deployment_memory_limit_bytes", "gauge",
             "The memory limit of each of the deployment's containers; 0: none.");
  for (const StatusTree& tree : trees) {
    out.Sample("stackyard_deployment_memory_limit_bytes", base_labels(tree),
               static_cast<double>(tree.size.memory_bytes));
  }
  out.Family("stackyard_deployment_cpu_limit_cores", "gauge",
             "The CPU limit of each of the deployment's containers; 0: none.");
  for (const StatusTree& tree : trees) {
    out.Sample("stackyard_deployment_cpu_limit_cores", base_labels(tree),
               static_cast<double>(tree.size.cpu_millis) / 1000.0);
  }

  // Per service, summed over its containers.
  struct Service {
    MetricLabels labels;
    bool up = false;
    int64_t restarts = 0;
    double cpu_seconds = 0;
    double cpu_percent = 0;
    int64_t memory = 0;
    bool measured = false;
  };
  std::vector<Service> services;
  for (const StatusTree& tree : trees) {
    std::map<std::string, size_t> index;
    for (const ContainerNode& node : tree.containers) {
      auto [it, added] = index.try_emplace(node.service, services.size());
      if (added) {
        MetricLabels with = base_labels(tree);
        with.emplace_back("component", node.service);
        services.push_back({.labels = std::move(with)});
      }
      Service& service = services[it->second];
      if (!node.previous) {
        service.up = node.engine_state == "running" && node.state == "running";
        service.restarts = node.restarts;
      }
      if (node.memory_bytes) {
        service.measured = true;
        service.memory += *node.memory_bytes;
        service.cpu_seconds += node.cpu_seconds.value_or(0);
        service.cpu_percent += node.cpu_percent.value_or(0);
      }
    }
  }
  out.Family("stackyard_container_up", "gauge",
             "1 when the service's container runs (and is healthy, if it has a check).");
  for (const Service& s : services) out.Sample("stackyard_container_up", s.labels, s.up ? 1 : 0);
  out.Family("stackyard_container_restarts_total", "counter",
             "Crashes the service recovered from since the server started.");
  for (const Service& s : services) {
    out.Sample("stackyard_container_restarts_total", s.labels, static_cast<double>(s.restarts));
  }
  out.Family("stackyard_container_cpu_seconds_total", "counter",
             "CPU time used by the service's running containers since they started.");
  for (const Service& s : services) {
    if (s.measured) out.Sample("stackyard_container_cpu_seconds_total", s.labels, s.cpu_seconds);
  }
  out.Family("stackyard_container_cpu_percent", "gauge",
             "CPU use of the service's running containers over the last few seconds, in % of "
             "one core.");
  for (const Service& s : services) {
    if (s.measured) out.Sample("stackyard_container_cpu_percent", s.labels, s.cpu_percent);
  }
  out.Family("stackyard_container_memory_bytes", "gauge",
             "Memory used by the service's running containers (without reclaimable cache).");
  for (const Service& s : services) {
    if (s.measured) {
      out.Sample("stackyard_container_memory_bytes", s.labels, static_cast<double>(s.memory));
    }
  }
}

}  // namespace yard::deployments

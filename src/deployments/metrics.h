#pragma once

// Metrics for Prometheus (GET /metrics): the text exposition format 0.0.4, the server's own
// figures, and each deployment's from its status tree (status_tree.h). Names start with
// `stackyard_`; docs/metrics.md lists them.

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "deployments/status_tree.h"

namespace yard::deployments {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

/// Writes the text format: each family's HELP and TYPE once, then its samples. Label values
/// are escaped (backslash, double quote, newline) and HELP text too (backslash, newline), as
/// the format requires; names must be valid metric and label names (they are constants here).
class MetricsText {
 public:
  /// Starts a family; `type` is "gauge" or "counter".
  void Family(std::string_view name, std::string_view type, std::string_view help);
  /// A sample of the current family (a counter's name gets no `_total` added: give it).
  void Sample(std::string_view name, const MetricLabels& labels, double value);
  void Sample(std::string_view name, double value) { Sample(name, {}, value); }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

/// A label value as the text format wants it between double quotes.
std::string EscapeLabelValue(std::string_view value);
/// A number as the text format writes it: integers without a fraction, NaN and ±Inf by name.
std::string FormatMetricValue(double value);

/// HTTP answers of the API by status class, counted by the server as it answers.
class RequestCounts {
 public:
  void Count(int status);
  /// {"1xx", n}, …, {"5xx", n}.
  std::vector<std::pair<std::string, int64_t>> ByClass() const;

 private:
  std::array<std::atomic<int64_t>, 5> counts_{};
};

/// Where GET /metrics finds the server's own figures (the rest comes from the store and the
/// status trees).
struct ServerMetricsSources {
  const RequestCounts* requests = nullptr;
  int64_t started_at = 0;  // Unix seconds
  std::string logs_dir;    // the log store's directory (DATA_DIR/logs)
  std::string volumes_dir;
};

/// What the server reports about itself.
struct ServerFigures {
  std::string version;
  int64_t start_time = 0;  // Unix seconds
  int64_t now = 0;
  std::vector<std::pair<std::string, int64_t>> requests;  // by status class
  std::map<std::string, int64_t> deployments_by_phase;
  int64_t builds_queued = 0;
  int64_t builds_running = 0;
  int64_t log_store_bytes = 0;
  int64_t volumes_filesystem_bytes = 0;
  int64_t volumes_filesystem_available_bytes = 0;
};

void WriteServerMetrics(MetricsText& out, const ServerFigures& figures);

/// Each deployment's figures: colour, disk, and per service (component or add-on) up,
/// restarts, CPU and memory, summed over its containers (two during a rollout).
void WriteDeploymentMetrics(MetricsText& out, const std::vector<StatusTree>& trees);

}  // namespace yard::deployments

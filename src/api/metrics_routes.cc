// GET /metrics: the server's and its deployments' figures in Prometheus's text format
// (deployments/metrics.h, docs/metrics.md). An admin's API token is needed, sent as a bearer
// token like every other call: the figures name every project and deployment.

#include "api/api.h"
#include "base/version.h"
#include "deployments/disk_usage.h"
#include "deployments/metrics.h"
#include "deployments/status_tree.h"
#include "store/builds.h"

namespace yard::api {

void AddMetricsRoutes(Router& router, Services& services) {
  router.Add(
      "GET", "/metrics", Access::kAdmin,
      [&services](const RouteContext&) -> Result<http::Response> {
        const deployments::ServerMetricsSources& sources = *services.metrics;
        deployments::ServerFigures server{.version = kVersion,
                                          .start_time = sources.started_at,
                                          .now = services.clock.NowUnix()};
        if (sources.requests != nullptr) server.requests = sources.requests->ByClass();
        std::vector<store::Deployment> all = TRY(services.deployment_store->ListAll());
        std::vector<deployments::StatusTree> trees = services.status_trees->OfAll(
            all, [&](const store::Deployment& d) { return services.deployments->StatusOf(d); });
        for (const deployments::StatusTree& tree : trees) ++server.deployments_by_phase[tree.phase];
        if (store::BuildStore* builds = services.status_trees->builds()) {
          for (const store::BuildRecord& build : TRY(builds->Active())) {
            if (build.state == store::BuildState::kQueued) ++server.builds_queued;
            if (build.state == store::BuildState::kRunning) ++server.builds_running;
          }
        }
        if (!sources.logs_dir.empty()) {
          server.log_store_bytes = services.status_trees->DirectoryBytes(sources.logs_dir);
        }
        if (!sources.volumes_dir.empty()) {
          if (auto space = deployments::SpaceOf(sources.volumes_dir)) {
            server.volumes_filesystem_bytes = space->size_bytes;
            server.volumes_filesystem_available_bytes = space->available_bytes;
          }
        }
        deployments::MetricsText text;
        deployments::WriteServerMetrics(text, server);
        deployments::WriteDeploymentMetrics(text, trees);
        http::Response response{.status = 200};
        response.content_type = "text/plain; version=0.0.4; charset=utf-8";
        response.body = text.text();
        return response;
      });
}

}  // namespace yard::api

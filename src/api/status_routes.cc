// GET /api/v1/projects/{project}/deployments/{deployment}/status: a deployment's status tree
// (deployments/status_tree.h), and GET /api/v1/projects/{project}/status: every deployment
// of a project with its colour and reasons; with ?follow=true either is streamed, again
// whenever it changes (api/followed_view.h). docs/api.md "Status".

#include "api/api.h"
#include "api/followed_view.h"
#include "api/json.h"
#include "api/size_request.h"
#include "api/views.h"
#include "deployments/status_tree.h"

namespace yard::api {
namespace {

Json NullIfEmpty(const std::string& text) { return text.empty() ? Json(nullptr) : Json(text); }
Json TimeOrNull(int64_t unix_seconds) {
  return unix_seconds > 0 ? TimeView(unix_seconds) : Json(nullptr);
}
template <typename T>
Json OrNull(const std::optional<T>& value) {
  return value ? Json(*value) : Json(nullptr);
}

Json ContainerView(const deployments::ContainerNode& node) {
  return Json{{"service", node.service},
              {"kind", node.addon ? "addon" : "component"},
              {"previous", node.previous},
              {"container", NullIfEmpty(node.container)},
              {"state", node.state},
              {"engine_state", NullIfEmpty(node.engine_state)},
              {"health", node.health},
              {"restarts", node.restarts},
              {"started_at", TimeOrNull(node.started_at)},
              {"uptime_seconds", node.engine_state == "running" ? Json(node.uptime_seconds)
                                                                : Json(nullptr)},
              {"last_exit_code", OrNull(node.last_exit_code)},
              {"oom_killed", node.oom_killed},
              {"cpu_percent", OrNull(node.cpu_percent)},
              {"cpu_seconds", OrNull(node.cpu_seconds)},
              {"memory_bytes", OrNull(node.memory_bytes)},
              {"memory_limit_bytes", OrNull(node.memory_limit_bytes)},
              {"reason", NullIfEmpty(node.reason)}};
}

Json StorageView(const deployments::StorageNode& storage) {
  Json volumes = Json::array();
  for (const deployments::VolumeNode& volume : storage.volumes) {
    volumes.push_back({{"name", volume.name},
                       {"service", NullIfEmpty(volume.service)},
                       {"storage", volume.storage},
                       {"path", volume.path},
                       {"bytes", volume.bytes},
                       {"files", volume.files},
                       {"partial", volume.partial}});
  }
  return Json{{"volumes", volumes},
              {"total_bytes", storage.total_bytes},
              {"filesystem_bytes", storage.filesystem_bytes ? Json(storage.filesystem_bytes)
                                                            : Json(nullptr)},
              {"filesystem_used_bytes",
               storage.filesystem_bytes ? Json(storage.filesystem_used_bytes) : Json(nullptr)},
              {"filesystem_available_bytes",
               storage.filesystem_bytes ? Json(storage.filesystem_available_bytes)
                                        : Json(nullptr)},
              {"measured_at", TimeOrNull(storage.measured_at)}};
}

Json BuildsView(const std::vector<deployments::BuildNode>& builds) {
  Json out = Json::array();
  for (const deployments::BuildNode& build : builds) {
    out.push_back({{"id", build.id},
                   {"commit", build.commit},
                   {"state", build.state},
                   {"error", NullIfEmpty(build.error)},
                   {"queued_at", TimeOrNull(build.queued_at)},
                   {"started_at", TimeOrNull(build.started_at)},
                   {"finished_at", TimeOrNull(build.finished_at)},
                   {"duration_seconds", OrNull(build.duration_seconds)}});
  }
  return out;
}

Json EndpointsView(const std::vector<controller::EndpointStatus>& endpoints) {
  Json out = Json::array();
  for (const controller::EndpointStatus& endpoint : endpoints) {
    Json urls = Json::array();
    for (const auto& host : endpoint.hosts) urls.push_back(host.url);
    out.push_back({{"id", endpoint.id},
                   {"service", endpoint.service},
                   {"url", endpoint.url},
                   {"urls", urls},
                   {"upstream", NullIfEmpty(endpoint.upstream)}});
  }
  return out;
}

Json CertificatesView(const std::vector<deployments::CertificateNode>& certificates) {
  Json out = Json::array();
  for (const deployments::CertificateNode& certificate : certificates) {
    out.push_back({{"host", certificate.host},
                   {"endpoint", certificate.endpoint},
                   {"custom", certificate.custom},
                   {"state", certificate.state},
                   {"issuer", NullIfEmpty(certificate.issuer)},
                   {"expires_at", TimeOrNull(certificate.expires_at)},
                   {"error", NullIfEmpty(certificate.error)}});
  }
  return out;
}

Json StatusTreeView(const deployments::StatusTree& tree) {
  Json containers = Json::array();
  for (const deployments::ContainerNode& node : tree.containers) {
    containers.push_back(ContainerView(node));
  }
  return Json{{"project", tree.project},
              {"deployment", tree.deployment},
              {"stage", tree.stage},
              {"phase", tree.phase},
              {"colour", controller::ColourName(tree.colour)},
              {"reasons", tree.reasons},
              {"size", SizeView(tree.size)},
              {"containers", containers},
              {"storage", StorageView(tree.storage)},
              {"builds", BuildsView(tree.builds)},
              {"endpoints", EndpointsView(tree.endpoints)},
              {"certificates", CertificatesView(tree.certificates)},
              {"engine_error", NullIfEmpty(tree.engine_error)},
              {"observed_at", TimeOrNull(tree.observed_at)},
              {"generated_at", TimeOrNull(tree.generated_at)}};
}

// A followed tree is sent again when it changes, but not for the times of the read itself
// (nor uptimes, which grow with them).
Json WithoutReadTimes(const Json& tree) {
  Json out = tree;
  out.erase("generated_at");
  out.erase("observed_at");
  for (Json& container : out["containers"]) container.erase("uptime_seconds");
  return out;
}

Result<Json> DeploymentStatusView(Services& services, const store::Project& project,
                                  const std::string& name) {
  store::Deployment d = TRY(services.deployments->Find(project, name));
  return StatusTreeView(services.status_trees->Of(d, services.deployments->StatusOf(d)));
}

Result<Json> ProjectStatusView(Services& services, const store::Project& project) {
  Json list = Json::array();
  std::vector<store::Deployment> all = TRY(services.deployments->List(project));
  std::vector<deployments::StatusTree> trees = services.status_trees->OfAll(
      all, [&](const store::Deployment& d) { return services.deployments->StatusOf(d); });
  for (const deployments::StatusTree& tree : trees) {
    list.push_back({{"name", tree.deployment},
                    {"stage", tree.stage},
                    {"phase", tree.phase},
                    {"colour", controller::ColourName(tree.colour)},
                    {"reasons", tree.reasons}});
  }
  return Json{{"project", project.name}, {"deployments", list}};
}

}  // namespace

void AddStatusRoutes(Router& router, Services& services) {
  router.Add(
      "GET", "/api/v1/projects/{project}/deployments/{deployment}/status", Access::kAuthenticated,
      [&services](const RouteContext& context) -> Result<http::Response> {
        store::Project project =
            TRY(services.projects.Find(context.Param("project"), context.principal->user));
        std::string name = context.Param("deployment");
        bool follow = TRY(FollowRequested(context.request));
        if (!follow) return JsonResponse(200, TRY(DeploymentStatusView(services, project, name)));
        // An unknown deployment is a 404, not a stream that ends at once.
        auto found = services.deployments->Find(project, name);
        if (!found) return Unexpected(found.error());
        return FollowedView({.clock = services.clock,
                             .view = [&services, project, name] {
                               return DeploymentStatusView(services, project, name);
                             },
                             .comparable = WithoutReadTimes});
      });

  router.Add("GET", "/api/v1/projects/{project}/status", Access::kAuthenticated,
             [&services](const RouteContext& context) -> Result<http::Response> {
               store::Project project =
                   TRY(services.projects.Find(context.Param("project"), context.principal->user));
               bool follow = TRY(FollowRequested(context.request));
               if (!follow) return JsonResponse(200, TRY(ProjectStatusView(services, project)));
               return FollowedView({.clock = services.clock, .view = [&services, project] {
                                      return ProjectStatusView(services, project);
                                    }});
             });
}

}  // namespace yard::api

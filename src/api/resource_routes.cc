// GET /api/v1/projects/{project}/deployments/{deployment}/resources?range=1h|24h: the history
// of each service's CPU, memory and disk that the server samples
// (deployments/resource_sampler.h), for the dashboard's graphs and `yard resources`.
// docs/api.md "Resources".

#include <fmt/core.h>

#include <algorithm>

#include "api/api.h"
#include "api/json.h"
#include "api/views.h"

namespace yard::api {
namespace {

struct Range {
  std::string name;
  int64_t seconds = 0;
  int64_t step_seconds = 0;  // 0: every sample as taken
};

Result<Range> RangeOf(const http::Request& request, std::chrono::seconds interval) {
  auto it = request.query.find("range");
  std::string name = it == request.query.end() ? "1h" : it->second;
  int64_t every = std::max<int64_t>(1, interval.count());
  // The last hour sample by sample; the last day in 5-minute averages (288 points).
  if (name == "1h") return Range{.name = name, .seconds = 3600, .step_seconds = 0};
  if (name == "24h") {
    return Range{.name = name, .seconds = 86400, .step_seconds = std::max<int64_t>(300, every)};
  }
  return Unexpected(ErrorCode::kInvalidArgument,
                    fmt::format("'range' must be 1h or 24h, not '{}'", name));
}

template <typename T>
Json OrNull(const std::optional<T>& value) {
  return value ? Json(*value) : Json(nullptr);
}

Json Point(int64_t at, const store::ResourceSample* sample) {
  if (sample == nullptr) {
    return Json{{"at", TimeView(at)},
                {"cpu_percent", nullptr},
                {"memory_bytes", nullptr},
                {"disk_bytes", nullptr}};
  }
  return Json{{"at", TimeView(at)},
              {"cpu_percent", OrNull(sample->cpu_percent)},
              {"memory_bytes", OrNull(sample->memory_bytes)},
              {"disk_bytes", OrNull(sample->disk_bytes)}};
}

// One component's samples (oldest first), with a point of nulls wherever more than two steps
// pass without a sample (the deployment was stopped, the server down): a chart draws a gap
// there rather than a line across.
Json SamplesView(const std::vector<const store::ResourceSample*>& samples, int64_t step,
                 int64_t now) {
  Json out = Json::array();
  for (size_t i = 0; i < samples.size(); ++i) {
    if (i > 0 && samples[i]->at - samples[i - 1]->at > 2 * step) {
      out.push_back(Point(samples[i - 1]->at + step, nullptr));
    }
    out.push_back(Point(samples[i]->at, samples[i]));
  }
  if (!samples.empty() && now - samples.back()->at > 2 * step) {
    out.push_back(Point(samples.back()->at + step, nullptr));
  }
  return out;
}

}  // namespace

void AddResourceRoutes(Router& router, Services& services) {
  router.Add(
      "GET", "/api/v1/projects/{project}/deployments/{deployment}/resources",
      Access::kAuthenticated, [&services](const RouteContext& context) -> Result<http::Response> {
        Range range = TRY(RangeOf(context.request, services.resource_sample_interval));
        store::Project project =
            TRY(services.projects.Find(context.Param("project"), context.principal->user));
        store::Deployment d =
            TRY(services.deployments->Find(project, context.Param("deployment")));
        int64_t now = services.clock.NowUnix();
        std::vector<store::ResourceSample> samples =
            TRY(services.resource_samples->List({.deployment_id = d.id,
                                                 .from = now - range.seconds,
                                                 .to = now + 1,
                                                 .step_seconds = range.step_seconds}));
        int64_t step = range.step_seconds > 0
                           ? range.step_seconds
                           : std::max<int64_t>(1, services.resource_sample_interval.count());
        Json components = Json::array();
        // The store orders by component, then time.
        for (size_t begin = 0; begin < samples.size();) {
          size_t end = begin;
          std::vector<const store::ResourceSample*> of;
          while (end < samples.size() && samples[end].component == samples[begin].component) {
            of.push_back(&samples[end++]);
          }
          components.push_back(
              {{"name", samples[begin].component}, {"samples", SamplesView(of, step, now)}});
          begin = end;
        }
        return JsonResponse(
            200, {{"range", range.name}, {"step_seconds", step}, {"components", components}});
      });
}

}  // namespace yard::api

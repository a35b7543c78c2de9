// /api/v1/projects/{project}/deployments/{deployment}/actions... and /exec: the manifest's
// named actions and one-off commands in a deployment's running containers
// (deployments/actions.h), and their past runs. docs/api.md "Actions".
//
// Starting a run answers with its output as it comes, NDJSON: {"started": RUN}, then
// {"stream": "stdout"|"stderr", "line": TEXT, "time": ...} per line, and last {"exit_code":
// N, "run": ID, "state": ..., "reason": ...}. The run goes on when the client goes away.

#include <fmt/core.h>

#include <cstdint>
#include <memory>

#include "api/api.h"
#include "api/heartbeat.h"
#include "api/json.h"
#include "api/views.h"
#include "deployments/actions.h"
#include "logs/times.h"

namespace yard::api {
namespace {

// Recent runs listed beside the actions.
constexpr int kRecentRuns = 20;
constexpr int64_t kMaxRuns = 1000;

Json CommandView(const manifest::Command& command) {
  if (command.shell && command.args.size() == 1) return command.args.front();
  return command.args;
}

Json ActionView(const deployments::ActionInfo& info) {
  const manifest::Action& action = info.action;
  return Json{{"id", action.id},
              {"component", action.component},
              {"command", CommandView(action.command)},
              {"description", action.description},
              {"stages", action.stages},
              {"available", info.available}};
}

Json RunView(Services& services, const store::ActionRun& run) {
  Json started_by = nullptr;
  if (run.started_by) {
    if (auto user = services.users.Get(*run.started_by)) started_by = user->name;
  }
  return Json{{"id", run.id},
              {"service", run.service},
              {"action", run.action.empty() ? Json(nullptr) : Json(run.action)},
              {"command", run.command},
              {"state", store::RunStateName(run.state)},
              {"exit_code", run.exit_code ? Json(*run.exit_code) : Json(nullptr)},
              {"error", run.error.empty() ? Json(nullptr) : Json(run.error)},
              {"started_at", TimeView(run.started_at)},
              {"finished_at", TimeView(run.finished_at)},
              {"started_by", started_by}};
}

Json LineView(const logs::LogLine& line) {
  return Json{{"time", logs::FormatRfc3339Nanos(line.time_ns)},
              {"stream", line.stream == 'e' ? "stderr" : "stdout"},
              {"line", line.text}};
}

// The last line. Its explanation is "reason", not "error": a line with "error" is how a
// stream says that it broke (as the log routes do).
Json EndView(const store::ActionRun& run) {
  return Json{{"exit_code", run.exit_code ? Json(*run.exit_code) : Json(nullptr)},
              {"run", run.id},
              {"state", store::RunStateName(run.state)},
              {"reason", run.error.empty() ? Json(nullptr) : Json(run.error)}};
}

Result<int64_t> RunId(const RouteContext& context) {
  return ParseNumber(context.Param("run"), 1, INT64_MAX, ErrorCode::kInvalidArgument, "run");
}

// The run's output as NDJSON, from its start, until it has ended and all of it was sent.
http::Response StreamRun(Services& services, const store::Deployment& d,
                         const store::ActionRun& run, std::string first) {
  struct State {
    std::string pending;
    logs::Cursor cursor;
    Heartbeat heartbeat;
  };
  auto state = std::make_shared<State>();
  state->pending = std::move(first);
  http::Response response{.status = 200, .content_type = "application/x-ndjson"};
  response.stream = [actions = services.actions, d, id = run.id, state](std::string& chunk,
                                                                        bool stopping) {
    if (stopping) return false;
    chunk.swap(state->pending);
    auto output = actions->Output(d, id, state->cursor);
    if (!output) {
      chunk += Json{{"error", output.error().message}}.dump() + "\n";
      return false;
    }
    for (const logs::LogLine& line : output->lines) chunk += LineView(line).dump() + "\n";
    state->cursor = output->cursor;
    if (output->complete) {
      chunk += EndView(output->run).dump() + "\n";
      return false;
    }
    state->heartbeat.Poll(chunk);
    return true;
  };
  return response;
}

Result<std::vector<std::string>> CommandOf(const Json& body) {
  if (!body.contains("command")) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      "'command' is required: the program and its arguments, e.g. [\"sh\", "
                      "\"-c\", \"ls -l\"]");
  }
  const Json& command = body["command"];
  if (!command.is_array()) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      "'command' must be an array of strings (argv), e.g. [\"sh\", \"-c\", "
                      "\"ls -l\"]");
  }
  std::vector<std::string> argv;
  for (const Json& word : command) {
    if (!word.is_string()) {
      return Unexpected(ErrorCode::kInvalidArgument, "'command' must be an array of strings");
    }
    argv.push_back(word.get<std::string>());
  }
  return argv;
}

}  // namespace

void AddActionRoutes(Router& router, Services& services) {
  const std::string base = "/api/v1/projects/{project}/deployments/{deployment}";
  auto deployment_of = [&services](const RouteContext& context)
      -> Result<std::pair<store::Project, store::Deployment>> {
    store::Project project =
        TRY(services.projects.Find(context.Param("project"), context.principal->user));
    store::Deployment d = TRY(services.deployments->Find(project, context.Param("deployment")));
    return std::make_pair(project, d);
  };

  router.Add("GET", base + "/actions", Access::kAuthenticated,
             [&services, deployment_of](const RouteContext& context) -> Result<http::Response> {
               auto [project, d] = TRY(deployment_of(context));
               deployments::ActionList list = TRY(services.actions->List(project, d));
               Json actions = Json::array();
               for (const auto& info : list.actions) actions.push_back(ActionView(info));
               Json runs = Json::array();
               for (const auto& run : TRY(services.actions->Runs(d, kRecentRuns))) {
                 runs.push_back(RunView(services, run));
               }
               return JsonResponse(200, {{"stage", d.stage},
                                         {"commit", list.commit},
                                         {"actions", std::move(actions)},
                                         {"runs", std::move(runs)}});
             });

  router.Add("POST", base + "/actions/{action}/run", Access::kAuthenticated,
             [&services, deployment_of](const RouteContext& context) -> Result<http::Response> {
               auto [project, d] = TRY(deployment_of(context));
               TRY(RejectUnknownFields(TRY(ParseBody(context.request)), {}));
               store::ActionRun run = TRY(services.actions->RunAction(
                   project, d, context.Param("action"), context.principal->user));
               return StreamRun(services, d, run,
                                Json{{"started", RunView(services, run)}}.dump() + "\n");
             });

  router.Add("POST", base + "/exec", Access::kAuthenticated,
             [&services, deployment_of](const RouteContext& context) -> Result<http::Response> {
               auto [project, d] = TRY(deployment_of(context));
               Json body = TRY(ParseBody(context.request));
               TRY(RejectUnknownFields(body, {"component", "command"}));
               std::string component = TRY(OptionalString(body, "component")).value_or("");
               std::vector<std::string> command = TRY(CommandOf(body));
               store::ActionRun run = TRY(services.actions->Exec(project, d, component, command,
                                                                 context.principal->user));
               return StreamRun(services, d, run,
                                Json{{"started", RunView(services, run)}}.dump() + "\n");
             });

  router.Add("GET", base + "/actions/runs", Access::kAuthenticated,
             [&services, deployment_of](const RouteContext& context) -> Result<http::Response> {
               auto [project, d] = TRY(deployment_of(context));
               int limit =
                   static_cast<int>(TRY(QueryNumber(context.request, "limit", 50, 1, kMaxRuns)));
               Json runs = Json::array();
               for (const auto& run : TRY(services.actions->Runs(d, limit))) {
                 runs.push_back(RunView(services, run));
               }
               return JsonResponse(200, {{"runs", std::move(runs)}});
             });

  router.Add("GET", base + "/actions/runs/{run}", Access::kAuthenticated,
             [&services, deployment_of](const RouteContext& context) -> Result<http::Response> {
               auto [project, d] = TRY(deployment_of(context));
               store::ActionRun run = TRY(services.actions->FindRun(d, TRY(RunId(context))));
               return JsonResponse(200, RunView(services, run));
             });

  router.Add(
      "GET", base + "/actions/runs/{run}/logs", Access::kAuthenticated,
      [&services, deployment_of](const RouteContext& context) -> Result<http::Response> {
        auto [project, d] = TRY(deployment_of(context));
        int64_t id = TRY(RunId(context));
        auto follow = context.request.query.find("follow");
        bool following = follow != context.request.query.end() &&
                         (follow->second.empty() || follow->second == "1" ||
                          follow->second == "true");
        if (follow != context.request.query.end() && !following && follow->second != "0" &&
            follow->second != "false") {
          return Unexpected(ErrorCode::kInvalidArgument,
                            fmt::format("'follow' must be true or false, not '{}'",
                                        follow->second));
        }
        store::ActionRun run = TRY(services.actions->FindRun(d, id));
        if (following) return StreamRun(services, d, run, "");
        deployments::RunOutput output = TRY(services.actions->Output(d, id, ""));
        Json lines = Json::array();
        for (const logs::LogLine& line : output.lines) lines.push_back(LineView(line));
        return JsonResponse(200, {{"run", RunView(services, output.run)},
                                  {"lines", std::move(lines)},
                                  {"complete", output.complete}});
      });
}

}  // namespace yard::api

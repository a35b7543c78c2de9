// GET /api/v1/events and GET /api/v1/projects/{project}/deployments/{deployment}/events: the
// event log (events/recorder.h), read or followed. docs/api.md "Events".

#include <fmt/core.h>

#include <algorithm>
#include <limits>
#include <memory>

#include "api/api.h"
#include "api/heartbeat.h"
#include "api/json.h"
#include "base/names.h"
#include "events/json.h"
#include "events/recorder.h"
#include "logs/times.h"

namespace yard::api {
namespace {

constexpr int64_t kDefaultLimit = 100;
constexpr int64_t kMaxLimit = 10'000;
constexpr size_t kMaxKindBytes = 100;
// Rows a followed stream reads at a time.
constexpr int kFollowBatch = 1000;

Result<bool> QueryFlag(const http::Request& request, const char* name) {
  auto it = request.query.find(name);
  if (it == request.query.end() || it->second == "0" || it->second == "false") return false;
  if (it->second.empty() || it->second == "1" || it->second == "true") return true;
  return Unexpected(ErrorCode::kInvalidArgument,
                    fmt::format("'{}' must be true or false, not '{}'", name, it->second));
}

Status ValidateKind(std::string_view kind) {
  bool ok = !kind.empty() && kind.size() <= kMaxKindBytes;
  for (char c : kind) {
    ok &= (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
  }
  if (ok) return Ok();
  return Unexpected(ErrorCode::kInvalidArgument,
                    fmt::format("'kind' must be the start of an event kind such as 'build' or "
                                "'deployment.phase' (lowercase letters, digits, '.', '_', '-'), "
                                "not '{}'",
                                kind));
}

// The query's filters other than the project and deployment, which the two routes take from
// different places.
Result<store::EventQuery> FiltersOf(const http::Request& request, const Clock& clock) {
  store::EventQuery query;
  if (auto it = request.query.find("kind"); it != request.query.end()) {
    TRY(ValidateKind(it->second));
    query.kind_prefix = it->second;
  }
  if (auto it = request.query.find("since"); it != request.query.end()) {
    int64_t now_ns = clock.NowUnix() * 1'000'000'000;
    auto since = logs::ParseTimeSpec(it->second, now_ns);
    if (!since) {
      return Unexpected(ErrorCode::kInvalidArgument,
                        fmt::format("'since' must be a duration ago (10m, 2h, 7d), an RFC 3339 "
                                    "time, a date or Unix seconds, not '{}'",
                                    it->second));
    }
    query.since_ms = *since / 1'000'000;
  }
  if (request.query.contains("after")) {
    query.after_id =
        TRY(QueryNumber(request, "after", 0, 0, std::numeric_limits<int64_t>::max()));
  }
  query.limit = static_cast<int>(TRY(QueryNumber(request, "limit", kDefaultLimit, 1, kMaxLimit)));
  return query;
}

// Answers with the events the query selects, as one document or, with follow, as NDJSON
// that goes on with every new event.
Result<http::Response> Answer(events::Recorder& log, store::EventQuery query, bool follow) {
  int64_t known = log.last_id();
  std::vector<store::EventRecord> first = TRY(log.List(query));
  bool truncated = query.after_id && static_cast<int>(first.size()) == query.limit;
  int64_t cursor = truncated ? first.back().id
                             : std::max({known, query.after_id.value_or(0),
                                         first.empty() ? 0 : first.back().id});
  if (!follow) {
    Json list = Json::array();
    for (const store::EventRecord& event : first) list.push_back(events::EventJson(event));
    return JsonResponse(200, {{"events", std::move(list)}, {"cursor", cursor}});
  }

  struct State {
    std::string pending;
    int64_t cursor = 0;
    Heartbeat heartbeat;
  };
  auto state = std::make_shared<State>();
  for (const store::EventRecord& event : first) {
    state->pending += events::EventJson(event).dump() + "\n";
  }
  state->cursor = cursor;
  query.limit = kFollowBatch;
  http::Response response{.status = 200, .content_type = "application/x-ndjson"};
  response.stream = [&log, query, state](std::string& chunk, bool stopping) mutable {
    if (stopping) return false;
    if (!state->pending.empty()) {
      chunk.swap(state->pending);
      return true;
    }
    int64_t newest = log.last_id();
    if (newest > state->cursor) {
      query.after_id = state->cursor;
      auto more = log.List(query);
      if (!more) {
        chunk = Json{{"error", more.error().message}}.dump() + "\n";
        return false;
      }
      for (const store::EventRecord& event : *more) {
        chunk += events::EventJson(event).dump() + "\n";
      }
      // Rows the filters skipped need not be read again.
      state->cursor = static_cast<int>(more->size()) == query.limit ? more->back().id : newest;
    }
    state->heartbeat.Poll(chunk);
    return true;
  };
  return response;
}

}  // namespace

void AddEventRoutes(Router& router, Services& services) {
  router.Add(
      "GET", "/api/v1/events", Access::kAuthenticated,
      [&services](const RouteContext& context) -> Result<http::Response> {
        const http::Request& request = context.request;
        const store::User& user = context.principal->user;
        store::EventQuery query = TRY(FiltersOf(request, services.clock));
        auto project = request.query.find("project");
        auto deployment = request.query.find("deployment");
        if (project != request.query.end()) {
          TRY(ValidateName(project->second, "project"));
          query.project_id = TRY(services.projects.Find(project->second, user)).id;
        }
        if (deployment != request.query.end()) {
          if (project == request.query.end()) {
            return Unexpected(ErrorCode::kInvalidArgument,
                              "'deployment' needs 'project': deployment names are per project");
          }
          TRY(ValidateName(deployment->second, "deployment"));
          query.deployment = deployment->second;
        }
        if (!context.principal->IsAdmin()) query.visible_to = user.id;
        return Answer(*services.event_log, query, TRY(QueryFlag(request, "follow")));
      });

  // The deployment's history; it outlives the deployment, so a deleted one's is there too.
  router.Add(
      "GET", "/api/v1/projects/{project}/deployments/{deployment}/events",
      Access::kAuthenticated,
      [&services](const RouteContext& context) -> Result<http::Response> {
        const http::Request& request = context.request;
        for (const char* name : {"project", "deployment"}) {
          if (request.query.contains(name)) {
            return Unexpected(ErrorCode::kInvalidArgument,
                              fmt::format("'{}' is given by the path here", name));
          }
        }
        store::EventQuery query = TRY(FiltersOf(request, services.clock));
        query.project_id =
            TRY(services.projects.Find(context.Param("project"), context.principal->user)).id;
        TRY(ValidateName(context.Param("deployment"), "deployment"));
        query.deployment = context.Param("deployment");
        return Answer(*services.event_log, query, TRY(QueryFlag(request, "follow")));
      });
}

}  // namespace yard::api

// GET /api/v1/projects/{project}/deployments/{deployment}/logs: a deployment's kept logs
// (logs/store.h), read or followed. docs/api.md "Logs".

#include <fmt/core.h>

#include <chrono>
#include <memory>

#include "api/api.h"
#include "api/heartbeat.h"
#include "api/json.h"
#include "base/names.h"
#include "logs/store.h"
#include "logs/times.h"

namespace yard::api {
namespace {

constexpr int64_t kMaxTail = 100'000;
constexpr size_t kMaxGrepBytes = 1000;

Json LineJson(const logs::StoredLine& stored) {
  const logs::LogLine& line = stored.line;
  return Json{{"time", logs::FormatRfc3339Nanos(line.time_ns)},
              {"service", stored.service},
              {"stream", line.stream == 'e' ? "stderr" : "stdout"},
              {"container", line.container},
              {"generation", line.generation},
              {"text", line.text}};
}

Result<bool> QueryFlag(const http::Request& request, const char* name) {
  auto it = request.query.find(name);
  if (it == request.query.end() || it->second == "0" || it->second == "false") return false;
  if (it->second.empty() || it->second == "1" || it->second == "true") return true;
  return Unexpected(ErrorCode::kInvalidArgument,
                    fmt::format("'{}' must be true or false, not '{}'", name, it->second));
}

Result<std::optional<int64_t>> QueryTime(const http::Request& request, const char* name,
                                         int64_t now_ns) {
  auto it = request.query.find(name);
  if (it == request.query.end()) return std::nullopt;
  auto time = logs::ParseTimeSpec(it->second, now_ns);
  if (!time) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("'{}' must be a duration ago (10m, 2h), an RFC 3339 time, a "
                                  "date or Unix seconds, not '{}'",
                                  name, it->second));
  }
  return time;
}

Result<logs::Query> QueryOf(const http::Request& request, int64_t now_ns) {
  logs::Query query;
  if (auto it = request.query.find("service"); it != request.query.end()) {
    std::string_view list = it->second;
    while (!list.empty()) {
      size_t comma = list.find(',');
      std::string service(list.substr(0, comma));
      list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
      if (service.empty()) continue;
      TRY(ValidateName(service, "service"));
      query.services.push_back(std::move(service));
    }
  }
  query.since_ns = TRY(QueryTime(request, "since", now_ns));
  query.until_ns = TRY(QueryTime(request, "until", now_ns));
  if (auto it = request.query.find("grep"); it != request.query.end()) {
    if (it->second.size() > kMaxGrepBytes) {
      return Unexpected(ErrorCode::kInvalidArgument,
                        fmt::format("'grep' is longer than {} bytes", kMaxGrepBytes));
    }
    query.grep = it->second;
  }
  query.previous = TRY(QueryFlag(request, "previous"));
  if (request.query.contains("tail")) {
    query.tail = static_cast<int>(TRY(QueryNumber(request, "tail", 0, 0, kMaxTail)));
  }
  return query;
}

}  // namespace

void AddLogRoutes(Router& router, Services& services) {
  const std::string base = "/api/v1/projects/{project}/deployments/{deployment}";
  router.Add(
      "GET", base + "/logs", Access::kAuthenticated,
      [&services](const RouteContext& context) -> Result<http::Response> {
        store::Project project =
            TRY(services.projects.Find(context.Param("project"), context.principal->user));
        store::Deployment d =
            TRY(services.deployments->Find(project, context.Param("deployment")));
        int64_t now_ns = services.clock.NowUnix() * 1'000'000'000;
        logs::Query query = TRY(QueryOf(context.request, now_ns));
        bool follow = TRY(QueryFlag(context.request, "follow"));
        logs::ReadResult first = TRY(services.logs->Read(d.id, query));
        if (!follow) {
          Json lines = Json::array();
          for (const logs::StoredLine& line : first.lines) lines.push_back(LineJson(line));
          return JsonResponse(200, {{"lines", std::move(lines)}, {"cursor", first.cursor}});
        }

        // Followed: NDJSON, the lines so far, then each new one as it is stored.
        struct State {
          std::string pending;
          logs::Cursor cursor;
          Heartbeat heartbeat;
        };
        auto state = std::make_shared<State>();
        for (const logs::StoredLine& line : first.lines) {
          state->pending += LineJson(line).dump() + "\n";
        }
        state->cursor = first.cursor;
        query.tail.reset();
        http::Response response{.status = 200, .content_type = "application/x-ndjson"};
        response.stream = [store = services.logs, id = d.id, query, state](std::string& chunk,
                                                                          bool stopping) {
          if (stopping) return false;
          if (!state->pending.empty()) {
            chunk.swap(state->pending);
            return true;
          }
          auto more = store->ReadAfter(id, query, state->cursor, std::chrono::milliseconds(0));
          if (!more) {
            chunk = Json{{"error", more.error().message}}.dump() + "\n";
            return false;
          }
          for (const logs::StoredLine& line : more->lines) chunk += LineJson(line).dump() + "\n";
          state->cursor = more->cursor;
          state->heartbeat.Poll(chunk);
          return true;
        };
        return response;
      });
}

}  // namespace yard::api

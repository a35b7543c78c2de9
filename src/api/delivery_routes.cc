// /api/v1/projects/{project}/deployments/{deployment}...: what a deployment follows (PATCH:
// branch, auto_deploy), its builds (list, show, log, cancel) and its releases (list,
// rollback, promotion). Open to the project's members and admins, like the deployment routes.
// Rollback and promotion answer 202: they record the release, and the controller rolls it out.

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <thread>

#include <fmt/core.h>
#include <fmt/format.h>

#include "api/api.h"
#include "api/audit.h"
#include "api/followed_view.h"
#include "api/heartbeat.h"
#include "api/json.h"
#include "api/size_request.h"
#include "api/views.h"
#include "base/fs.h"
#include "git/bare_repository.h"
#include "store/builds.h"

namespace yard::api {
namespace {

constexpr int kDefaultLimit = 20;
constexpr int kMaxLimit = 100;
/// A log answer carries at most this much; a client asks again from the offset it got.
constexpr size_t kMaxLogChunk = 1 << 20;
constexpr int kMaxLogWaitSeconds = 25;
constexpr auto kLogPoll = std::chrono::milliseconds(200);
/// A waiting log request holds one of the server's few handler threads (4 by default), so
/// only this many wait at once; others answer at once, and their client asks again.
constexpr int kMaxLogWaiters = 2;

struct Target {
  store::Project project;
  store::Deployment deployment;
};

Result<int64_t> BuildIdOf(const RouteContext& context) {
  const std::string& text = context.Param("build");
  auto id = ParseNumber(text, 1, INT64_MAX, ErrorCode::kNotFound, "a build id");
  if (!id) return Unexpected(ErrorCode::kNotFound, "no such build: " + text);
  return id;
}

Result<std::optional<int64_t>> OptionalReleaseNumber(const Json& body) {
  auto number = TRY(OptionalInt(body, "release"));
  if (number && *number < 1) {
    return Unexpected(ErrorCode::kInvalidArgument, "'release' must be a release number (1, 2, …)");
  }
  return number;
}

// User names for "requested_by" and the like, each looked up once per answer.
class UserNames {
 public:
  explicit UserNames(store::UserStore& users) : users_(users) {}

  std::optional<std::string> Of(std::optional<int64_t> id) {
    if (!id) return std::nullopt;
    auto [it, inserted] = names_.try_emplace(*id);
    if (inserted) {
      auto user = users_.Get(*id);
      if (user) it->second = user->name;
    }
    if (it->second.empty()) return std::nullopt;
    return it->second;
  }

 private:
  store::UserStore& users_;
  std::map<int64_t, std::string> names_;
};

Result<Json> BuildOf(Services& services, UserNames& names, const store::BuildRecord& build) {
  int position = 0;
  if (build.state == store::BuildState::kQueued) {
    store::BuildStore builds(services.db, services.clock);
    position = TRY(builds.QueuePosition(build.id));
  }
  return BuildView(build, names.Of(build.requested_by), position);
}

// The length of `text` without an incomplete UTF-8 sequence at its end (a chunk cut in the
// middle of a character, or a character the build has half written).
size_t CompleteUtf8Prefix(std::string_view text) {
  for (size_t back = 1; back <= 4 && back <= text.size(); ++back) {
    auto byte = static_cast<unsigned char>(text[text.size() - back]);
    if ((byte & 0xC0) == 0x80) continue;  // a continuation byte: look further back
    size_t length = byte < 0x80             ? 1
                    : (byte & 0xE0) == 0xC0 ? 2
                    : (byte & 0xF0) == 0xE0 ? 3
                    : (byte & 0xF8) == 0xF0 ? 4
                                            : 1;
    return length > back ? text.size() - back : text.size();
  }
  return text.size();
}

struct LogChunk {
  std::string text;
  int64_t next = 0;  // the offset after `text`
  int64_t size = 0;  // the log's size when read
};

// Up to kMaxLogChunk bytes of the log from `offset`. `complete`: the build has finished, so
// the log will not grow and its last bytes are final.
Result<LogChunk> ReadLog(const std::string& path, int64_t offset, bool complete) {
  LogChunk chunk{.next = offset};
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (fs::Exists(path)) return Unexpected(ErrorCode::kIo, "cannot read the build's log");
    // Not written yet (the build is queued), or never (it was cancelled while queued).
  } else {
    in.seekg(0, std::ios::end);
    chunk.size = static_cast<int64_t>(in.tellg());
  }
  if (offset > chunk.size) {
    return Unexpected(
        ErrorCode::kInvalidArgument,
        fmt::format("offset {} is past the end of the log ({} bytes)", offset, chunk.size));
  }
  size_t wanted = std::min(static_cast<size_t>(chunk.size - offset), kMaxLogChunk);
  if (wanted == 0) return chunk;
  chunk.text.resize(wanted);
  in.seekg(offset);
  in.read(chunk.text.data(), static_cast<std::streamsize>(wanted));
  chunk.text.resize(static_cast<size_t>(std::max<std::streamsize>(in.gcount(), 0)));
  bool at_end = offset + static_cast<int64_t>(chunk.text.size()) == chunk.size;
  if (!(complete && at_end)) chunk.text.resize(CompleteUtf8Prefix(chunk.text));
  chunk.next = offset + static_cast<int64_t>(chunk.text.size());
  return chunk;
}

// A followed log (?follow=true): NDJSON {"text"} pieces as the build writes them, then
// {"done": true, "state"} once it has ended and all of its log is sent. Each poll reads
// what is there and returns (http/message.h: producers never wait).
http::Response FollowBuildLog(Services& services, const store::Deployment& d, int64_t id,
                              std::string path, int64_t offset) {
  struct State {
    int64_t offset = 0;
    Heartbeat heartbeat;
  };
  auto state = std::make_shared<State>(State{.offset = offset});
  http::Response response{.status = 200, .content_type = "application/x-ndjson"};
  response.stream = [&services, d, id, path = std::move(path), state](std::string& chunk,
                                                                      bool stopping) {
    if (stopping) return false;
    auto fail = [&chunk](const Error& error) {
      chunk = Json{{"error", error.message}}.dump() + "\n";
      return false;
    };
    // The state first: a build seen finished has written its whole log.
    auto build = services.delivery->FindBuild(d, id);
    if (!build) return fail(build.error());
    bool finished = store::IsFinished(build->state);
    auto piece = ReadLog(path, state->offset, finished);
    if (!piece) return fail(piece.error());
    if (!piece->text.empty()) {
      chunk = Json{{"text", std::move(piece->text)}}.dump(-1, ' ', false,
                                                          Json::error_handler_t::replace) +
              "\n";
      state->offset = piece->next;
    }
    if (finished && piece->next == piece->size) {
      chunk += Json{{"done", true}, {"state", store::BuildStateName(build->state)}}.dump() + "\n";
      return false;
    }
    state->heartbeat.Poll(chunk);
    return true;
  };
  return response;
}

// Holds one of the kMaxLogWaiters places, if one is free.
class WaitSlot {
 public:
  explicit WaitSlot(std::atomic<int>& waiters) : waiters_(waiters) {
    held_ = waiters_.fetch_add(1) < kMaxLogWaiters;
    if (!held_) waiters_.fetch_sub(1);
  }
  ~WaitSlot() {
    if (held_) waiters_.fetch_sub(1);
  }
  WaitSlot(const WaitSlot&) = delete;
  WaitSlot& operator=(const WaitSlot&) = delete;
  bool held() const { return held_; }

 private:
  std::atomic<int>& waiters_;
  bool held_ = false;
};

// Is `release` the one the deployment runs? The newest release with its commit and images.
bool RunsNow(const store::Deployment& d, const store::Release& release) {
  return !d.release_commit.empty() && release.commit == d.release_commit &&
         release.images == d.release_images;
}

}  // namespace

void AddDeliveryRoutes(Router& router, Services& services) {
  const std::string base = "/api/v1/projects/{project}/deployments/{deployment}";
  auto target_of = [&services](const RouteContext& context) -> Result<Target> {
    store::Project project =
        TRY(services.projects.Find(context.Param("project"), context.principal->user));
    store::Deployment d = TRY(services.deployments->Find(project, context.Param("deployment")));
    return Target{std::move(project), std::move(d)};
  };
  // The deployment as it is after a change.
  auto view_of = [&services](const store::Deployment& fresh) {
    return DeploymentView(services, fresh, services.deployments->StatusOf(fresh));
  };
  // A rollback's or promotion's answer: the release made, and the deployment now running it.
  auto release_answer = [&services, view_of](const store::Release& made) -> Result<http::Response> {
    store::Deployment fresh = TRY(services.deployment_store->Find(made.deployment_id));
    return JsonResponse(202, {{"release", ReleaseView(made, RunsNow(fresh, made))},
                              {"deployment", view_of(fresh)}});
  };

  router.Add(
      "PATCH", base, Access::kAuthenticated,
      [&services, target_of, view_of](const RouteContext& context) -> Result<http::Response> {
        auto [project, d] = TRY(target_of(context));
        Json body = TRY(ParseBody(context.request));
        TRY(RejectUnknownFields(body, {"branch", "auto_deploy", "size"}));
        auto branch = TRY(OptionalString(body, "branch"));
        auto auto_deploy = TRY(OptionalBool(body, "auto_deploy"));
        // Checked before anything changes (deployments/sizes.h).
        std::optional<deployments::Limits> size;
        if (body.contains("size") && !body["size"].is_null()) {
          size = TRY(deployments::ApplySizeChange({d.cpu_millis, d.memory_bytes},
                                                  TRY(SizeChangeOf(body["size"]))));
        }
        bool resized = size && *size != deployments::Limits{d.cpu_millis, d.memory_bytes};
        if (d.desired == store::Desired::kDeleted) {
          return Unexpected(ErrorCode::kFailedPrecondition, "the deployment is being deleted");
        }
        if (branch && *branch != d.branch) {
          // Checked here so that an unknown name is the caller's mistake (400, with the
          // branches there are), not a missing object.
          git::BareRepository repository = TRY(git::BareRepository::Open(project.repo_path));
          std::vector<std::string> names;
          for (const git::Branch& known : TRY(repository.Branches())) names.push_back(known.name);
          if (std::find(names.begin(), names.end(), *branch) == names.end()) {
            return Unexpected(ErrorCode::kInvalidArgument,
                              fmt::format("project '{}' has no branch '{}'; branches: {}",
                                          project.name, *branch, fmt::join(names, ", ")));
          }
          TRY(services.delivery->SetBranch(project, d, *branch, context.principal->user));
        }
        if (auto_deploy && *auto_deploy != d.auto_deploy) {
          TRY(services.delivery->SetAutoDeploy(d, *auto_deploy));
        }
        if (resized) TRY(services.deployments->SetSize(d, size->cpu_millis, size->memory_bytes));
        if ((branch && *branch != d.branch) || (auto_deploy && *auto_deploy != d.auto_deploy) ||
            resized) {
          Audit(services, context,
                events::AboutDeployment(d, events::kDeploymentUpdated,
                                        fmt::format("settings changed: {}", body.dump()), body));
        }
        return JsonResponse(200, view_of(TRY(services.deployment_store->Find(d.id))));
      });

  router.Add(
      "GET", base + "/builds", Access::kAuthenticated,
      [&services, target_of](const RouteContext& context) -> Result<http::Response> {
        auto [project, d] = TRY(target_of(context));
        int64_t limit = TRY(QueryNumber(context.request, "limit", kDefaultLimit, 1, kMaxLimit));
        UserNames names(services.users);
        Json list = Json::array();
        for (const auto& build : TRY(services.delivery->Builds(d, static_cast<int>(limit)))) {
          list.push_back(TRY(BuildOf(services, names, build)));
        }
        return JsonResponse(200, {{"builds", list}});
      });

  router.Add("GET", base + "/builds/{build}", Access::kAuthenticated,
             [&services, target_of](const RouteContext& context) -> Result<http::Response> {
               auto [project, d] = TRY(target_of(context));
               store::BuildRecord build =
                   TRY(services.delivery->FindBuild(d, TRY(BuildIdOf(context))));
               UserNames names(services.users);
               Json view = TRY(BuildOf(services, names, build));
               return JsonResponse(200, {{"build", view}});
             });

  // The log from a byte offset. With `wait`, an answer that would bring nothing new about a
  // build that has not finished waits for more (polling the file: the runner appends to it),
  // so that a client follows a live build with one request every few seconds.
  auto waiters = std::make_shared<std::atomic<int>>(0);
  router.Add(
      "GET", base + "/builds/{build}/log", Access::kAuthenticated,
      [&services, target_of, waiters](const RouteContext& context) -> Result<http::Response> {
        auto [project, d] = TRY(target_of(context));
        int64_t id = TRY(BuildIdOf(context));
        int64_t offset = TRY(QueryNumber(context.request, "offset", 0, 0, INT64_MAX));
        int64_t wait = TRY(QueryNumber(context.request, "wait", 0, 0, kMaxLogWaitSeconds));
        std::string path = fmt::format("{}/{}.log", services.build_logs_dir, id);
        if (TRY(FollowRequested(context.request))) {
          store::BuildRecord build = TRY(services.delivery->FindBuild(d, id));  // or 404
          TRY(ReadLog(path, offset, store::IsFinished(build.state)));  // an offset past the end: 400
          return FollowBuildLog(services, d, id, std::move(path), offset);
        }
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait);
        std::optional<WaitSlot> slot;
        while (true) {
          // The state first: a build seen finished has written its whole log, so the read
          // after it is complete.
          store::BuildRecord build = TRY(services.delivery->FindBuild(d, id));
          bool finished = store::IsFinished(build.state);
          LogChunk chunk = TRY(ReadLog(path, offset, finished));
          bool nothing_new = chunk.text.empty() && !finished;
          if (nothing_new && wait > 0 && !slot) slot.emplace(*waiters);
          if (!nothing_new || wait == 0 || !slot->held() ||
              std::chrono::steady_clock::now() + kLogPoll > deadline) {
            UserNames names(services.users);
            Json view = TRY(BuildOf(services, names, build));
            return JsonResponse(200, {{"build", view},
                                      {"log", std::move(chunk.text)},
                                      {"offset", chunk.next},
                                      {"finished", finished && chunk.next == chunk.size}});
          }
          std::this_thread::sleep_for(kLogPoll);
        }
      });

  router.Add("POST", base + "/builds/{build}/cancel", Access::kAuthenticated,
             [&services, target_of](const RouteContext& context) -> Result<http::Response> {
               auto [project, d] = TRY(target_of(context));
               int64_t id = TRY(BuildIdOf(context));
               TRY(services.delivery->CancelBuild(d, id, context.principal->user));
               store::BuildRecord build = TRY(services.delivery->FindBuild(d, id));
               UserNames names(services.users);
               Json view = TRY(BuildOf(services, names, build));
               return JsonResponse(202, {{"build", view}});
             });

  router.Add(
      "GET", base + "/releases", Access::kAuthenticated,
      [&services, target_of](const RouteContext& context) -> Result<http::Response> {
        auto [project, d] = TRY(target_of(context));
        int64_t limit = TRY(QueryNumber(context.request, "limit", kDefaultLimit, 1, kMaxLimit));
        Json list = Json::array();
        bool current_seen = false;  // newest first: the first match is the one running
        for (const auto& release : TRY(services.delivery->Releases(d, static_cast<int>(limit)))) {
          bool current = !current_seen && RunsNow(d, release);
          current_seen |= current;
          list.push_back(ReleaseView(release, current));
        }
        return JsonResponse(200, {{"releases", list}});
      });

  router.Add(
      "POST", base + "/rollback", Access::kAuthenticated,
      [&services, target_of,
       release_answer](const RouteContext& context) -> Result<http::Response> {
        auto [project, d] = TRY(target_of(context));
        Json body = TRY(ParseBody(context.request));
        TRY(RejectUnknownFields(body, {"release"}));
        auto number = TRY(OptionalReleaseNumber(body));
        store::Release made = TRY(services.delivery->Rollback(d, number, context.principal->user));
        Audit(services, context,
              events::AboutDeployment(d, events::kDeploymentRolledBack,
                                      fmt::format("rolled back to {} ({})", made.source,
                                                  made.commit.substr(0, 12)),
                                      {{"release", made.number}, {"commit", made.commit}}));
        return release_answer(made);
      });

  router.Add("POST", base + "/promote", Access::kAuthenticated,
             [&services, target_of,
              release_answer](const RouteContext& context) -> Result<http::Response> {
               auto [project, d] = TRY(target_of(context));
               Json body = TRY(ParseBody(context.request));
               TRY(RejectUnknownFields(body, {"from", "release"}));
               std::string from = TRY(RequiredString(body, "from"));
               auto number = TRY(OptionalReleaseNumber(body));
               if (from.find('/') != std::string::npos) {
                 return Unexpected(ErrorCode::kInvalidArgument,
                                   fmt::format("'from' names a deployment of project '{}': "
                                               "releases are promoted within a project",
                                               project.name));
               }
               store::Deployment source = TRY(services.deployments->Find(project, from));
               store::Release made = TRY(services.delivery->Promote(project, source, number, d,
                                                                    context.principal->user));
               Audit(services, context,
                     events::AboutDeployment(d, events::kDeploymentPromoted,
                                             fmt::format("runs {} ({})", made.source,
                                                         made.commit.substr(0, 12)),
                                             {{"release", made.number},
                                              {"commit", made.commit},
                                              {"from", source.name}}));
               return release_answer(made);
             });
}

}  // namespace yard::api

#include "deployments/actions.h"

#include <fmt/core.h>
#include <fmt/format.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/log.h"
#include "controller/release_inputs.h"
#include "git/bare_repository.h"
#include "runtime/docker_stream.h"
#include "events/kinds.h"

namespace yard::deployments {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr size_t kMaxCommandBytes = 64 * 1024;
constexpr size_t kMaxCommandWords = 1024;
constexpr int kPollMillis = 200;
// Lines kept of a run that Output reads at once; a run's own output is far below.
constexpr size_t kReadLimit = 100'000;

std::string NameOf(const store::Project& project, const store::Deployment& d) {
  return fmt::format("{}/{}", project.name, d.name);
}

// The command as a person would type it, for messages: words with spaces quoted.
std::string Shown(const std::vector<std::string>& command) {
  std::string out;
  for (const std::string& word : command) {
    if (!out.empty()) out += ' ';
    bool plain = !word.empty() && word.find_first_of(" \t\n'\"\\$`;&|<>()*?") == std::string::npos;
    out += plain ? word : "'" + word + "'";
  }
  return out.size() > 200 ? out.substr(0, 197) + "..." : out;
}

Status CheckCommand(const std::vector<std::string>& command) {
  if (command.empty() || command.front().empty()) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      "the command is empty: give the program and its arguments, e.g. "
                      "[\"sh\", \"-c\", \"ls -l\"]");
  }
  size_t bytes = 0;
  for (const std::string& word : command) {
    if (word.find('\0') != std::string::npos) {
      return Unexpected(ErrorCode::kInvalidArgument, "the command holds a NUL character");
    }
    bytes += word.size() + 1;
  }
  if (bytes > kMaxCommandBytes || command.size() > kMaxCommandWords) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("the command is longer than {} KiB or {} words",
                                  kMaxCommandBytes / 1024, kMaxCommandWords));
  }
  return Ok();
}

// A container runs in these states (starting: health not passed yet).
bool HasRunningContainer(const controller::ServiceStatus& service) {
  using controller::ServiceState;
  return !service.container.empty() &&
         (service.state == ServiceState::kRunning || service.state == ServiceState::kStarting ||
          service.state == ServiceState::kUnhealthy);
}

std::vector<std::string> ServiceIds(const manifest::Stack& stack) {
  std::vector<std::string> ids;
  for (const auto* services : {&stack.components, &stack.addons}) {
    for (const manifest::Service& service : *services) ids.push_back(service.id);
  }
  return ids;
}

bool AllowedIn(const manifest::Action& action, const std::string& stage) {
  return action.stages.empty() ||
         std::find(action.stages.begin(), action.stages.end(), stage) != action.stages.end();
}

// The stack the deployment runs (its release's commit), else the one it is going to.
Result<std::pair<std::string, manifest::Stack>> StackOf(const store::Project& project,
                                                        const store::Deployment& d) {
  std::string commit = d.release_commit.empty() ? d.target_commit : d.release_commit;
  if (commit.empty()) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("{}/{} has no commit yet, so its actions are unknown",
                                  project.name, d.name));
  }
  git::BareRepository repository = TRY(git::BareRepository::Open(project.repo_path));
  manifest::ParseResult parsed = TRY(controller::LoadStackAt(repository, commit));
  return std::make_pair(commit, std::move(parsed.stack));
}

// Splits exec output into lines per stream, keeping at most `limit` bytes of text.
class LineCutter {
 public:
  explicit LineCutter(size_t limit) : limit_(limit) {}

  void Feed(int stream, std::string_view data, std::vector<logs::LogLine>& out) {
    std::string& pending = pending_[stream == 2 ? 1 : 0];
    while (!data.empty()) {
      size_t newline = data.find('\n');
      if (newline == std::string_view::npos) {
        pending.append(data);
        // A line without end is kept in pieces rather than held in memory.
        if (pending.size() >= logs::kMaxLineBytes) Emit(stream, pending, out);
        return;
      }
      pending.append(data.substr(0, newline));
      Emit(stream, pending, out);
      data.remove_prefix(newline + 1);
    }
  }

  void Finish(std::vector<logs::LogLine>& out) {
    for (int stream : {1, 2}) {
      std::string& pending = pending_[stream == 2 ? 1 : 0];
      if (!pending.empty()) Emit(stream, pending, out);
    }
  }

 private:
  void Emit(int stream, std::string& text, std::vector<logs::LogLine>& out) {
    if (!text.empty() && text.back() == '\r') text.pop_back();
    if (kept_ + text.size() > limit_) {
      if (!cut_) {
        cut_ = true;
        out.push_back({.stream = 'e',
                       .text = fmt::format("[output beyond {} MiB is not kept; the command runs "
                                           "on]",
                                           limit_ >> 20)});
      }
    } else {
      kept_ += text.size() + 1;
      out.push_back({.stream = stream == 2 ? 'e' : 'o', .text = std::move(text)});
    }
    text.clear();
  }

  const size_t limit_;
  size_t kept_ = 0;
  bool cut_ = false;
  std::string pending_[2];
};

}  // namespace

std::vector<std::string> CommandArgv(const manifest::Command& command) {
  if (command.shell && command.args.size() == 1) return {"/bin/sh", "-c", command.args.front()};
  return command.args;
}

// A run being watched: what its thread needs, and whether it is done (to be joined).
struct Actions::Watched {
  store::Project project;
  store::Deployment deployment;
  store::User user;
  store::ActionRun run;
  std::string container;  // its id, 12 hex: the log lines carry it
  runtime::ExecStream stream;
  std::thread thread;
  std::atomic<bool> done{false};
};

Actions::Actions(ActionsDeps deps, ActionsOptions options)
    : deps_(std::move(deps)), options_(options) {}

Actions::~Actions() { Stop(); }

Status Actions::Recover() {
  auto cut = TRY(deps_.runs.InterruptRunning(
      "the server stopped while it ran; the command may have gone on in its container"));
  if (!cut.empty()) log::Info("actions: {} runs were cut short by a server stop", cut.size());
  return deps_.output.Prune();
}

Result<ActionList> Actions::List(const store::Project& project, const store::Deployment& d) {
  auto [commit, stack] = TRY(StackOf(project, d));
  ActionList list{.commit = commit};
  for (const manifest::Action& action : stack.actions) {
    list.actions.push_back({.action = action, .available = AllowedIn(action, d.stage)});
  }
  return list;
}

Result<store::ActionRun> Actions::RunAction(const store::Project& project,
                                            const store::Deployment& d, const std::string& id,
                                            const store::User& user) {
  auto [commit, stack] = TRY(StackOf(project, d));
  auto found = std::find_if(stack.actions.begin(), stack.actions.end(),
                            [&](const manifest::Action& a) { return a.id == id; });
  if (found == stack.actions.end()) {
    std::vector<std::string> ids;
    for (const manifest::Action& action : stack.actions) ids.push_back(action.id);
    return Unexpected(
        ErrorCode::kNotFound,
        fmt::format("the stack of {} has no action '{}'; {}", NameOf(project, d), id,
                    ids.empty() ? std::string("it declares none (actions: in stackyard.yaml)")
                                : fmt::format("actions: {}", fmt::join(ids, ", "))));
  }
  if (!AllowedIn(*found, d.stage)) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("action '{}' is not allowed in stage '{}' of {}; it runs in: "
                                  "{}",
                                  id, d.stage, NameOf(project, d),
                                  fmt::join(found->stages, ", ")));
  }
  return Start(project, d, found->component, found->id, CommandArgv(found->command), user);
}

Result<store::ActionRun> Actions::Exec(const store::Project& project, const store::Deployment& d,
                                       const std::string& component,
                                       const std::vector<std::string>& command,
                                       const store::User& user) {
  TRY(CheckCommand(command));
  auto [commit, stack] = TRY(StackOf(project, d));
  std::string service = component.empty() ? stack.primary : component;
  std::vector<std::string> ids = ServiceIds(stack);
  if (std::find(ids.begin(), ids.end(), service) == ids.end()) {
    return Unexpected(ErrorCode::kNotFound,
                      fmt::format("{} has no component or add-on '{}'; it has {}",
                                  NameOf(project, d), service, fmt::join(ids, ", ")));
  }
  return Start(project, d, service, "", command, user);
}

Result<store::ActionRun> Actions::Start(const store::Project& project, const store::Deployment& d,
                                        const std::string& service, const std::string& action,
                                        std::vector<std::string> command,
                                        const store::User& user) {
  const std::string name = NameOf(project, d);
  if (stopping_) return Unexpected(ErrorCode::kUnavailable, "the server is stopping");
  if (d.desired != store::Desired::kRunning) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      d.desired == store::Desired::kDeleted
                          ? fmt::format("{} is being deleted", name)
                          : fmt::format("{} is stopped; start it with `yard deployments start "
                                        "{}` and run this again",
                                        name, name));
  }
  std::optional<controller::DeploymentStatus> status;
  if (deps_.status_of) status = deps_.status_of(d.id);
  const controller::ServiceStatus* running = nullptr;
  if (status) {
    for (const controller::ServiceStatus& candidate : status->services) {
      if (candidate.id == service) running = &candidate;
    }
  }
  if (running == nullptr) {
    return Unexpected(
        ErrorCode::kFailedPrecondition,
        fmt::format("{} of {} has no container yet{}; `yard deployments show {}` tells how it "
                    "goes",
                    service, name,
                    status ? fmt::format(" (the deployment is {})",
                                         controller::PhaseName(status->phase))
                           : std::string(),
                    name));
  }
  if (!HasRunningContainer(*running)) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("{} of {} is {}{}: there is no running container to run in",
                                  service, name, controller::ServiceStateName(running->state),
                                  running->reason.empty() ? "" : " (" + running->reason + ")"));
  }
  auto info = TRY(deps_.runtime.InspectContainer(running->container));
  if (!info || info->state != runtime::ContainerState::kRunning) {
    return Unexpected(ErrorCode::kFailedPrecondition,
                      fmt::format("the container of {} of {} has just stopped; try again once "
                                  "it runs",
                                  service, name));
  }

  auto watched = std::make_unique<Watched>();
  {
    std::lock_guard lock(mutex_);
    // Threads of finished runs are joined here, so that they never pile up.
    for (auto it = watched_.begin(); it != watched_.end();) {
      if ((*it)->done) {
        (*it)->thread.join();
        it = watched_.erase(it);
      } else {
        ++it;
      }
    }
    if (watched_.size() >= options_.max_running) {
      return Unexpected(ErrorCode::kFailedPrecondition,
                        fmt::format("{} commands run on this server already; try again when "
                                    "one has ended",
                                    watched_.size()));
    }
  }
  store::ActionRun run = TRY(deps_.runs.Start(d.id, service, action, command, user.id));
  std::string what = action.empty() ? fmt::format("`{}`", Shown(command))
                                    : fmt::format("action {}", action);
  auto stream = deps_.runtime.StartExecStream(info->id, {.cmd = command});
  if (!stream) {
    std::string why = fmt::format("cannot start {} in {}: {}", what, service,
                                  stream.error().message);
    (void)deps_.runs.Finish(run.id, store::RunState::kFailed, std::nullopt, why);
    run = deps_.runs.Find(run.id).value_or(run);
    Report(project, d, run, &user, std::string(events::kActionFailed), why);
    return Unexpected(stream.error().code, why);
  }
  Report(project, d, run, &user, std::string(events::kActionStarted),
         fmt::format("{} ran {} in {}", user.name, what, service));

  watched->project = project;
  watched->deployment = d;
  watched->user = user;
  watched->run = run;
  watched->container = info->id.substr(0, 12);
  watched->stream = std::move(*stream);
  Watched& ref = *watched;
  std::lock_guard lock(mutex_);
  watched_.push_back(std::move(watched));
  ref.thread = std::thread([this, &ref] { Watch(ref); });
  return run;
}

void Actions::Append(int64_t deployment_id, std::vector<logs::LogLine>& lines) {
  if (lines.empty()) return;
  // Times are taken under the lock, so that the lines of runs at once reach the store's one
  // service in time order.
  // Each line gets a time of its own, a nanosecond after the one before if need be: readers
  // order lines by time, and stdout and stderr lines must come back as they were written.
  std::lock_guard lock(append_mutex_);
  int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                    deps_.clock.Now().time_since_epoch())
                    .count();
  for (logs::LogLine& line : lines) {
    last_time_ns_ = std::max(now, last_time_ns_ + 1);
    line.time_ns = last_time_ns_;
  }
  if (Status appended = deps_.output.Append(deployment_id, kRunsService, lines); !appended) {
    log::Warn("actions: output of deployment {}: {}", deployment_id, appended.error().message);
  }
  lines.clear();
}

void Actions::Watch(Watched& w) {
  const int fd = w.stream.socket.get();
  runtime::docker::FrameDecoder decoder;
  std::vector<runtime::docker::Frame> frames;
  LineCutter cutter(options_.max_output_bytes);
  std::vector<logs::LogLine> lines;
  auto flush = [&] {
    for (logs::LogLine& line : lines) {
      line.container = w.container;
      line.generation = w.run.id;
    }
    Append(w.deployment.id, lines);
  };
  std::string broken;
  bool interrupted = false;
  char buffer[64 * 1024];
  while (true) {
    if (stopping_) {
      interrupted = true;
      break;
    }
    pollfd wait{fd, POLLIN, 0};
    int ready = ::poll(&wait, 1, kPollMillis);
    if (ready < 0 && errno != EINTR) {
      broken = std::strerror(errno);
      break;
    }
    if (ready <= 0) continue;
    ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got == 0) break;
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      broken = std::strerror(errno);
      break;
    }
    frames.clear();
    decoder.Feed(std::string_view(buffer, static_cast<size_t>(got)), frames);
    for (const runtime::docker::Frame& frame : frames) cutter.Feed(frame.stream, frame.data, lines);
    flush();
  }
  cutter.Finish(lines);
  flush();
  w.stream.socket.reset();

  store::RunState state = store::RunState::kFailed;
  std::optional<int> exit_code;
  std::string error;
  if (interrupted) {
    state = store::RunState::kInterrupted;
    error = "the server stopped while it ran; the command may go on in its container";
  } else {
    // The output ends a moment before the engine records the exit code.
    const auto give_up = SteadyClock::now() + options_.settle_limit;
    while (true) {
      auto info = deps_.runtime.InspectExec(w.stream.exec_id);
      if (!info) {
        error = "cannot learn the exit code: " + info.error().message;
        break;
      }
      if (!info->running && info->exit_code >= 0) {
        exit_code = info->exit_code;
        state = *exit_code == 0 ? store::RunState::kSucceeded : store::RunState::kFailed;
        break;
      }
      if (SteadyClock::now() >= give_up || stopping_) {
        error = broken.empty() ? "its output ended but the engine reports no exit code"
                               : "reading its output failed: " + broken;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  if (Status finished = deps_.runs.Finish(w.run.id, state, exit_code, error); !finished) {
    log::Warn("actions: run {}: {}", w.run.id, finished.error().message);
  }
  store::ActionRun run = deps_.runs.Find(w.run.id).value_or(w.run);
  std::string what =
      run.action.empty() ? fmt::format("`{}`", Shown(run.command)) : "action " + run.action;
  if (state == store::RunState::kSucceeded) {
    Report(w.project, w.deployment, run, &w.user, std::string(events::kActionSucceeded),
           fmt::format("{} in {} succeeded", what, run.service));
  } else {
    Report(w.project, w.deployment, run, &w.user, std::string(events::kActionFailed),
           exit_code ? fmt::format("{} in {} failed with exit code {}", what, run.service,
                                   *exit_code)
                     : fmt::format("{} in {} failed: {}", what, run.service, error));
  }
  w.done = true;
}

void Actions::Report(const store::Project& project, const store::Deployment& d,
                     const store::ActionRun& run, const store::User* user, std::string kind,
                     std::string message) {
  if (deps_.events == nullptr) return;
  events::Event event{.project_id = project.id,
                      .project = project.name,
                      .deployment_id = d.id,
                      .deployment = d.name,
                      .kind = std::move(kind),
                      .message = std::move(message)};
  if (user != nullptr) {
    event.actor_id = user->id;
    event.actor = user->name;
  }
  event.data = {{"run", run.id},
                {"service", run.service},
                {"action", run.action.empty() ? nlohmann::json(nullptr) : nlohmann::json(run.action)},
                {"command", run.command},
                {"state", store::RunStateName(run.state)},
                {"exit_code", run.exit_code ? nlohmann::json(*run.exit_code) : nlohmann::json(nullptr)}};
  deps_.events->Record(std::move(event));
}

Result<std::vector<store::ActionRun>> Actions::Runs(const store::Deployment& d, int limit) {
  return deps_.runs.List(d.id, limit);
}

Result<store::ActionRun> Actions::FindRun(const store::Deployment& d, int64_t run_id) {
  auto run = deps_.runs.Find(run_id);
  if ((!run && run.error().code == ErrorCode::kNotFound) ||
      (run && run->deployment_id != d.id)) {
    return Unexpected(ErrorCode::kNotFound,
                      fmt::format("deployment '{}' has no run {}", d.name, run_id));
  }
  return run;
}

Result<RunOutput> Actions::Output(const store::Deployment& d, int64_t run_id,
                                  const logs::Cursor& cursor) {
  // The state is read first: a run recorded as ended has stored all its lines.
  RunOutput out{.run = TRY(FindRun(d, run_id))};
  const bool ended = out.run.state != store::RunState::kRunning;
  logs::Query query{.services = {kRunsService}};
  logs::ReadResult read;
  if (cursor.empty()) {
    query.since_ns = out.run.started_at * 1'000'000'000;
    if (ended && out.run.finished_at) query.until_ns = (*out.run.finished_at + 1) * 1'000'000'000;
    read = TRY(deps_.output.Read(d.id, query, kReadLimit));
  } else {
    read = TRY(deps_.output.ReadAfter(d.id, query, cursor, std::chrono::milliseconds(0)));
  }
  out.complete = ended && (cursor.empty() || read.lines.empty());
  out.cursor = std::move(read.cursor);
  for (logs::StoredLine& stored : read.lines) {
    if (stored.line.generation == run_id) out.lines.push_back(std::move(stored.line));
  }
  return out;
}

void Actions::Stop() {
  stopping_ = true;
  std::list<std::unique_ptr<Watched>> all;
  {
    std::lock_guard lock(mutex_);
    all.swap(watched_);
  }
  for (auto& watched : all) {
    if (watched->thread.joinable()) watched->thread.join();
  }
}

}  // namespace yard::deployments

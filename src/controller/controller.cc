#include "controller/controller.h"

#include <set>

#include "base/log.h"
#include "controller/reconciler_internal.h"

namespace yard::controller {

Controller::~Controller() {
  Stop(std::chrono::seconds(30));
}

Status Controller::Start() {
  // Builds whose runner died with a killed server: never left 'running'. The deployment's
  // worker queues them again (a few times at most).
  auto interrupted = TRY(ctx_.builds->InterruptRunning("the server stopped during this build"));
  if (!interrupted.empty()) log::Info("{} builds were interrupted by a stop", interrupted.size());
  runner_ = std::make_unique<BuildRunner>(ctx_, build_options_,
                                          [this](int64_t deployment_id) { Wake(deployment_id); });
  ctx_.build_queue = runner_.get();
  runner_->Start();
  std::vector<store::Deployment> all = TRY(ctx_.deployments->ListAll());
  if (ctx_.router != nullptr) {
    // Routes of deployments deleted while the edge was unreachable.
    std::set<int64_t> ids;
    for (const store::Deployment& d : all) ids.insert(d.id);
    ctx_.router->Retain(ids);
  }
  // Engine objects exist only for deployments whose row exists (a row is removed last), so
  // without deployments there is nothing to sweep, and no reason to start an engine.
  if (all.empty()) return Ok();
  if (Status swept = SweepOrphans(); !swept) {
    // The workers retry on their own; orphans are swept at the next start.
    log::Warn("cannot sweep orphaned engine objects: {}", swept.error().message);
  }
  for (const store::Deployment& d : all) Wake(d.id);
  return Ok();
}

Status Controller::SweepOrphans() {
  std::set<std::string> known;
  for (const store::Deployment& d : TRY(ctx_.deployments->ListAll())) {
    known.insert(std::to_string(d.id));
  }
  auto orphan = [&](const runtime::Labels& labels) {
    auto it = labels.find(std::string(runtime::kLabelDeployment));
    return it != labels.end() && !known.contains(it->second);
  };
  for (const runtime::ContainerInfo& container : TRY(ctx_.runtime->ListContainers({}))) {
    if (!orphan(container.labels)) continue;
    log::Info("removing container {}: its deployment no longer exists", container.name);
    (void)ctx_.runtime->StopContainer(container.id, ctx_.stop_grace);
    Status removed = internal::RemoveContainer(ctx_, container.id);
    if (!removed && removed.error().code != ErrorCode::kNotFound) return removed;
  }
  for (const runtime::NetworkInfo& network : TRY(ctx_.runtime->ListNetworks({}))) {
    if (!orphan(network.labels)) continue;
    log::Info("removing network {}: its deployment no longer exists", network.name);
    Status removed = ctx_.runtime->RemoveNetwork(network.id);
    if (!removed && removed.error().code != ErrorCode::kNotFound) return removed;
  }
  return Ok();
}

void Controller::Wake(int64_t id) {
  std::lock_guard lock(mutex_);
  if (stopping_) return;
  auto it = workers_.find(id);
  if (it != workers_.end()) {
    Worker& worker = *it->second;
    std::lock_guard worker_lock(worker.mutex);
    if (!worker.done) {
      worker.woken = true;
      worker.wake.notify_one();
      return;
    }
    if (worker.thread.joinable()) worker.thread.join();
    workers_.erase(it);
  }
  auto worker = std::make_shared<Worker>();
  worker->reconciler = std::make_unique<Reconciler>(ctx_, id);
  worker->thread = std::thread([this, worker] { Run(*worker); });
  workers_[id] = worker;
}

void Controller::Run(Worker& worker) {
  while (true) {
    Reconciler::Outcome outcome = worker.reconciler->Pass();
    std::unique_lock lock(worker.mutex);
    if (outcome.finished || worker.stopping) {
      worker.done = true;
      return;
    }
    worker.wake.wait_for(lock, outcome.next, [&] { return worker.woken || worker.stopping; });
    worker.woken = false;
    if (worker.stopping) {
      worker.done = true;
      return;
    }
  }
}

std::optional<DeploymentStatus> Controller::StatusOf(int64_t id) {
  std::lock_guard lock(mutex_);
  auto it = workers_.find(id);
  if (it == workers_.end()) return std::nullopt;
  return it->second->reconciler->status();
}

Status Controller::CancelBuild(int64_t build_id, const std::string& why) {
  if (runner_ == nullptr) return Unexpected(ErrorCode::kUnavailable, "the controller is not running");
  return runner_->Cancel(build_id, why);
}

bool Controller::Stop(std::chrono::milliseconds grace) {
  std::map<int64_t, std::shared_ptr<Worker>> workers;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    workers.swap(workers_);
  }
  // Running builds are stopped at the engine and recorded as interrupted: the next start
  // queues them again.
  bool builds_ended = runner_ == nullptr || runner_->Stop(grace);
  for (auto& [id, worker] : workers) {
    std::lock_guard lock(worker->mutex);
    worker->stopping = true;
    worker->wake.notify_one();
  }
  auto deadline = std::chrono::steady_clock::now() + grace;
  bool all = true;
  for (auto& [id, worker] : workers) {
    while (true) {
      {
        std::lock_guard lock(worker->mutex);
        if (worker->done) break;
      }
      if (std::chrono::steady_clock::now() > deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::lock_guard lock(worker->mutex);
    if (worker->done) {
      if (worker->thread.joinable()) worker->thread.join();
    } else {
      all = false;
      // Mid-build: it holds the shared_ptr to its Worker; the caller exits the process.
      worker->thread.detach();
    }
  }
  return all && builds_ended;
}

}  // namespace yard::controller

#pragma once

// Enabling and disabling deployments, and their automatic stop (docs/deployments.md,
// "Enabling, disabling and auto-stop"). A disabled deployment runs nothing and keeps its
// storage (desired stopped). Enabling starts it and may give it a time to run, after which it
// stops by itself: `stop_at` on the row, acted on by Sweep, which the server runs every few
// seconds. Development stages stop after their manifest's `auto_stop` (12 h unless the stage
// says otherwise) whenever they are started without a time of their own.
//
// After an automatic stop `stop_at` is kept: on a stopped deployment it records when the
// deployment stopped by itself, which the API shows among its reasons. Starting, stopping or
// enabling it again replaces or clears it.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/result.h"
#include "deployments/deployment_service.h"
#include "events/sink.h"
#include "manifest/model.h"
#include "store/deployments.h"
#include "store/projects.h"

namespace yard::deployments {

/// How long an enabled deployment runs.
struct RunFor {
  enum class Kind {
    kStageDefault,  // the stage's auto_stop (development stages), else until stopped
    kDuration,      // `seconds` from now
    kNever,         // until stopped
  };
  Kind kind = Kind::kStageDefault;
  int64_t seconds = 0;
};

/// "" (the stage's default), "never", or a duration such as "30s", "2h", "1h30m", "7d".
/// kInvalidArgument otherwise, saying what is accepted.
Result<RunFor> ParseRunFor(std::string_view text);

/// Thread-safe.
class AutoStop {
 public:
  AutoStop(store::DeploymentStore& deployments, store::ProjectStore& projects,
           DeploymentService& service, const Clock& clock)
      : deployments_(deployments), projects_(projects), service_(service), clock_(clock) {}

  /// Where automatic stops are reported (enabling and disabling are reported by the API
  /// with the user who asked); null: nowhere.
  void set_events(events::Sink* sink) { events_ = sink; }

  /// The deployment's stage as the manifest at its target commit declares it; nullopt when
  /// that manifest cannot be read (the status says why). Cached per commit.
  std::optional<manifest::Stage> StageOf(const store::Deployment& d);

  /// Starts `d` (desired running) and sets when it stops by itself, per `run_for`. Returns
  /// the stored row. kFailedPrecondition when it is being deleted.
  Result<store::Deployment> Enable(const store::Deployment& d, RunFor run_for);
  /// Stops `d` (desired stopped; storage stays) and clears its automatic stop.
  Status Disable(const store::Deployment& d);
  /// A deployment that was just created (running): a development stage's auto_stop applies.
  Status Created(const store::Deployment& d);

  /// Stops every running deployment whose stop_at has passed.
  Status Sweep();

 private:
  std::optional<int64_t> StopAtFor(const store::Deployment& d, RunFor run_for);

  store::DeploymentStore& deployments_;
  store::ProjectStore& projects_;
  DeploymentService& service_;
  const Clock& clock_;
  events::Sink* events_ = nullptr;

  std::mutex mutex_;  // guards stages_
  /// "repository commit stage" -> the stage (nullopt: unreadable).
  std::map<std::string, std::optional<manifest::Stage>> stages_;
};

}  // namespace yard::deployments

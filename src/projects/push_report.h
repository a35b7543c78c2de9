#pragma once

// Recording a push: while receive-pack runs, Stackyard's post-receive hook appends the ref
// updates git has made to a report file (git/hooks.h); once the push is over, the report
// becomes push events and deployments that follow a pushed branch are told. Shared by every
// way in: Git over SSH (ssh/git_service.h) and Git over HTTP from development deployments
// (devgit/).
//
// A report file is named after its project and pusher ("push.PROJECT.USER_ID.XXXXXX"), so a
// report a crash left behind still says whose push it was: RecoverPushReports records those
// at start.

#include <cstdint>
#include <functional>
#include <string>

#include "base/result.h"
#include "projects/project_service.h"
#include "store/push_events.h"
#include "store/users.h"

namespace yard::projects {

/// Called once a push's ref updates are recorded: deployments following the pushed branches
/// take it from here.
using PushedCallback = std::function<void(int64_t project_id, int64_t user_id)>;

struct PushContext {
  store::PushEventStore* pushes = nullptr;
  const PushedCallback* pushed = nullptr;
  int64_t project_id = 0;
  std::string project;
  std::string repo_path;
  int64_t user_id = 0;
  std::string user_name;
  std::string report_path;
};

/// An empty report file of its own in `dir` (created, 0700) for one push.
Result<std::string> MakePushReport(const std::string& dir, const std::string& project,
                                   int64_t user_id);

/// Records what post-receive reported, whatever git's exit status: the report lists only refs
/// that git has already updated, so they were pushed even if the connection broke afterwards.
/// A line cut short by a killed hook is skipped. The report is removed; failures are logged.
void RecordPushReport(const PushContext& push);

/// At start, before any push: records the pushes whose reports a stopped or crashed server
/// left in `dir` (their refs were updated; only the record was missing).
void RecoverPushReports(const std::string& dir, ProjectService& projects,
                        store::UserStore& users, store::PushEventStore& pushes,
                        const PushedCallback& pushed);

}  // namespace yard::projects

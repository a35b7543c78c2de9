#pragma once

// A build's own cgroup, and stopping the processes in it.
//
// Podman 4.3 does not stop a build when its client goes away: the request's context is
// cancelled, but the RUN step in progress runs to its end (runc does not watch that context);
// only then does the build give up, without committing or tagging anything. A cancelled or
// timed-out build would go on using CPU and memory for as long as its step lasts. Nothing in
// the API stops it, and its working containers carry no label of ours. So DockerRuntime gives
// each build on a local Podman with the cgroupfs manager a cgroup of its own (the build API's
// `cgroupparent`, which buildah writes into the OCI spec of every RUN container: runc creates
// it directly under each hierarchy's root, applies the build's limits there, and removes it
// when the step ends) and, to stop the build, kills the processes in that cgroup and nothing
// else. Once its RUN step has been killed, the build fails and Podman removes its working
// container.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace yard::runtime {

/// A fresh name for a build's cgroup: "stackyard-build-INSTALLATION-RANDOM", so that one left
/// behind by a killed server can be told apart from anything else.
std::string NewBuildCgroupName(std::string_view installation_id);
/// Whether `name` is one NewBuildCgroupName(installation_id) makes.
bool IsBuildCgroupName(std::string_view name, std::string_view installation_id);

/// Where a cgroup called `name` directly under the root of each cgroup hierarchy would be, for
/// the cgroup (v1) and cgroup2 file systems listed in `mountinfo` (the text of
/// /proc/self/mountinfo): one directory per mount. Pure.
std::vector<std::string> CgroupDirs(std::string_view mountinfo, std::string_view name);

/// Sends SIGKILL to every process of cgroup `name` (CgroupDirs of this process's mounts),
/// again and again until the cgroup has held no process for `quiet`: a step that was about to
/// start when the build was abandoned is caught too. Each process is checked through a pidfd
/// to be in the cgroup when it is signalled. Returns how many processes were killed.
/// kFailedPrecondition when no cgroup file system is mounted; kPermissionDenied when the
/// processes cannot be signalled; kTimeout when some are still there after `limit`.
Result<int> KillCgroup(const std::string& name, std::chrono::milliseconds quiet,
                       std::chrono::milliseconds limit);

/// Stops the builds that a previous server of this installation left running: when a server
/// dies mid-build (or its engine service is ended), Podman carries on with the step in
/// progress. Kills the processes of every cgroup NewBuildCgroupName(installation_id) could
/// have made; a server calls it before its first build. Returns how many were killed.
Result<int> StopLeftoverBuilds(std::string_view installation_id);

}  // namespace yard::runtime

#pragma once

// What the controller works with, gathered so that tests can swap the engine, the probes and
// the clocks.

#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "controller/naming.h"
#include "manifest/env_resolver.h"
#include "edge/router.h"
#include "events/sink.h"
#include "runtime/runtime.h"
#include "secrets/secret_box.h"
#include "store/builds.h"
#include "store/deployments.h"
#include "store/domains.h"
#include "store/projects.h"
#include "store/releases.h"
#include "store/trash.h"

namespace yard::controller {

/// Network probes for health checks (the command kind goes through Runtime::Exec).
class Prober {
 public:
  virtual ~Prober() = default;
  /// True when GET http://HOST:PORT/PATH answers 2xx or 3xx within `timeout`.
  virtual bool Http(const std::string& host, int port, const std::string& path,
                    std::chrono::milliseconds timeout) = 0;
  /// True when a TCP connection to HOST:PORT opens within `timeout`.
  virtual bool Tcp(const std::string& host, int port, std::chrono::milliseconds timeout) = 0;
};

/// Real sockets.
class SocketProber final : public Prober {
 public:
  bool Http(const std::string& host, int port, const std::string& path,
            std::chrono::milliseconds timeout) override;
  bool Tcp(const std::string& host, int port, std::chrono::milliseconds timeout) override;
};

/// The build queue as the reconciler sees it (BuildRunner).
class BuildQueue {
 public:
  virtual ~BuildQueue() = default;
  /// A build was queued: look at the queue now.
  virtual void Wake() = 0;
  /// Cancels a queued build or stops a running one.
  virtual Status Cancel(int64_t build_id, const std::string& why) = 0;
};

/// What a development deployment's containers get so that `git pull` and `git push` inside them
/// reach their project (devgit/access.h).
struct DevGitSetup {
  /// The project's URL as the containers reach it; the checkout's `origin`.
  std::string url;
  /// Added to every development component's environment.
  std::vector<std::pair<std::string, std::string>> env;
  /// "NAME:IP" entries for the containers' /etc/hosts.
  std::vector<std::string> extra_hosts;
};

class DevGitAccess {
 public:
  virtual ~DevGitAccess() = default;
  /// Makes Git reachable for `d`'s containers on the network whose gateway (the host's
  /// address on it) is `gateway_ip`, and says what the containers need to use it.
  virtual Result<DevGitSetup> Open(const store::Deployment& d, const std::string& gateway_ip) = 0;
  /// The network with that gateway is gone: stop serving on its address.
  virtual void Close(const std::string& gateway_ip) = 0;
};

struct ControllerContext {
  store::DeploymentStore* deployments = nullptr;
  store::BuildStore* builds = nullptr;
  store::ReleaseStore* releases = nullptr;
  /// Where queued builds go; null: none run (tests of the reconciler alone).
  BuildQueue* build_queue = nullptr;
  store::ProjectStore* projects = nullptr;
  runtime::Runtime* runtime = nullptr;
  Naming naming;
  std::string build_logs_dir;  // DATA_DIR/builds
  std::string trash_dir;       // DATA_DIR/trash
  /// Where deleted deployments are recorded for restoring (store/trash.h), and for how long
  /// they are kept; null: the volumes are moved to trash_dir unrecorded.
  store::TrashStore* trash = nullptr;
  std::chrono::seconds trash_retention{7 * 24 * 3600};
  const Clock* clock = nullptr;
  manifest::RandomSource* random = nullptr;
  /// Opens sealed params, overrides and generated values, and seals values drawn
  /// (secrets/secret_box.h); null: nothing is sealed (tests), and a sealed value is an error.
  const secrets::SecretBox* secrets = nullptr;
  Prober* prober = nullptr;
  std::function<std::chrono::steady_clock::time_point()> now = [] {
    return std::chrono::steady_clock::now();
  };
  /// The base domain of public URLs.
  std::string domain = "localhost";
  /// The edge's HTTPS port, for URLs (443 is left out of them).
  int https_port = 443;
  /// Where deployments' routes go; null: no edge (tests of the controller alone).
  edge::Router* router = nullptr;
  /// Custom domains of endpoints; null: none.
  store::DomainStore* domains = nullptr;
  /// Called before a container is removed, with its id, so that everything it wrote is kept
  /// first (logs/capture.h Drain); empty: nothing to wait for.
  std::function<void(const std::string& container_id)> before_remove;
  /// Git from inside development deployments; null: not offered (their checkout's origin
  /// stays unreachable from the containers).
  DevGitAccess* dev_git = nullptr;
  /// How long the previous version of a rolling component keeps running after the route
  /// switched away from it, so that requests it has started finish.
  std::chrono::seconds drain{10};
  /// How often the edge looks a route's upstreams up again (EdgeSettings::upstream_refresh):
  /// an old version is never stopped sooner than twice that after the switch.
  std::chrono::milliseconds upstream_refresh{1000};
  /// Grace given to a container between SIGTERM and SIGKILL.
  std::chrono::seconds stop_grace{10};
  std::chrono::seconds install_timeout{900};
  /// Releases per deployment whose images survive pruning (rollback targets).
  int keep_releases = 10;
  /// How often a settled deployment is looked at (crashes, health).
  std::chrono::milliseconds idle_interval{2000};
  /// Where status changes, builds and rollouts are reported (events/sink.h); null: nowhere
  /// (tests that do not look at events).
  events::Sink* events = nullptr;
};

}  // namespace yard::controller

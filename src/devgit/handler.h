#pragma once

// Git's smart HTTP protocol for the containers of development deployments: `git pull` and
// `git push` inside them reach their project's repository here (the listeners are
// devgit/listeners.h, the URL and credential they are given devgit/access.h).
//
//   GET  /PROJECT.git/info/refs?service=git-upload-pack|git-receive-pack
//   POST /PROJECT.git/git-upload-pack
//   POST /PROJECT.git/git-receive-pack
//
// A request authenticates with HTTP Basic: the deployment's name "DEPLOYMENT.PROJECT" and its
// credential (devgit/credentials.h). The credential reaches its own project only; anything
// else is answered as if the project did not exist. A push goes through the same hooks as one
// over SSH (branch protection, push report), counts as the push of the deployment's creator,
// and deploys what follows the pushed branch. Mirrored projects take no pushes.

#include <string>

#include "devgit/credentials.h"
#include "http/message.h"
#include "projects/push_report.h"
#include "store/deployments.h"
#include "store/projects.h"
#include "store/push_events.h"
#include "store/users.h"

namespace yard::devgit {

struct HandlerOptions {
  /// Where git::WriteHooks put Stackyard's hooks.
  std::string hooks_dir;
  /// Where push reports live while receive-pack runs (projects/push_report.h).
  std::string reports_dir;
  projects::PushedCallback pushed;
};

struct HandlerStores {
  store::ProjectStore& projects;
  store::DeploymentStore& deployments;
  store::UserStore& users;
  store::PushEventStore& pushes;
};

/// Thread-safe: every request runs its own git.
class Handler {
 public:
  Handler(HandlerStores stores, const Credentials& credentials, HandlerOptions options)
      : stores_(stores), credentials_(credentials), options_(std::move(options)) {}

  http::Response Handle(const http::Request& request);

 private:
  HandlerStores stores_;
  const Credentials& credentials_;
  HandlerOptions options_;
};

}  // namespace yard::devgit

#pragma once

// Deployments as the API sees them: checks a request against the project's repository and
// manifest, writes the desired state, and wakes the controller, which does the work. Every
// call returns as soon as the desired state is recorded; progress shows in the status.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "controller/controller.h"
#include "events/sink.h"
#include "manifest/model.h"
#include "secrets/secret_box.h"
#include "store/deployments.h"
#include "store/domains.h"
#include "store/projects.h"
#include "store/users.h"

namespace yard::deployments {

struct CreateRequest {
  std::string name;
  std::string stage;   // empty: the manifest's first stage
  std::string branch;  // empty: the repository's default branch
  std::map<std::string, std::string> params;
  std::map<std::string, std::string> env;
  int64_t cpu_millis = 0;
  int64_t memory_bytes = 0;
  /// Set by Previews (previews.h) only: the branch a preview deployment is for, and when it
  /// is deleted. Recorded with the row, so that no preview ever exists unmarked.
  std::optional<std::string> preview_branch;
  std::optional<int64_t> expires_at;
};

/// Custom domains: where they are kept, and the installation's base domain, one label under
/// which the generated endpoint hostnames live (edge/domain_names.h keeps users out of it).
struct DomainSettings {
  store::DomainStore* store = nullptr;  // null: custom domains are refused
  std::string base_domain = "localhost";
};

class DeploymentService {
 public:
  DeploymentService(store::DeploymentStore& store, controller::Controller* controller,
                    DomainSettings domains = {})
      : store_(store), controller_(controller), domains_(std::move(domains)) {}

  /// Validates the request (name, branch, stage, params, env names, size), records the
  /// deployment and starts it. kInvalidArgument with a message saying what is wrong;
  /// kAlreadyExists for a taken name.
  Result<store::Deployment> Create(const store::Project& project, const CreateRequest& request,
                                   const store::User& creator);
  Result<std::vector<store::Deployment>> List(const store::Project& project);
  /// kNotFound also for a deployment being deleted? No: it is listed, phase "deleting".
  Result<store::Deployment> Find(const store::Project& project, const std::string& name);

  Status Start(const store::Deployment& d);
  Status Stop(const store::Deployment& d);
  /// Restarts one service (component or add-on) or, when `service` is empty, all of them.
  /// Containers start fresh; volumes (code, data) stay.
  Status Restart(const store::Deployment& d, const std::string& service);
  /// Rolls the deployment's components out again from the release it runs, in fresh
  /// containers, without building: built components start beside the old ones and take over
  /// once healthy (a rollout), development ones restart. Add-ons run on. kFailedPrecondition
  /// when the deployment is not running or has no release yet.
  Status Redeploy(const store::Project& project, const store::Deployment& d);
  /// Stops and removes everything; volumes go to the trash.
  Status Delete(const store::Deployment& d);
  /// Changes the limits of each container (sizes.h; 0: none). The controller replaces the
  /// containers, as for any change of their spec: built components roll out, add-ons and
  /// development components restart. kInvalidArgument for a negative limit,
  /// kFailedPrecondition while the deployment is being deleted.
  Status SetSize(const store::Deployment& d, int64_t cpu_millis, int64_t memory_bytes);

  std::optional<controller::DeploymentStatus> StatusOf(const store::Deployment& d);

  /// Routes `hostname` to an endpoint of the stack at the deployment's target commit:
  /// `endpoint`, or when it is empty the stack's only endpoint. Records it and wakes the
  /// controller (the change bumps the deployment's version). kInvalidArgument for a hostname
  /// NormalizeCustomDomain refuses, an unknown endpoint, or no endpoint given while the stack
  /// has several or none (the message lists them); kFailedPrecondition when the deployment
  /// is being deleted or its stack cannot be read; kAlreadyExists when the hostname is in use
  /// (the message names the deployment and project that use it).
  Result<store::Domain> AddDomain(const store::Project& project, const store::Deployment& d,
                                  const std::string& endpoint, const std::string& hostname);
  /// The deployment's custom domains, by hostname.
  Result<std::vector<store::Domain>> ListDomains(const store::Deployment& d);
  /// Removes one of the deployment's domains (compared lowercase, without a trailing dot) and
  /// wakes the controller. kNotFound when the deployment has no such domain.
  Status RemoveDomain(const store::Deployment& d, const std::string& hostname);
  /// The deployment that uses `hostname` (compared as in RemoveDomain); kNotFound if none.
  Result<store::Domain> FindDomain(const std::string& hostname);

  /// Where the service reports what it does (events/sink.h); null: nowhere.
  void set_events(events::Sink* sink) { events_ = sink; }
  /// Seals secret params given at creation (secrets/secret_box.h); null: kept as given.
  void set_secrets(const secrets::SecretBox* box) { secrets_ = box; }

 private:
  Result<store::DomainStore*> Domains();
  void Wake(int64_t id);

  store::DeploymentStore& store_;
  controller::Controller* controller_;  // null in tests of validation alone
  DomainSettings domains_;
  events::Sink* events_ = nullptr;
  const secrets::SecretBox* secrets_ = nullptr;
};

/// A variable name: letters, digits and _, not starting with a digit, at most 128 characters.
bool IsEnvName(std::string_view name);
/// kInvalidArgument unless `value` fits the param's type (and enum values), saying why.
Status CheckParam(const manifest::Param& param, const std::string& value);

/// Parses a size such as "512m", "2g", "1024k" or a byte count; kInvalidArgument otherwise.
Result<int64_t> ParseMemory(std::string_view text);
/// Parses a CPU count such as "0.5" or "2" into thousandths; kInvalidArgument otherwise.
Result<int64_t> ParseCpus(std::string_view text);

}  // namespace yard::deployments

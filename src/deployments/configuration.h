#pragma once

// A deployment's configuration as people change it (docs/configuration.md): its env, each
// variable with where its value comes from, its params, and the overrides and params they set.
// Secrets (secret params, overrides set as secret, generated values) are kept sealed
// (secrets/secret_box.h) and shown masked unless revealed. A change is recorded (it bumps the
// deployment's version) and the controller woken; only the services whose containers change
// restart (development stages, add-ons) or roll out (built stages), since the controller
// replaces a container only when its spec's digest changes (controller/plan.h).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "controller/context.h"
#include "controller/controller.h"
#include "events/sink.h"
#include "secrets/secret_box.h"
#include "store/deployments.h"
#include "store/projects.h"
#include "store/users.h"

namespace yard::deployments {

/// One variable of one service's container environment.
struct EnvEntry {
  std::string service;
  bool addon = false;
  std::string name;
  std::optional<std::string> value;  // nullopt: a secret, not revealed
  bool secret = false;
  /// manifest | param | import | override | generated
  std::string origin;
  /// Where exactly: the param id, `SERVICE.VARIABLE` of an import, the generated value's key,
  /// `deployment` or the component for an override; empty for the manifest's own values.
  std::string source;
};

/// One param of the stack, with the deployment's value or its default.
struct ParamEntry {
  std::string id;
  std::string type;                  // string, integer, number, boolean, secret, enum
  std::vector<std::string> values;   // enum only
  std::string description;
  std::optional<std::string> value;  // nullopt: a secret not revealed, or no value at all
  std::optional<std::string> default_value;  // masked like value
  bool secret = false;
  bool set = false;  // the deployment sets it (else it has its default)
};

/// What a change does to the running deployment.
struct ConfigChange {
  int64_t version = 0;  // the deployment's version with the change (wait for this one)
  struct Service {
    std::string id;
    std::string action;  // restart | rollout | rebuild
  };
  /// The services whose containers change, in the stack's order; empty: nothing restarts.
  std::vector<Service> services;
};

class Configuration {
 public:
  /// `context` is the controller's (environments are resolved as the controller does).
  /// `controller` may be null (tests): nothing is woken.
  Configuration(store::DeploymentStore& store, const controller::ControllerContext& context,
                controller::Controller* controller)
      : store_(store), ctx_(context), controller_(controller) {}

  /// Every variable of every service (or of `service` only), as it runs at the deployment's
  /// target commit. kNotFound for an unknown service (the message lists them).
  Result<std::vector<EnvEntry>> ListEnv(const store::Project& project, const store::Deployment& d,
                                        const std::string& service, bool reveal);
  /// Sets an override of `name` for every component, or for `component` only; `secret` seals
  /// it. kInvalidArgument for a bad name or value, or a service that is not a component.
  Result<ConfigChange> SetEnv(const store::Project& project, const store::Deployment& d,
                              const std::string& name, const std::string& value, bool secret,
                              const std::string& component, const store::User& user);
  /// Removes an override; kNotFound when there is none (the message lists those there are).
  Result<ConfigChange> UnsetEnv(const store::Project& project, const store::Deployment& d,
                                const std::string& name, const std::string& component,
                                const store::User& user);

  /// Every param the stack declares.
  Result<std::vector<ParamEntry>> ListParams(const store::Project& project,
                                             const store::Deployment& d, bool reveal);
  /// Sets a param, checked against its type; a secret param is sealed. kInvalidArgument for
  /// an unknown param (the message lists them) or a value of the wrong type.
  Result<ConfigChange> SetParam(const store::Project& project, const store::Deployment& d,
                                const std::string& id, const std::string& value,
                                const store::User& user);
  /// Back to the default. kFailedPrecondition for a param without one; kNotFound when the
  /// deployment does not set it.
  Result<ConfigChange> UnsetParam(const store::Project& project, const store::Deployment& d,
                                  const std::string& id, const store::User& user);

  void set_events(events::Sink* sink) { events_ = sink; }

 private:
  struct Target;
  Result<Target> Load(const store::Project& project, const store::Deployment& d);
  /// Writes one entry and says what changes, comparing the environments before and after.
  Result<ConfigChange> Apply(const store::Project& project, const store::Deployment& d,
                             const Target& target, store::DeploymentStore::ConfigMap map,
                             const std::string& key, const std::optional<std::string>& value,
                             const store::User& user, std::string kind, std::string message);

  store::DeploymentStore& store_;
  const controller::ControllerContext& ctx_;
  controller::Controller* controller_;
  events::Sink* events_ = nullptr;
};

/// At server start, before the controller: seals what is stored in plain text but is secret
/// (generated values; params the manifest at the deployment's target commit declares secret),
/// idempotently, and checks that sealed values open. kFailedPrecondition when sealed values
/// exist but the key was just made (`key_created`): the old key was lost.
Status SealStoredSecrets(store::DeploymentStore& deployments, store::ProjectStore& projects,
                         const secrets::SecretBox& box, bool key_created);

}  // namespace yard::deployments

#pragma once

// The domains table: custom hostnames of deployment endpoints. Rows go with their deployment
// (ON DELETE CASCADE; foreign keys are on in every connection).

#include <cstdint>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "store/database.h"

namespace yard::store {

struct Domain {
  int64_t id = 0;
  int64_t deployment_id = 0;
  std::string endpoint;  // an endpoint id of the deployment's stack
  std::string hostname;  // canonical: lowercase, no trailing dot (edge/domain_names.h)
  int64_t created_at = 0;
  std::string project;     // the deployment's project's name (joined)
  std::string deployment;  // the deployment's name (joined)
};

/// Thread-safe (the Database serialises). Hostnames are stored as given: callers validate
/// and canonicalise them first.
class DomainStore {
 public:
  DomainStore(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  /// Records `hostname` for the endpoint and, in the same transaction, counts it as a change
  /// to the deployment (version and updated_at), so that a client can wait for the controller
  /// to act on it. kAlreadyExists when the hostname is taken, naming the project and
  /// deployment that use it; kNotFound when the deployment does not exist.
  Result<Domain> Add(int64_t deployment_id, const std::string& endpoint,
                     const std::string& hostname);
  /// The deployment's domains, by hostname.
  Result<std::vector<Domain>> ListForDeployment(int64_t deployment_id);
  /// Every domain of the installation, by hostname.
  Result<std::vector<Domain>> ListAll();
  /// kNotFound when no deployment uses `hostname`.
  Result<Domain> FindByHostname(const std::string& hostname);
  /// Removes the deployment's `hostname`, counting it as a change like Add.
  /// kNotFound when the deployment has no such domain.
  Status Remove(int64_t deployment_id, const std::string& hostname);

 private:
  Result<std::vector<Domain>> Query(std::string_view where, const std::vector<std::string>& args);
  Status CountAsChange(int64_t deployment_id);

  Database& db_;
  const Clock& clock_;
};

}  // namespace yard::store

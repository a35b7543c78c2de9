#pragma once

// Where the rest of the platform reports what happened: actions people take, status changes,
// pushes, builds, rollouts. The event log (events/recorder.h) keeps them in the events table;
// `yard events` and the API read and follow them. Reporting never fails the work it reports:
// a sink logs its own errors.

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace yard::events {

struct Event {
  std::optional<int64_t> project_id;     // nullopt: about the installation
  std::string project;                   // the project's name
  std::optional<int64_t> deployment_id;  // nullopt: about the project or installation
  std::string deployment;                // the deployment's name
  std::optional<int64_t> actor_id;       // the user; nullopt: the platform itself
  std::string actor;                     // the user's name; empty for the platform
  std::string kind;                      // dotted, e.g. "deployment.stopped", "build.failed"
  std::string message;                   // one line in plain words
  nlohmann::json data = nlohmann::json::object();  // details for scripts
};

class Sink {
 public:
  virtual ~Sink() = default;
  virtual void Record(Event event) = 0;
};

}  // namespace yard::events

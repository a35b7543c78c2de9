#pragma once

// What the two halves of the reconciler (reconciler.cc: the pass, the release, the status;
// reconciler_services.cc: containers) share.

#include <chrono>
#include <string>
#include <string_view>

#include "controller/context.h"
#include "runtime/runtime.h"

namespace yard::controller::internal {

using namespace std::chrono_literals;

inline constexpr int kLogTail = 20;
inline constexpr auto kFastPoll = 200ms;
// A container that has run this long without crashing starts its back-off afresh.
inline constexpr auto kBackoffReset = 60s;

inline runtime::Labels DeploymentLabels(int64_t id) {
  return {{std::string(runtime::kLabelDeployment), std::to_string(id)}};
}

inline std::string LabelOf(const runtime::Labels& labels, std::string_view key) {
  auto it = labels.find(std::string(key));
  return it == labels.end() ? "" : it->second;
}

/// Removes a container once its output is kept (ControllerContext::before_remove). Every
/// removal goes through here.
inline Status RemoveContainer(ControllerContext& ctx, const std::string& id) {
  if (ctx.before_remove) ctx.before_remove(id);
  return ctx.runtime->RemoveContainer(id);
}

inline bool IsNotFound(const Status& status) {
  return !status && status.error().code == ErrorCode::kNotFound;
}

}  // namespace yard::controller::internal

#include "api/followed_view.h"

#include <fmt/core.h>

#include <memory>
#include <optional>

#include "api/heartbeat.h"

namespace yard::api {

Result<bool> FollowRequested(const http::Request& request) {
  auto it = request.query.find("follow");
  if (it == request.query.end() || it->second == "0" || it->second == "false") return false;
  if (it->second.empty() || it->second == "1" || it->second == "true") return true;
  return Unexpected(ErrorCode::kInvalidArgument,
                    fmt::format("'follow' must be true or false, not '{}'", it->second));
}

http::Response FollowedView(FollowedViewOptions options) {
  struct State {
    FollowedViewOptions options;
    std::optional<std::chrono::system_clock::time_point> checked;  // when the view was made
    Json sent;  // the comparable part of the last view sent
    Heartbeat heartbeat;
  };
  auto state = std::make_shared<State>(State{std::move(options), std::nullopt, nullptr, {}});
  http::Response response{.status = 200, .content_type = "application/x-ndjson"};
  response.stream = [state](std::string& chunk, bool stopping) {
    if (stopping) return false;
    auto now = state->options.clock.Now();
    // Not yet time (a clock set back counts as time: the view is made and the wait restarts).
    if (state->checked && now >= *state->checked &&
        now < *state->checked + state->options.interval) {
      state->heartbeat.Poll(chunk);
      return true;
    }
    state->checked = now;
    Result<Json> view = state->options.view();
    if (!view) {
      chunk = Json{{"error", view.error().message}}.dump() + "\n";
      return false;
    }
    Json comparable = state->options.comparable ? state->options.comparable(*view) : *view;
    if (comparable != state->sent) {
      state->sent = std::move(comparable);
      chunk = view->dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
    }
    state->heartbeat.Poll(chunk);
    return true;
  };
  return response;
}

}  // namespace yard::api

#pragma once

// Followed views (`?follow=true` on a status route): the view now, then again whenever it
// changes, as NDJSON, so that a page stays current on one connection instead of polling.

#include <chrono>
#include <functional>

#include "api/json.h"
#include "base/clock.h"
#include "http/message.h"

namespace yard::api {

/// The `follow` query parameter: absent, false or 0 → false; true, 1 or empty → true;
/// kInvalidArgument otherwise.
Result<bool> FollowRequested(const http::Request& request);

struct FollowedViewOptions {
  const Clock& clock;
  /// How often the view is made again (time by `clock`).
  std::chrono::seconds interval{2};
  /// The view as it is now. An error ends the stream with an {"error": "..."} line (the
  /// deployment was deleted).
  std::function<Result<Json>()> view;
  /// The part of the view whose change is worth a line (a view's own timestamps, which differ
  /// on every read, left out); the whole view when unset.
  std::function<Json(const Json&)> comparable;
};

/// An NDJSON stream: the view at once, then every `interval` the view when its comparable
/// part differs from the last one sent; heartbeats (api/heartbeat.h) in between. The view is
/// made on a poll, never waited for.
http::Response FollowedView(FollowedViewOptions options);

}  // namespace yard::api

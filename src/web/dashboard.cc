#include "web/dashboard.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace yard::web {
namespace {

// Routes of the page's own router (History API): a reload there must get the page back.
bool IsPageRoute(std::string_view path) {
  return path == "/" || path == "/login" || path == "/account" || path == "/projects" ||
         path.starts_with("/projects/");
}

// The file a path names, relative to web/; nothing for paths the dashboard does not serve.
std::optional<std::string> FileFor(std::string_view path) {
  if (IsPageRoute(path)) return "index.html";
  if (!path.starts_with("/assets/")) return std::nullopt;
  std::string decoded;
  if (!http::PercentDecode(path.substr(1), decoded, false)) return std::nullopt;
  return decoded;
}

// If-None-Match holds a list of tags, weak ones (W/"...") compare equal to strong ones here.
bool Matches(std::string_view if_none_match, std::string_view etag) {
  while (!if_none_match.empty()) {
    size_t comma = if_none_match.find(',');
    std::string_view tag = if_none_match.substr(0, comma);
    while (!tag.empty() && tag.front() == ' ') tag.remove_prefix(1);
    while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == "*" || tag == etag) return true;
    if (comma == std::string_view::npos) break;
    if_none_match.remove_prefix(comma + 1);
  }
  return false;
}

// Errors have the API's one shape (docs/api.md), so that a client need not know where the
// dashboard ends and the API begins.
http::Response Error(int status, std::string_view code, std::string_view message) {
  nlohmann::json body{{"error", {{"code", code}, {"message", message}}}};
  return http::Response{.status = status, .body = body.dump()};
}

}  // namespace

bool IsApiPath(std::string_view path) {
  return path == "/api" || path.starts_with("/api/") || path == "/healthz" || path == "/metrics";
}

http::Response Dashboard::Handle(const http::Request& request) const {
  std::optional<std::string> file = FileFor(request.path);
  std::optional<Asset> asset;
  if (file) asset = assets_.Find(*file);

  http::Response response;
  if (!asset) {
    response = Error(404, "not_found", "no such page or file");
  } else if (request.method != "GET" && request.method != "HEAD") {
    response = Error(405, "method_not_allowed", "the dashboard answers GET and HEAD only");
    response.headers.emplace_back("Allow", "GET, HEAD");
  } else {
    // no-cache: the browser may keep the file but asks each time, so that a new server
    // version's page and scripts are never mixed with stale ones.
    response.headers.emplace_back("ETag", asset->etag);
    response.headers.emplace_back("Cache-Control", "no-cache");
    response.content_type = asset->content_type;
    if (Matches(request.Header("if-none-match"), asset->etag)) {
      response.status = 304;
    } else if (request.method == "GET") {
      response.body = std::move(asset->bytes);
    }
  }
  for (const auto& [name, value] : kSecurityHeaders) {
    response.headers.emplace_back(std::string(name), std::string(value));
  }
  return response;
}

}  // namespace yard::web

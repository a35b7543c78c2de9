#include "api/sse.h"

#include <algorithm>
#include <cctype>
#include <memory>
#include <string>

namespace yard::api {
namespace {

struct Framing {
  std::string partial;  // the start of a line whose newline has not come yet
  bool ended = false;
};

void AppendEvent(std::string_view line, std::string& out) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty()) {
    out += ": ping\n\n";
  } else {
    // NDJSON lines hold no newline, so one data: field carries the whole line.
    out += "data: ";
    out += line;
    out += "\n\n";
  }
}

}  // namespace

bool AcceptsEventStream(const http::Request& request) {
  std::string accept = request.Header("accept");
  std::transform(accept.begin(), accept.end(), accept.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return accept.find("text/event-stream") != std::string::npos;
}

http::Response AsEventStream(http::Response ndjson) {
  http::Response response{.status = ndjson.status, .content_type = "text/event-stream"};
  response.headers = std::move(ndjson.headers);
  // Proxies must pass events on as they come, and nothing may keep a copy.
  response.headers.emplace_back("Cache-Control", "no-cache");
  response.headers.emplace_back("X-Accel-Buffering", "no");
  auto framing = std::make_shared<Framing>();
  response.stream = [inner = std::move(ndjson.stream), framing](std::string& chunk,
                                                                bool stopping) mutable {
    if (framing->ended) return false;
    std::string raw;
    bool more = inner(raw, stopping);
    framing->partial += raw;
    std::string_view pending = framing->partial;
    size_t newline;
    while ((newline = pending.find('\n')) != std::string_view::npos) {
      AppendEvent(pending.substr(0, newline), chunk);
      pending.remove_prefix(newline + 1);
    }
    framing->partial.erase(0, framing->partial.size() - pending.size());
    if (more) return true;
    framing->ended = true;
    if (!framing->partial.empty()) AppendEvent(framing->partial, chunk);
    // A server that is stopping leaves the end out: the browser reconnects, to the next one.
    if (!stopping) chunk += "event: end\ndata: {}\n\n";
    return false;
  };
  return response;
}

http::Response EventStreamIfAccepted(const http::Request& request, http::Response response) {
  if (!response.stream || response.content_type != "application/x-ndjson" ||
      !AcceptsEventStream(request)) {
    return response;
  }
  return AsEventStream(std::move(response));
}

}  // namespace yard::api

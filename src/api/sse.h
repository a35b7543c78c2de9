#pragma once

// Server-Sent Events for browsers: EventSource cannot read NDJSON, so a followed stream
// (logs, events, status, a build's log) asked for with `Accept: text/event-stream` is sent as
// an event stream instead. Each JSON line is one `data:` event, a heartbeat (an empty line)
// is a `: ping` comment, and the end of the stream is `event: end`, so that the page closes
// its EventSource instead of letting it reconnect. docs/api.md "Conventions".

#include "http/message.h"

namespace yard::api {

/// True when the request's Accept header names text/event-stream.
bool AcceptsEventStream(const http::Request& request);

/// The NDJSON stream `ndjson` (Response::stream) as text/event-stream. Lines split across
/// chunks are held until they are complete.
http::Response AsEventStream(http::Response ndjson);

/// AsEventStream(response) when the request accepts an event stream and the response is a
/// streamed NDJSON body; `response` unchanged otherwise (errors stay JSON).
http::Response EventStreamIfAccepted(const http::Request& request, http::Response response);

}  // namespace yard::api

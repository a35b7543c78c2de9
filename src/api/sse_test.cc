// Server-Sent Events framing of NDJSON streams (sse.h), with a scripted stream driven by hand,
// and through the router: a followed stream asked for with Accept: text/event-stream.

#include "api/sse.h"

#include <gtest/gtest.h>

#include <deque>

#include "api/api_fixture.h"

namespace yard::api {
namespace {

// A stream that answers each call with the next scripted chunk; the last one ends it.
http::Response Scripted(std::deque<std::string> chunks) {
  http::Response response{.status = 200, .content_type = "application/x-ndjson"};
  response.stream = [chunks = std::move(chunks)](std::string& chunk, bool) mutable {
    if (chunks.empty()) return false;
    chunk += chunks.front();
    chunks.pop_front();
    return !chunks.empty();
  };
  return response;
}

std::string HeaderOf(const http::Response& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return "";
}

// Every chunk the stream gives until it ends (or `limit` calls).
std::vector<std::string> Drain(http::Response& response, bool stopping = false, int limit = 100) {
  std::vector<std::string> chunks;
  for (int i = 0; i < limit; ++i) {
    std::string chunk;
    bool more = response.stream(chunk, stopping);
    chunks.push_back(chunk);
    if (!more) break;
  }
  return chunks;
}

http::Request Accepting(const std::string& accept) {
  http::Request request{.method = "GET", .target = "/x", .path = "/x"};
  request.headers["accept"] = accept;
  return request;
}

TEST(SseTest, LinesBecomeEvents) {
  http::Response response = AsEventStream(Scripted({"{\"a\":1}\n{\"b\":2}\n", "", "\n", "{\"c\":3}\n"}));
  EXPECT_EQ(response.content_type, "text/event-stream");
  EXPECT_EQ(HeaderOf(response, "Cache-Control"), "no-cache");
  EXPECT_EQ(HeaderOf(response, "X-Accel-Buffering"), "no");
  EXPECT_EQ(Drain(response),
            (std::vector<std::string>{"data: {\"a\":1}\n\ndata: {\"b\":2}\n\n", "", ": ping\n\n",
                                      "data: {\"c\":3}\n\nevent: end\ndata: {}\n\n"}));
  std::string after;
  EXPECT_FALSE(response.stream(after, false));  // ended for good
  EXPECT_EQ(after, "");
}

TEST(SseTest, PartialLinesWaitForTheirEnd) {
  http::Response response =
      AsEventStream(Scripted({"{\"text\":\"hel", "lo\"}\r\n{\"n\"", ":1}\n{\"last\":true}"}));
  EXPECT_EQ(Drain(response),
            (std::vector<std::string>{"", "data: {\"text\":\"hello\"}\n\n",
                                      "data: {\"n\":1}\n\ndata: {\"last\":true}\n\n"
                                      "event: end\ndata: {}\n\n"}));
}

TEST(SseTest, AStoppingServerSendsNoEnd) {
  // The browser reconnects to the next server when the stream is cut without an end event.
  http::Response response = AsEventStream(Scripted({"{\"a\":1}\n"}));
  EXPECT_EQ(Drain(response, /*stopping=*/true), (std::vector<std::string>{"data: {\"a\":1}\n\n"}));
}

TEST(SseTest, OnlyStreamedNdjsonForClientsThatAsk) {
  EXPECT_TRUE(AcceptsEventStream(Accepting("text/event-stream")));
  EXPECT_TRUE(AcceptsEventStream(Accepting("application/json, Text/Event-Stream;q=0.9")));
  EXPECT_FALSE(AcceptsEventStream(Accepting("application/x-ndjson")));
  EXPECT_FALSE(AcceptsEventStream(http::Request{}));

  auto converted = EventStreamIfAccepted(Accepting("text/event-stream"), Scripted({"{}\n"}));
  EXPECT_EQ(converted.content_type, "text/event-stream");
  auto unasked = EventStreamIfAccepted(Accepting("*/*"), Scripted({"{}\n"}));
  EXPECT_EQ(unasked.content_type, "application/x-ndjson");
  // Plain JSON answers (errors included) stay JSON.
  http::Response error{.status = 404, .body = "{\"error\":{}}"};
  auto kept = EventStreamIfAccepted(Accepting("text/event-stream"), error);
  EXPECT_EQ(kept.content_type, "application/json");
  EXPECT_EQ(kept.body, error.body);
  EXPECT_FALSE(kept.stream);
}

class SseRouterTest : public ApiFixture {};

TEST_F(SseRouterTest, RouterSendsFollowedStreamsAsEvents) {
  router_.Add("GET", "/api/v1/test/stream", Access::kAuthenticated,
              [](const RouteContext&) -> Result<http::Response> {
                return Scripted({"{\"n\":1}\n", "{\"n\":2}\n"});
              });
  http::Request request{.method = "GET", .target = "/api/v1/test/stream",
                        .path = "/api/v1/test/stream"};
  request.headers["authorization"] = "Bearer " + user_token_;
  request.headers["accept"] = "text/event-stream";
  http::Response events = router_.Handle(request);
  EXPECT_EQ(events.content_type, "text/event-stream");
  EXPECT_EQ(Drain(events), (std::vector<std::string>{
                               "data: {\"n\":1}\n\n", "data: {\"n\":2}\n\nevent: end\ndata: {}\n\n"}));

  request.headers.erase("accept");
  http::Response ndjson = router_.Handle(request);
  EXPECT_EQ(ndjson.content_type, "application/x-ndjson");
  EXPECT_EQ(Drain(ndjson), (std::vector<std::string>{"{\"n\":1}\n", "{\"n\":2}\n"}));
}

}  // namespace
}  // namespace yard::api

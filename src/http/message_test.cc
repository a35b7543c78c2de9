#include "http/message.h"

#include <gtest/gtest.h>

#include "http/client.h"

namespace yard::http {
namespace {

TEST(MessageTest, ParsesTargets) {
  std::string path;
  std::map<std::string, std::string> query;
  ASSERT_TRUE(ParseTarget("/api/v1/users?limit=10&name=a%20b&flag&x=1+2", path, query));
  EXPECT_EQ(path, "/api/v1/users");
  EXPECT_EQ(query["limit"], "10");
  EXPECT_EQ(query["name"], "a b");
  EXPECT_EQ(query["flag"], "");
  EXPECT_EQ(query["x"], "1 2");
  // The path stays encoded, so that an encoded '/' can live inside one segment.
  ASSERT_TRUE(ParseTarget("/keys/SHA256%3Aab%2Fcd", path, query));
  EXPECT_EQ(path, "/keys/SHA256%3Aab%2Fcd");
  EXPECT_TRUE(query.empty());
}

TEST(MessageTest, RejectsBadTargets) {
  std::string path;
  std::map<std::string, std::string> query;
  EXPECT_FALSE(ParseTarget("", path, query));
  EXPECT_FALSE(ParseTarget("http://example.com/", path, query));
  EXPECT_FALSE(ParseTarget("/bad%zz", path, query));
  EXPECT_FALSE(ParseTarget("/truncated%4", path, query));
  EXPECT_FALSE(ParseTarget("/nul%00byte", path, query));
  EXPECT_FALSE(ParseTarget("/ok?bad=%g1", path, query));
}

TEST(MessageTest, PercentEncodingRoundTrips) {
  std::string original = "SHA256:ab/cd+ef=é ~";
  std::string encoded = PercentEncode(original);
  EXPECT_EQ(encoded.find_first_of("/:+= "), std::string::npos);
  std::string decoded;
  ASSERT_TRUE(PercentDecode(encoded, decoded, false));
  EXPECT_EQ(decoded, original);
}

TEST(MessageTest, RequestHeaderLookup) {
  Request request;
  request.headers["authorization"] = "Bearer x";
  EXPECT_EQ(request.Header("authorization"), "Bearer x");
  EXPECT_EQ(request.Header("missing"), "");
}

TEST(EndpointTest, ParsesServerAddresses) {
  auto tcp = MUST(Endpoint::Parse("http://127.0.0.1:8420"));
  EXPECT_EQ(tcp.kind, Endpoint::Kind::kTcp);
  EXPECT_EQ(tcp.host, "127.0.0.1");
  EXPECT_EQ(tcp.port, "8420");
  EXPECT_EQ(tcp.ToString(), "http://127.0.0.1:8420");
  EXPECT_EQ(MUST(Endpoint::Parse("http://localhost/")).port, "80");
  auto v6 = MUST(Endpoint::Parse("http://[::1]:9000"));
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.ToString(), "http://[::1]:9000");
  auto unix_socket = MUST(Endpoint::Parse("unix:///run/podman.sock"));
  EXPECT_EQ(unix_socket.kind, Endpoint::Kind::kUnix);
  EXPECT_EQ(unix_socket.path, "/run/podman.sock");
}

TEST(EndpointTest, RejectsOtherForms) {
  for (const char* url : {"", "127.0.0.1:8420", "https://host:1", "http://", "http://:80",
                          "http://host:port", "http://host:80/path", "unix://relative",
                          "http://[::1"}) {
    auto endpoint = Endpoint::Parse(url);
    EXPECT_FALSE(endpoint) << url;
    if (!endpoint) {
      EXPECT_EQ(endpoint.error().code, ErrorCode::kInvalidArgument);
    }
  }
}

}  // namespace
}  // namespace yard::http

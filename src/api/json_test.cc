#include "api/json.h"

#include <gtest/gtest.h>

namespace yard::api {
namespace {

http::Request WithBody(std::string body, std::string type = "application/json") {
  http::Request request;
  request.body = std::move(body);
  if (!type.empty()) request.headers["content-type"] = type;
  return request;
}

TEST(JsonTest, ParsesObjectsAndTreatsEmptyAsEmptyObject) {
  EXPECT_EQ(MUST(ParseBody(WithBody(R"({"a": 1})")))["a"], 1);
  EXPECT_TRUE(MUST(ParseBody(WithBody(""))).empty());
  EXPECT_TRUE(ParseBody(WithBody("{}", "")));
  EXPECT_TRUE(ParseBody(WithBody("{}", "application/json; charset=utf-8")));
}

TEST(JsonTest, RejectsMalformedBodiesWithPositions) {
  auto bad = ParseBody(WithBody("{\"a\": }"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.error().message.find("malformed JSON"), std::string::npos);
  EXPECT_NE(bad.error().message.find("column"), std::string::npos);
  EXPECT_EQ(bad.error().message.find("json.exception"), std::string::npos);
  EXPECT_FALSE(ParseBody(WithBody("[1, 2]")));
  EXPECT_FALSE(ParseBody(WithBody("\"text\"")));
  EXPECT_FALSE(ParseBody(WithBody("{\"a\": \"\xff\"}")));  // invalid UTF-8
  EXPECT_FALSE(ParseBody(WithBody("{}", "text/plain")));
}

TEST(JsonTest, DeeplyNestedInputDoesNotCrash) {
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_FALSE(ParseBody(WithBody(deep)));  // parsed, then refused: not an object
  std::string deep_object = "{\"a\":" + deep + "}";
  EXPECT_TRUE(ParseBody(WithBody(deep_object)));
}

TEST(JsonTest, FieldAccessorsCheckTypes) {
  Json body = {{"name", "x"}, {"count", 3}, {"wrong", 1.5}, {"nothing", nullptr}};
  EXPECT_EQ(*MUST(OptionalString(body, "name")), "x");
  EXPECT_FALSE(MUST(OptionalString(body, "absent")).has_value());
  EXPECT_FALSE(MUST(OptionalString(body, "nothing")).has_value());
  EXPECT_FALSE(OptionalString(body, "count"));
  EXPECT_EQ(MUST(RequiredString(body, "name")), "x");
  EXPECT_NE(RequiredString(body, "absent").error().message.find("required"), std::string::npos);
  EXPECT_EQ(*MUST(OptionalInt(body, "count")), 3);
  EXPECT_FALSE(OptionalInt(body, "wrong"));
  EXPECT_TRUE(RejectUnknownFields(body, {"name", "count", "wrong", "nothing"}));
  auto unknown = RejectUnknownFields(body, {"name"});
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("unknown field"), std::string::npos);
}

TEST(JsonTest, ErrorResponsesCarryCodeAndStatus) {
  http::Response response = ErrorResponse(Error{ErrorCode::kNotFound, "no such \"thing\""});
  EXPECT_EQ(response.status, 404);
  Json body = Json::parse(response.body);
  EXPECT_EQ(body["error"]["code"], "not_found");
  EXPECT_EQ(body["error"]["message"], "no such \"thing\"");
}

TEST(JsonTest, InvalidUtf8InResponsesIsReplacedNotThrown) {
  http::Response response = JsonResponse(200, {{"text", "bad \xff byte"}});
  EXPECT_EQ(response.status, 200);
  EXPECT_TRUE(Json::accept(response.body));
}

}  // namespace
}  // namespace yard::api

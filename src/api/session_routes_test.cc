// Dashboard sessions: signing in and out, the session cookie in place of a bearer token, the
// cross-site rules for cookie requests, sign-in throttling, and passwords.

#include <gtest/gtest.h>

#include <map>
#include <regex>

#include "api/api_fixture.h"
#include "auth/password.h"
#include "http/message.h"

namespace yard::api {
namespace {

using Headers = std::map<std::string, std::string>;

constexpr const char* kJson = "application/json";

class SessionRoutesTest : public ApiFixture {
 protected:
  void SetUp() override {
    ApiFixture::SetUp();
    alice_ = MUST(users_.FindByName("alice"));
    SetPassword(alice_, "alice's password");
  }

  void SetPassword(const store::User& user, const std::string& password) {
    MUST(users_.SetPasswordHash(user.id, MUST(auth::HashPassword(password, {.log_n = 4}))));
  }

  http::Response Send(const std::string& method, const std::string& target, Headers headers,
                      const std::string& body = "") {
    http::Request request;
    request.method = method;
    request.target = target;
    EXPECT_TRUE(http::ParseTarget(target, request.path, request.query)) << target;
    request.headers = std::move(headers);
    request.body = body;
    request.remote = "192.0.2.1:40000";
    return router_.Handle(request);
  }

  http::Response SignIn(const Json& credentials, Headers headers = {}) {
    headers.emplace("content-type", kJson);
    return Send("POST", "/api/v1/sessions", std::move(headers), credentials.dump());
  }

  static std::string SetCookie(const http::Response& response) {
    for (const auto& [name, value] : response.headers) {
      if (name == "Set-Cookie") return value;
    }
    return "";
  }

  // Signs alice in and returns the cookie header and CSRF token of her session.
  struct Browser {
    std::string cookie;
    std::string csrf;
  };
  Browser SignInAlice() {
    http::Response response = SignIn({{"username", "alice"}, {"password", "alice's password"}});
    EXPECT_EQ(response.status, 201) << response.body;
    std::smatch match;
    std::string set_cookie = SetCookie(response);
    EXPECT_TRUE(std::regex_search(set_cookie, match, std::regex("^yard_session=([0-9a-f]{64});")))
        << set_cookie;
    return {"yard_session=" + match[1].str(), BodyOf(response)["csrf_token"].get<std::string>()};
  }

  store::User alice_;
};

TEST_F(SessionRoutesTest, SignsInWithAPasswordAndTheCookieAuthenticates) {
  http::Response response = SignIn({{"username", "alice"}, {"password", "alice's password"}});
  ASSERT_EQ(response.status, 201) << response.body;
  Json body = BodyOf(response);
  EXPECT_EQ(body["user"]["name"], "alice");
  EXPECT_EQ(body["expires_at"], FormatTimestamp(clock_.NowUnix() + 7 * 24 * 3600));
  EXPECT_EQ(body["has_password"], true);
  ASSERT_TRUE(body["csrf_token"].is_string());
  EXPECT_TRUE(std::regex_match(SetCookie(response),
                               std::regex("yard_session=[0-9a-f]{64}; Path=/; HttpOnly; "
                                          "SameSite=Strict; Max-Age=604800")))
      << SetCookie(response);

  std::string cookie = SetCookie(response).substr(0, SetCookie(response).find(';'));
  http::Response me = Send("GET", "/api/v1/users/me", {{"cookie", "theme=dark; " + cookie}});
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(BodyOf(me)["name"], "alice");
  // A reloaded page gets its CSRF token back.
  http::Response current = Send("GET", "/api/v1/sessions/current", {{"cookie", cookie}});
  ASSERT_EQ(current.status, 200) << current.body;
  EXPECT_EQ(BodyOf(current)["csrf_token"], body["csrf_token"]);
  EXPECT_EQ(BodyOf(current)["user"]["name"], "alice");
  EXPECT_EQ(BodyOf(current)["expires_at"], body["expires_at"]);
}

TEST_F(SessionRoutesTest, TheCookieIsSecureOverHttps) {
  http::Response response = SignIn({{"username", "alice"}, {"password", "alice's password"}},
                                   {{"x-forwarded-proto", "https"}});
  ASSERT_EQ(response.status, 201) << response.body;
  EXPECT_TRUE(SetCookie(response).ends_with("; Max-Age=604800; Secure")) << SetCookie(response);
}

TEST_F(SessionRoutesTest, SignsInWithAToken) {
  http::Response response = SignIn({{"token", user_token_}});
  ASSERT_EQ(response.status, 201) << response.body;
  EXPECT_EQ(BodyOf(response)["user"]["name"], "alice");
  http::Response bad = SignIn({{"token", "yard_" + std::string(40, 'x')}});
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(SetCookie(bad), "");
}

TEST_F(SessionRoutesTest, WrongPasswordUnknownUserAndNoPasswordGetTheSameAnswer) {
  MakeUser("bob", store::Role::kUser);  // has no password
  std::string message;
  for (const Json& credentials : {Json{{"username", "alice"}, {"password", "wrong password"}},
                                  Json{{"username", "nobody"}, {"password", "alice's password"}},
                                  Json{{"username", "bob"}, {"password", "anything at all"}}}) {
    http::Response response = SignIn(credentials);
    EXPECT_EQ(response.status, 401) << credentials;
    EXPECT_EQ(SetCookie(response), "");
    std::string got = BodyOf(response)["error"]["message"].get<std::string>();
    if (message.empty()) message = got;
    EXPECT_EQ(got, message);
  }
  EXPECT_EQ(message, "wrong username or password");
}

TEST_F(SessionRoutesTest, RefusesMalformedAndCrossSiteSignIns) {
  std::string good = Json{{"username", "alice"}, {"password", "alice's password"}}.dump();
  EXPECT_EQ(Send("POST", "/api/v1/sessions", {}, good).status, 415);
  EXPECT_EQ(Send("POST", "/api/v1/sessions", {{"content-type", "text/plain"}}, good).status, 415);
  EXPECT_EQ(
      Send("POST", "/api/v1/sessions", {{"content-type", "application/x-www-form-urlencoded"}},
           "username=alice&password=x")
          .status,
      415);
  EXPECT_EQ(Send("POST", "/api/v1/sessions",
                 {{"content-type", "application/json; charset=utf-8"},
                  {"host", "yard.example"},
                  {"origin", "http://yard.example"}},
                 good)
                .status,
            201);
  http::Response foreign = Send(
      "POST", "/api/v1/sessions",
      {{"content-type", kJson}, {"host", "yard.example"}, {"origin", "http://evil.example"}}, good);
  EXPECT_EQ(foreign.status, 403);
  EXPECT_NE(BodyOf(foreign)["error"]["message"].get<std::string>().find("cross-site"),
            std::string::npos);
  EXPECT_EQ(SignIn({{"username", "alice"}}).status, 400);
  EXPECT_EQ(SignIn({{"token", user_token_}, {"username", "alice"}}).status, 400);
  EXPECT_EQ(SignIn({{"username", "alice"}, {"password", "x"}, {"remember", true}}).status, 400);
  EXPECT_EQ(SignIn({{"username", "alice"}, {"password", 12345678}}).status, 400);
}

TEST_F(SessionRoutesTest, ThrottlesFailedSignIns) {
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(SignIn({{"username", "alice"}, {"password", "wrong password"}}).status, 401) << i;
  }
  // Even the right password is refused now, with a time to wait.
  http::Response throttled = SignIn({{"username", "alice"}, {"password", "alice's password"}});
  EXPECT_EQ(throttled.status, 429);
  bool has_retry_after = false;
  for (const auto& [name, value] : throttled.headers) {
    if (name == "Retry-After") has_retry_after = std::stoi(value) > 0;
  }
  EXPECT_TRUE(has_retry_after);
  // Other users at the same address are not locked out by it.
  SetPassword(MUST(users_.FindByName("admin")), "admin's password");
  EXPECT_EQ(SignIn({{"username", "admin"}, {"password", "admin's password"}}).status, 201);
  clock_.Advance(std::chrono::minutes(15));
  EXPECT_EQ(SignIn({{"username", "alice"}, {"password", "alice's password"}}).status, 201);
}

TEST_F(SessionRoutesTest, CookieRequestsThatChangeThingsNeedTheCsrfToken) {
  Browser browser = SignInAlice();
  const std::string target = "/api/v1/users/me/tokens";
  const std::string body = R"({"name":"from-the-page"})";
  // Reading needs no token.
  EXPECT_EQ(Send("GET", target, {{"cookie", browser.cookie}}).status, 200);
  http::Response missing = Send("POST", target, {{"cookie", browser.cookie}}, body);
  EXPECT_EQ(missing.status, 403);
  EXPECT_NE(
      BodyOf(missing)["error"]["message"].get<std::string>().find("cross-site request refused"),
      std::string::npos);
  EXPECT_EQ(
      Send("POST", target, {{"cookie", browser.cookie}, {"x-csrf-token", "0" + browser.csrf}}, body)
          .status,
      403);
  EXPECT_EQ(Send("POST", target, {{"cookie", browser.cookie}, {"x-csrf-token", browser.csrf}}, body)
                .status,
            201);
  // With the token but from another origin.
  EXPECT_EQ(Send("POST", target,
                 {{"cookie", browser.cookie},
                  {"x-csrf-token", browser.csrf},
                  {"host", "yard.example"},
                  {"origin", "http://evil.example"}},
                 body)
                .status,
            403);
  // Same origin, directly and through a proxy that says where the client connected.
  EXPECT_EQ(Send("POST", target,
                 {{"cookie", browser.cookie},
                  {"x-csrf-token", browser.csrf},
                  {"host", "yard.example:80"},
                  {"origin", "http://yard.example"},
                  {"sec-fetch-site", "same-origin"}},
                 body)
                .status,
            201);
  EXPECT_EQ(Send("POST", target,
                 {{"cookie", browser.cookie},
                  {"x-csrf-token", browser.csrf},
                  {"host", "127.0.0.1:8420"},
                  {"x-forwarded-host", "Yard.Example"},
                  {"x-forwarded-proto", "https"},
                  {"origin", "https://yard.example"}},
                 body)
                .status,
            201);
  EXPECT_EQ(Send("POST", target,
                 {{"cookie", browser.cookie},
                  {"x-csrf-token", browser.csrf},
                  {"host", "127.0.0.1:8420"},
                  {"x-forwarded-host", "yard.example"},
                  {"x-forwarded-proto", "https"},
                  {"origin", "http://yard.example"}},
                 body)
                .status,
            403);
  EXPECT_EQ(Send("POST", target,
                 {{"cookie", browser.cookie},
                  {"x-csrf-token", browser.csrf},
                  {"sec-fetch-site", "same-site"}},
                 body)
                .status,
            403);
  // A form another site posts: the browser sends the cookie, but no token can be added.
  EXPECT_EQ(Send("POST", target,
                 {{"cookie", browser.cookie},
                  {"content-type", "application/x-www-form-urlencoded"},
                  {"host", "yard.example"},
                  {"origin", "http://evil.example"}},
                 "name=evil")
                .status,
            403);
  EXPECT_EQ(Send("DELETE", "/api/v1/users/me/tokens/1", {{"cookie", browser.cookie}}).status, 403);
  // Bearer requests need no token: browsers never add the header on their own.
  EXPECT_EQ(Send("POST", target, {{"authorization", "Bearer " + user_token_}}, body).status, 201);
  // The header wins over the cookie: a bad bearer token is not rescued by a good cookie.
  EXPECT_EQ(Send("GET", target, {{"authorization", "Bearer nonsense"}, {"cookie", browser.cookie}})
                .status,
            401);
}

TEST_F(SessionRoutesTest, SigningOutMakesTheCookieUseless) {
  Browser browser = SignInAlice();
  EXPECT_EQ(Send("DELETE", "/api/v1/sessions/current", {{"cookie", browser.cookie}}).status, 403);
  http::Response out = Send("DELETE", "/api/v1/sessions/current",
                            {{"cookie", browser.cookie}, {"x-csrf-token", browser.csrf}});
  ASSERT_EQ(out.status, 204) << out.body;
  EXPECT_TRUE(SetCookie(out).starts_with("yard_session=; Path=/;")) << SetCookie(out);
  EXPECT_NE(SetCookie(out).find("Max-Age=0"), std::string::npos);

  http::Response after = Send("GET", "/api/v1/users/me", {{"cookie", browser.cookie}});
  EXPECT_EQ(after.status, 401);
  EXPECT_NE(SetCookie(after).find("Max-Age=0"), std::string::npos);  // the browser drops it
  EXPECT_EQ(Send("GET", "/api/v1/sessions/current", {{"cookie", browser.cookie}}).status, 401);
  // Without a cookie there is no current session, even with a token.
  EXPECT_EQ(Send("GET", "/api/v1/sessions/current", {}).status, 401);
  EXPECT_EQ(Call("GET", "/api/v1/sessions/current", user_token_).status, 401);
}

TEST_F(SessionRoutesTest, SessionsLastTheirLifetime) {
  services_.session_lifetime = std::chrono::hours(1);
  Browser browser = SignInAlice();
  clock_.Advance(std::chrono::minutes(59));
  EXPECT_EQ(Send("GET", "/api/v1/users/me", {{"cookie", browser.cookie}}).status, 200);
  clock_.Advance(std::chrono::minutes(1));
  EXPECT_EQ(Send("GET", "/api/v1/users/me", {{"cookie", browser.cookie}}).status, 401);
}

TEST_F(SessionRoutesTest, UsersChangeTheirPasswordWithTheCurrentOne) {
  Browser here = SignInAlice();
  Browser elsewhere = SignInAlice();
  auto change = [&](const Json& body) {
    return Send("PUT", "/api/v1/users/me/password",
                {{"cookie", here.cookie}, {"x-csrf-token", here.csrf}}, body.dump());
  };
  EXPECT_EQ(change({{"password", "a new password"}}).status, 400);  // current one missing
  http::Response wrong =
      change({{"current_password", "nope nope"}, {"password", "a new password"}});
  EXPECT_EQ(wrong.status, 403);
  http::Response short_one =
      change({{"current_password", "alice's password"}, {"password", "short"}});
  EXPECT_EQ(short_one.status, 400);
  EXPECT_NE(short_one.body.find("at least 8 characters"), std::string::npos) << short_one.body;

  http::Response changed =
      change({{"current_password", "alice's password"}, {"password", "a new password"}});
  ASSERT_EQ(changed.status, 200) << changed.body;
  EXPECT_EQ(BodyOf(changed)["sessions_ended"], 1);
  // The other browser is signed out; this one stays.
  EXPECT_EQ(Send("GET", "/api/v1/users/me", {{"cookie", elsewhere.cookie}}).status, 401);
  EXPECT_EQ(Send("GET", "/api/v1/users/me", {{"cookie", here.cookie}}).status, 200);
  EXPECT_EQ(SignIn({{"username", "alice"}, {"password", "alice's password"}}).status, 401);
  EXPECT_EQ(SignIn({{"username", "alice"}, {"password", "a new password"}}).status, 201);
}

TEST_F(SessionRoutesTest, AUserWithoutAPasswordSetsOneWithoutTheCurrentOne) {
  std::string bob_token = MakeUser("bob", store::Role::kUser);
  http::Response set =
      Call("PUT", "/api/v1/users/me/password", bob_token, R"({"password":"bob's password"})");
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(SignIn({{"username", "bob"}, {"password", "bob's password"}}).status, 201);
}

TEST_F(SessionRoutesTest, AdminsSetPasswordsAndEndTheUsersSessions) {
  Browser browser = SignInAlice();
  const std::string target = "/api/v1/users/alice/password";
  EXPECT_EQ(Call("PUT", target, user_token_, R"({"password":"set by alice"})").status, 403);
  EXPECT_EQ(
      Call("PUT", "/api/v1/users/nobody/password", admin_token_, R"({"password":"long enough"})")
          .status,
      404);
  EXPECT_EQ(Call("PUT", target, admin_token_, R"({"password":"short"})").status, 400);
  http::Response set = Call("PUT", target, admin_token_, R"({"password":"set by the admin"})");
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(BodyOf(set)["sessions_ended"], 1);
  EXPECT_EQ(Send("GET", "/api/v1/users/me", {{"cookie", browser.cookie}}).status, 401);
  EXPECT_EQ(SignIn({{"username", "alice"}, {"password", "set by the admin"}}).status, 201);
}

TEST_F(SessionRoutesTest, AdminsCreateUsersWithAPassword) {
  http::Response created = Call("POST", "/api/v1/users", admin_token_,
                                R"({"name":"carol","password":"carol's password"})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(SignIn({{"username", "carol"}, {"password", "carol's password"}}).status, 201);
  http::Response bad =
      Call("POST", "/api/v1/users", admin_token_, R"({"name":"dave","password":"short"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(users_.FindByName("dave").error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace yard::api

#pragma once

// An in-process API over an in-memory store, for handler tests: requests go straight to the
// router, no sockets.

#include <gtest/gtest.h>

#include "api/api.h"
#include "api/json.h"
#include "auth/credentials.h"
#include "deployments/delivery.h"
#include "store/builds.h"
#include "store/deployments.h"
#include "store/migrations.h"
#include "store/releases.h"
#include "testing/temp_dir.h"
#include "testing/fake_clock.h"

namespace yard::api {

class ApiFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    MUST(store::Migrate(*db_, store::SchemaMigrations()));
    services_.delivery = &delivery_;
    services_.sessions = &sessions_;
    services_.sign_in_throttle = &sign_in_throttle_;
    services_.password_cost = auth::ScryptParams{.log_n = 4};
    if (services_.build_logs_dir.empty()) services_.build_logs_dir = dir_.File("builds");
    AddAllRoutes(router_, services_);
    admin_token_ = MakeUser("admin", store::Role::kAdmin);
    user_token_ = MakeUser("alice", store::Role::kUser);
  }

  // Creates a user and returns a bearer token for them.
  std::string MakeUser(const std::string& name, store::Role role) {
    store::User user = MUST(users_.Create(name, role));
    return MUST(auth::IssueToken(tokens_, user.id, "test", std::nullopt)).secret;
  }

  http::Response Call(const std::string& method, const std::string& target,
                      const std::string& token, const std::string& body = "") {
    http::Request request;
    request.method = method;
    request.target = target;
    EXPECT_TRUE(http::ParseTarget(target, request.path, request.query)) << target;
    if (!token.empty()) request.headers["authorization"] = "Bearer " + token;
    request.body = body;
    return router_.Handle(request);
  }

  static Json BodyOf(const http::Response& response) {
    return response.body.empty() ? Json() : Json::parse(response.body);
  }

  std::unique_ptr<store::Database> db_ = MUST(store::Database::Open(":memory:"));
  testing::FakeClock clock_;
  store::UserStore users_{*db_, clock_};
  store::ApiTokenStore tokens_{*db_, clock_};
  store::SshKeyStore keys_{*db_, clock_};
  testing::TempDir dir_;
  store::ProjectStore project_store_{*db_, clock_};
  projects::ProjectService projects_{project_store_, {.repos_dir = dir_.File("repos")}};
  // Dashboard sessions, with a cheap password hash (tests set many passwords).
  store::SessionStore sessions_{*db_, clock_};
  auth::SignInThrottle sign_in_throttle_{clock_};
  auth::Authenticator authenticator_{tokens_, &sessions_};
  Router router_{authenticator_};
  // Builds, releases and branch settings without a controller (nothing is woken, images are
  // not checked). Their routes are served when a test sets services_.deployments (and
  // services_.deployment_store) before SetUp.
  store::DeploymentStore deployment_store_{*db_, clock_};
  store::BuildStore build_store_{*db_, clock_};
  store::ReleaseStore release_store_{*db_, clock_};
  deployments::Delivery delivery_{{deployment_store_, build_store_, release_store_}, nullptr,
                                  nullptr};
  Services services_{*db_, users_, tokens_, keys_, projects_, clock_};
  std::string admin_token_;
  std::string user_token_;
};

}  // namespace yard::api

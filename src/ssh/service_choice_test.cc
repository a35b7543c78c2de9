#include "ssh/service_choice.h"

#include <gtest/gtest.h>

namespace yard::ssh {
namespace {

DeploymentSeen Shop() {
  return DeploymentSeen{
      .project = "shop",
      .name = "dev",
      .phase = "running",
      .primary = "web",
      .services = {{.id = "db", .addon = true, .state = "running", .container = "c-db"},
                   {.id = "web", .state = "running", .container = "c-web"},
                   {.id = "worker", .state = "starting", .container = "c-worker"}}};
}

std::string MessageOf(const Result<ServiceSeen>& chosen) {
  return chosen ? "(chosen " + chosen->id + ")" : chosen.error().message;
}

TEST(ServiceChoiceTest, ThePrimaryByDefaultAnyServiceByName) {
  DeploymentSeen shop = Shop();
  EXPECT_EQ(MUST(ChooseService(shop, "")).container, "c-web");
  EXPECT_EQ(MUST(ChooseService(shop, "db")).container, "c-db");
  // Starting and unhealthy containers run: a shell there is how one finds out why.
  EXPECT_EQ(MUST(ChooseService(shop, "worker")).container, "c-worker");
  shop.services[1].state = "unhealthy";
  EXPECT_EQ(MUST(ChooseService(shop, "web")).container, "c-web");
  shop.primary = "db";
  EXPECT_EQ(MUST(ChooseService(shop, "")).id, "db");
}

TEST(ServiceChoiceTest, AnUnknownComponentListsTheServices) {
  auto chosen = ChooseService(Shop(), "wbe");
  ASSERT_FALSE(chosen);
  EXPECT_EQ(chosen.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(chosen.error().message,
            "yard: shop/dev has no component or add-on 'wbe'; it has db, web, worker (use "
            "SERVICE.dev.shop)");
}

TEST(ServiceChoiceTest, AStoppedDeploymentSaysHowToStartIt) {
  DeploymentSeen shop = Shop();
  shop.stopped = true;
  auto chosen = ChooseService(shop, "");
  ASSERT_FALSE(chosen);
  EXPECT_EQ(chosen.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(chosen.error().message,
            "yard: shop/dev is stopped; start it with `yard deployments start shop/dev`");
}

TEST(ServiceChoiceTest, NothingObservedYet) {
  DeploymentSeen shop = Shop();
  shop.services.clear();
  shop.phase = "building";
  EXPECT_EQ(MessageOf(ChooseService(shop, "")),
            "yard: shop/dev has no containers yet (it is building); `yard deployments show "
            "shop/dev` tells how it goes");
  shop.phase.clear();
  EXPECT_EQ(MessageOf(ChooseService(shop, "web")),
            "yard: shop/dev has no containers yet; `yard deployments show shop/dev` tells how "
            "it goes");
}

TEST(ServiceChoiceTest, AServiceWithoutARunningContainerSaysWhy) {
  DeploymentSeen shop = Shop();
  shop.services[1] = {
      .id = "web", .state = "crashed", .last_exit_code = 1, .reason = "exited with code 1"};
  auto chosen = ChooseService(shop, "");
  ASSERT_FALSE(chosen);
  EXPECT_EQ(chosen.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(chosen.error().message,
            "yard: web of shop/dev crashed (exit code 1) and restarts after a back-off: "
            "exited with code 1; there is no running container to connect to (`yard "
            "deployments show shop/dev` tells more)");
  std::pair<const char*, const char*> states[] = {
      {"pending", "web of shop/dev is not started yet;"},
      {"waiting", "web of shop/dev is waiting for the add-ons it imports from;"},
      {"installing", "web of shop/dev is running its install step;"},
      {"install-failed", "web of shop/dev stopped after its install step failed;"},
      {"stopped", "web of shop/dev is stopped;"}};
  for (const auto& [state, expected] : states) {
    shop.services[1] = {.id = "web", .state = state};
    EXPECT_NE(MessageOf(ChooseService(shop, "web")).find(expected), std::string::npos) << state;
  }
  // A running state without a container (not yet adopted) is no container either.
  shop.services[1] = {.id = "web", .state = "running"};
  EXPECT_FALSE(ChooseService(shop, "web"));
}

TEST(ServiceChoiceTest, HostileComponentNamesAreShownShortAndPrintable) {
  std::string message = MessageOf(ChooseService(Shop(), std::string(500, 'x') + "\x1b[2J"));
  EXPECT_LT(message.size(), 200u);
  EXPECT_EQ(message.find('\x1b'), std::string::npos);
}

}  // namespace
}  // namespace yard::ssh

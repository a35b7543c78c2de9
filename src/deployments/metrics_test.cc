#include "deployments/metrics.h"

#include <gtest/gtest.h>

namespace yard::deployments {
namespace {

TEST(MetricsTextTest, FamiliesSamplesAndEscaping) {
  MetricsText out;
  out.Family("stackyard_x", "gauge", "Help with a \\ and\na newline.");
  out.Sample("stackyard_x", {{"project", "a\"b"}, {"deployment", "c\\d\ne"}}, 1.5);
  out.Sample("stackyard_x", 3);
  EXPECT_EQ(out.text(),
            "# HELP stackyard_x Help with a \\\\ and\\na newline.\n"
            "# TYPE stackyard_x gauge\n"
            "stackyard_x{project=\"a\\\"b\",deployment=\"c\\\\d\\ne\"} 1.5\n"
            "stackyard_x 3\n");
}

TEST(MetricsTextTest, Values) {
  EXPECT_EQ(FormatMetricValue(0), "0");
  EXPECT_EQ(FormatMetricValue(123456789012), "123456789012");
  EXPECT_EQ(FormatMetricValue(0.25), "0.25");
  EXPECT_EQ(FormatMetricValue(-2), "-2");
  EXPECT_EQ(FormatMetricValue(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(FormatMetricValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(EscapeLabelValue("plain"), "plain");
}

TEST(MetricsTest, RequestsByClass) {
  RequestCounts counts;
  counts.Count(200);
  counts.Count(201);
  counts.Count(404);
  counts.Count(503);
  counts.Count(99);   // not HTTP: ignored
  counts.Count(600);  // ditto
  auto by_class = counts.ByClass();
  ASSERT_EQ(by_class.size(), 5u);
  EXPECT_EQ(by_class[1], (std::pair<std::string, int64_t>{"2xx", 2}));
  EXPECT_EQ(by_class[3], (std::pair<std::string, int64_t>{"4xx", 1}));
  EXPECT_EQ(by_class[4], (std::pair<std::string, int64_t>{"5xx", 1}));
}

TEST(MetricsTest, ServerFiguresListEveryPhase) {
  MetricsText out;
  WriteServerMetrics(out, {.version = "1.0",
                           .start_time = 1000,
                           .now = 1060,
                           .requests = {{"2xx", 7}},
                           .deployments_by_phase = {{"running", 2}},
                           .builds_queued = 1,
                           .log_store_bytes = 4096});
  const std::string& text = out.text();
  EXPECT_NE(text.find("stackyard_server_uptime_seconds 60\n"), std::string::npos) << text;
  EXPECT_NE(text.find("stackyard_http_requests_total{class=\"2xx\"} 7\n"), std::string::npos);
  EXPECT_NE(text.find("stackyard_deployments{phase=\"running\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("stackyard_deployments{phase=\"failed\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("stackyard_builds{state=\"queued\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("stackyard_log_store_bytes 4096\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE stackyard_http_requests_total counter\n"), std::string::npos);
}

TEST(MetricsTest, DeploymentFiguresPerComponentSumARollout) {
  StatusTree tree;
  tree.project = "shop";
  tree.deployment = "prod";
  tree.colour = controller::Colour::kGreen;
  tree.size = {.cpu_millis = 500, .memory_bytes = 512LL << 20};
  tree.storage.total_bytes = 8192;
  tree.storage.volumes.push_back({.name = "db/data", .service = "db", .storage = "data", .bytes = 8192});
  tree.containers.push_back({.service = "web", .state = "running", .engine_state = "running",
                             .restarts = 2, .cpu_percent = 1.5, .cpu_seconds = 10,
                             .memory_bytes = 1000});
  tree.containers.push_back({.service = "web", .previous = true, .state = "previous",
                             .engine_state = "running", .cpu_percent = 0.5, .cpu_seconds = 4,
                             .memory_bytes = 500});
  tree.containers.push_back({.service = "db", .addon = true, .state = "crashed"});
  MetricsText out;
  WriteDeploymentMetrics(out, {tree});
  const std::string& text = out.text();
  const std::string web = "{project=\"shop\",deployment=\"prod\",component=\"web\"}";
  const std::string db = "{project=\"shop\",deployment=\"prod\",component=\"db\"}";
  EXPECT_NE(text.find("stackyard_container_memory_bytes" + web + " 1500\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("stackyard_container_cpu_seconds_total" + web + " 14\n"), std::string::npos);
  EXPECT_NE(text.find("stackyard_container_restarts_total" + web + " 2\n"), std::string::npos);
  EXPECT_NE(text.find("stackyard_container_up" + web + " 1\n"), std::string::npos);
  EXPECT_NE(text.find("stackyard_container_up" + db + " 0\n"), std::string::npos);
  // Not running: no memory figure rather than a made-up 0.
  EXPECT_EQ(text.find("stackyard_container_memory_bytes" + db), std::string::npos);
  EXPECT_NE(text.find("stackyard_deployment_status{project=\"shop\",deployment=\"prod\","
                      "colour=\"green\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("stackyard_deployment_status{project=\"shop\",deployment=\"prod\","
                      "colour=\"red\"} 0\n"),
            std::string::npos);
  EXPECT_NE(text.find("stackyard_volume_bytes{project=\"shop\",deployment=\"prod\","
                      "component=\"db\",volume=\"data\"} 8192\n"),
            std::string::npos);
  EXPECT_NE(text.find("stackyard_deployment_cpu_limit_cores{project=\"shop\",deployment=\"prod\"} "
                      "0.5\n"),
            std::string::npos);
}

}  // namespace
}  // namespace yard::deployments

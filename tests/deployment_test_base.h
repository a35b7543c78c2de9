#pragma once

// The fixture of tests that run deployments on the real Podman engine through the CLI: a
// project made from a stack in the source tree, helpers to drive `yard` and to look at the
// engine, and a TearDown that removes every deployment, container and network the test made,
// even when it failed.

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include <fmt/core.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "git/test_repo.h"
#include "http/client.h"
#include "server_test_base.h"

namespace yard {

using Json = nlohmann::json;
using namespace std::chrono_literals;
using testing::RunTool;
using testing::RunYardFor;

inline constexpr auto kWait = 20min;  // a cold build of the stack's images included

class DeploymentTestBase : public ServerTestBase {
 protected:
  /// Starts the server and creates project `project` from a Git repository holding a copy of
  /// the directory `stack` (relative to the source tree), committed on main.
  void SetUpProject(const std::string& project, const std::string& stack) {
    installation_ = MUST(fs::ReadFile(server_->data_dir() + "/installation.id"));
    installation_.erase(installation_.find_last_not_of("\n") + 1);
    project_ = project;
    source_ = sources_.path() + "/" + project;
    std::filesystem::copy(std::string(YARD_SOURCE_DIR) + "/" + stack, source_,
                          std::filesystem::copy_options::recursive);
    git::testing::InitSource(source_);
    git::testing::CommitAll(source_, "the stack", 1'700'000'000);
    Yard({"projects", "create", project, "--from", source_});
  }

  void TearDown() override {
    if (installation_.empty()) {
      ServerTestBase::TearDown();
      return;
    }
    // Deployments outlive the server by design: remove what this test made, by label.
    if (server_ && server_->Running()) {
      // Every project's: tests make projects of their own besides project_.
      std::vector<std::string> projects = {project_};
      auto all = RunYardFor(30s, AsAdmin({"projects", "list", "--json"}));
      Json listed_projects = Json::parse(all.stdout_data, nullptr, false);
      if (all.exit_code == 0 && listed_projects.contains("projects")) {
        for (const Json& p : listed_projects["projects"]) {
          std::string name = p.value("name", "");
          if (!name.empty() && name != project_) projects.push_back(name);
        }
      }
      for (const std::string& project : projects) {
        auto listed = RunYardFor(30s, AsAdmin({"deployments", "list", project, "--json"}));
        if (listed.exit_code != 0) continue;
        Json deployments = Json::parse(listed.stdout_data, nullptr, false);
        if (deployments.is_discarded()) continue;
        for (const Json& d : deployments["deployments"]) {
          RunYardFor(2min, AsAdmin({"deployments", "delete",
                                    project + "/" + d["name"].get<std::string>(), "--yes",
                                    "--wait"}));
        }
      }
    }
    ServerTestBase::TearDown();
    // A create or start the stopped server had in flight may still complete in the engine
    // after a first pass: remove until a pass finds nothing left (a few seconds at most).
    std::string filter = "label=io.stackyard.installation=" + installation_;
    for (int pass = 0; pass < 5; ++pass) {
      if (pass > 0) std::this_thread::sleep_for(1s);
      bool found = false;
      for (const std::string& id : Lines(Podman({"ps", "-aq", "--filter", filter}))) {
        Podman({"rm", "-f", "-t", "1", id});
        found = true;
      }
      for (const std::string& id : Lines(Podman({"network", "ls", "-q", "--filter", filter}))) {
        Podman({"network", "rm", "-f", id});
        found = true;
      }
      if (!found && pass > 0) break;
    }
  }

  // Runs `yard ARGS --json` as the admin; the test fails unless it exits 0.
  Json Yard(std::vector<std::string> args, std::chrono::milliseconds timeout = kWait) {
    args.push_back("--json");
    ProcessResult result = RunYardFor(timeout, AsAdmin(args));
    EXPECT_EQ(result.exit_code, 0) << fmt::format("yard {}\n", fmt::join(args, " "))
                                   << result.stderr_data << "\nserver log:\n" << server_->log();
    Json json = Json::parse(result.stdout_data, nullptr, false);
    return json.is_discarded() ? Json() : json;
  }

  std::string Podman(std::vector<std::string> args) {
    // Podman needs these settings here (see docs/deployments.md); the file outlives the
    // server, so cleanup works after any failure.
    std::string conf = sources_.path() + "/containers.conf";
    if (!fs::Exists(conf)) {
      MUST(fs::AtomicWriteFile(conf,
                               "[containers]\n"
                               "default_ulimits = [\"nofile=8192:8192\", \"nproc=4096:4096\"]\n"
                               "[engine]\nruntime = \"runc\"\ncgroup_manager = \"cgroupfs\"\n"));
    }
    std::vector<std::string> argv = {"env", "CONTAINERS_CONF=" + conf, "podman"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunTool(argv).stdout_data;
  }

  static std::vector<std::string> Lines(const std::string& text) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      if (end > start) out.push_back(text.substr(start, end - start));
      start = end + 1;
    }
    return out;
  }

  // The published address of the web component: "127.0.0.1:PORT".
  static std::string WebAddress(const Json& d) {
    for (const Json& service : d["status"]["services"]) {
      if (service["id"] == "web" && service["address"].is_string()) return service["address"];
    }
    return "";
  }

  static Result<http::Response> Http(const std::string& address, const std::string& method,
                                     const std::string& path, const std::string& body = "") {
    auto endpoint = MUST(http::Endpoint::Parse("http://" + address));
    http::Client client(endpoint);
    return client.Send({.method = method,
                        .target = path,
                        .body = body,
                        .content_type = "application/x-www-form-urlencoded"},
                       10s);
  }

  // GET / until `want` appears in the page, for at most `timeout`; returns the last page.
  static std::string PageWith(const std::string& address, const std::string& want,
                              std::chrono::seconds timeout = 60s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string page;
    while (std::chrono::steady_clock::now() < deadline) {
      auto response = Http(address, "GET", "/");
      if (response && response->status == 200) {
        page = response->body;
        if (page.find(want) != std::string::npos) return page;
      }
      std::this_thread::sleep_for(200ms);
    }
    return page;
  }

  // Running containers of `service` (in any deployment of this test's server).
  std::vector<std::string> ContainersOf(const std::string& service) {
    std::vector<std::string> out;
    // One label filter only: Podman 4.3 does not combine several.
    for (const std::string& line :
         Lines(Podman({"ps", "--filter", "label=io.stackyard.installation=" + installation_,
                       "--format", "{{.ID}} {{index .Labels \"io.stackyard.component\"}}"}))) {
      size_t space = line.find(' ');
      if (space != std::string::npos && line.substr(space + 1) == service) {
        out.push_back(line.substr(0, space));
      }
    }
    return out;
  }

  // Restarts the server on the same data dir. The old harness object owns the data dir's
  // temporary parent, so it is kept until the test ends.
  void RestartServer(bool kill) {
    std::string data_dir = server_->data_dir();
    if (kill) {
      server_->Signal(SIGKILL);
      ASSERT_TRUE(server_->Wait(10s));
    } else {
      server_->Stop();
    }
    auto restarted = testing::YardServer::Start({.extra_args = ExtraArgs(), .data_dir = data_dir});
    ASSERT_TRUE(restarted) << restarted.error().message;
    retired_.push_back(std::move(server_));
    server_ = std::move(*restarted);
  }

  std::vector<std::unique_ptr<testing::YardServer>> retired_;
  testing::TempDir sources_;
  std::string source_;
  std::string project_;
  std::string installation_;
};

}  // namespace yard

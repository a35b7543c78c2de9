#pragma once

// The fixture of tests on the stack of tests/testdata/edge-site (component `web`, a Perl
// server answering "version N", endpoint `app`): HTTPS through the edge, new versions
// shipped by committing a Dockerfile to the mirrored source and refreshing the project (a
// push, as the server sees it), and a client that sends requests without a pause and counts
// what comes back.

#include <atomic>
#include <ctime>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include <fmt/chrono.h>

#include "deployment_test_base.h"
#include "https_client.h"

namespace yard {

using testing::HttpsGet;
using testing::HttpsTarget;

class EdgeSiteTest : public DeploymentTestBase {
 protected:
  void SetUp() override {
    DeploymentTestBase::SetUp();
    if (HasFatalFailure()) return;
    SetUpProject("site", "tests/testdata/edge-site");
  }

  HttpsTarget Target(const std::string& host) {
    return {.host = host, .port = server_->https_port(), .ca_file = server_->ca_path()};
  }

  // The generated hostname of endpoint `app`, from `show`.
  static std::string AppHost(const Json& d) {
    if (!d.contains("endpoints") || d["endpoints"].empty()) return "";
    return d["endpoints"][0]["hosts"][0]["name"];
  }

  // GET https://HOST/PATH until the body contains `want` (bounded, not a timing check).
  std::string BodyWith(const HttpsTarget& target, const std::string& path, const std::string& want,
                       std::chrono::seconds limit = 60s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    std::string last;
    while (std::chrono::steady_clock::now() < deadline) {
      auto response = HttpsGet(target, path);
      last = response ? response->body : response.error().message;
      if (response && last.find(want) != std::string::npos) return last;
      std::this_thread::sleep_for(250ms);
    }
    return last;
  }

  // For a failed expectation about requests through the edge: the server's log, then the
  // lines of Caddy's log that report an error (what Caddy saw go wrong, and when). Printed
  // before the loop's report, which should be the last thing a reader sees.
  std::string EdgeLogs() {
    std::string caddy_errors;
    for (const std::string& line : Lines(fs::ReadFile(server_->data_dir() + "/edge/caddy.log")
                                             .value_or(""))) {
      if (line.find("\"error\"") != std::string::npos) caddy_errors += line + "\n";
    }
    return "server log:\n" + server_->log() + "\nCaddy's errors:\n" + caddy_errors;
  }

  // Commits `dockerfile` as web/Dockerfile on `branch` of the source and refreshes the
  // project: the server fetches it, and deployments following the branch deploy it.
  void ShipDockerfile(const std::string& dockerfile, int64_t when,
                      const std::string& branch = "main") {
    git::testing::Git(source_, {"checkout", "-q", "-B", branch});
    git::testing::WriteFile(source_, "web/Dockerfile", dockerfile);
    git::testing::CommitAll(source_, "version at " + std::to_string(when), when);
    git::testing::Git(source_, {"checkout", "-q", "main"});
    Yard({"projects", "refresh", project_});
  }

  // The server of version `version`; `extra` goes before CMD (a slow or failing step).
  static std::string Dockerfile(const std::string& version, bool healthy,
                                const std::string& extra = "") {
    return fmt::format(
        "FROM docker.io/library/debian:bookworm-slim\nCOPY server.pl /server.pl\n{}"
        "ENV VERSION={} HEALTHY={}\nCMD [\"perl\", \"/server.pl\"]\n",
        extra, version, healthy ? "yes" : "no");
  }

  // Sends GET / without a pause, one connection each, from construction to Stop (or
  // destruction), recording every failure with when it happened.
  class RequestLoop {
   public:
    explicit RequestLoop(HttpsTarget target)
        : target_(std::move(target)), started_utc_(std::time(nullptr)), thread_([this] { Run(); }) {}
    ~RequestLoop() { Stop(); }
    void Stop() {
      stop_ = true;
      if (thread_.joinable()) thread_.join();
    }
    int Seen(const std::string& body) {
      std::lock_guard lock(mutex_);
      return bodies_[body];
    }
    int sent() const { return sent_; }
    std::vector<std::string> failures() {
      std::lock_guard lock(mutex_);
      return failures_;
    }
    // One line for a failed expectation.
    std::string Report() {
      std::lock_guard lock(mutex_);
      return fmt::format("{} of {} requests failed; the client started at {:%H:%M:%S} UTC{}{}",
                         failures_.size(), sent_.load(), fmt::gmtime(started_utc_),
                         failures_.empty() ? "" : "; first: ",
                         failures_.empty() ? "" : failures_.front());
    }
    // Waits (bounded) until `body` has been seen `count` more times than now.
    bool WaitForMore(const std::string& body, int count, std::chrono::seconds limit = 60s) {
      int before = Seen(body);
      auto deadline = std::chrono::steady_clock::now() + limit;
      while (std::chrono::steady_clock::now() < deadline) {
        if (Seen(body) >= before + count) return true;
        std::this_thread::sleep_for(100ms);
      }
      return false;
    }

   private:
    void Run() {
      auto since_start = [&] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - started_)
            .count();
      };
      // A failure's wall-clock time, to find it in the server's and Caddy's logs.
      auto utc_now = [] {
        return fmt::format("{:%H:%M:%S} UTC", std::chrono::system_clock::now());
      };
      while (!stop_) {
        auto sent_at = since_start();
        std::string sent_utc = utc_now();
        auto response = HttpsGet(target_, "/");
        ++sent_;
        std::lock_guard lock(mutex_);
        if (!response) {
          failures_.push_back(fmt::format("sent at {} ({} ms after the start), failed at {} ms: {}",
                                          sent_utc, sent_at, since_start(),
                                          response.error().message));
        } else if (response->status != 200) {
          failures_.push_back(fmt::format("sent at {} ({} ms after the start), answered at {} "
                                          "ms: HTTP {}: {}",
                                          sent_utc, sent_at, since_start(), response->status,
                                          response->body));
        } else {
          ++bodies_[response->body];
        }
      }
    }

    HttpsTarget target_;
    std::time_t started_utc_;
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
    std::atomic<bool> stop_ = false;
    std::atomic<int> sent_ = 0;
    std::mutex mutex_;
    std::vector<std::string> failures_;       // guarded by mutex_
    std::map<std::string, int> bodies_;       // guarded by mutex_
    std::thread thread_;                      // last: starts after the members it uses
  };
};

}  // namespace yard

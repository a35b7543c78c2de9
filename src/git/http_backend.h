#pragma once

// Git's smart HTTP protocol, served by git's own CGI program (`git http-backend`): the
// advertisement (GET info/refs?service=…) and the two RPCs (POST git-upload-pack and
// git-receive-pack) of one bare repository. The caller authenticates and authorises; this runs
// the program under the hardened git environment (git_command.h) and turns its CGI answer into
// a status, headers and body.
//
// Request and response bodies are held in memory, bounded by the caller's HTTP server (the
// request) and by `max_response_bytes` (the response).

#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"

namespace yard::git {

struct HttpBackendRequest {
  std::string method;        // GET or POST
  std::string service_path;  // "/info/refs", "/git-upload-pack" or "/git-receive-pack"
  std::string query;         // the raw query string ("service=git-upload-pack")
  std::string content_type;
  std::string content_encoding;  // "gzip" when the client compressed the body
  std::string git_protocol;      // the Git-Protocol header ("version=2"), or empty
  std::string body;
  std::string remote_user;  // who is pushing, for git's reflog
  std::string remote_addr;
};

struct HttpBackendOptions {
  /// Extra `-c NAME=VALUE` settings for git (core.hooksPath for receive-pack).
  std::vector<std::string> config;
  /// Extra environment for git and the hooks it runs.
  std::map<std::string, std::string> env;
  std::chrono::milliseconds timeout{600'000};
  size_t max_response_bytes = 512 * 1024 * 1024;
};

struct HttpBackendResponse {
  int status = 200;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

/// Which of the three smart-HTTP requests `service_path` names; false for anything else (the
/// dumb protocol's file paths are not served).
bool IsSmartHttpPath(const std::string& method, const std::string& service_path,
                     const std::string& query);

/// Whether the request pushes: the receive-pack advertisement or RPC.
bool IsReceivePack(const std::string& service_path, const std::string& query);

/// Runs `git http-backend` for `request` on the bare repository `repo_path`. Errors: kNotFound
/// when git is not installed; kIo; kInternal when git answers with something that is not CGI.
Result<HttpBackendResponse> RunHttpBackend(const std::string& repo_path,
                                           const HttpBackendRequest& request,
                                           const HttpBackendOptions& options);

/// Splits a CGI answer into status, headers and body ("Status: 403 Forbidden" sets the
/// status; a missing Status header means 200). Exposed for tests.
Result<HttpBackendResponse> ParseCgiResponse(std::string output);

}  // namespace yard::git

#include "git/http_backend.h"

#include <fmt/core.h>

#include <charconv>

#include "base/process.h"
#include "git/git_command.h"

namespace yard::git {
namespace {

bool IsService(const std::string& query, std::string_view service) {
  return query == fmt::format("service={}", service);
}

// Header names compared without case, as CGI allows.
bool SameName(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

}  // namespace

bool IsSmartHttpPath(const std::string& method, const std::string& service_path,
                     const std::string& query) {
  if (method == "GET" && service_path == "/info/refs") {
    return IsService(query, "git-upload-pack") || IsService(query, "git-receive-pack");
  }
  return method == "POST" &&
         (service_path == "/git-upload-pack" || service_path == "/git-receive-pack");
}

bool IsReceivePack(const std::string& service_path, const std::string& query) {
  return service_path == "/git-receive-pack" ||
         (service_path == "/info/refs" && IsService(query, "git-receive-pack"));
}

Result<HttpBackendResponse> ParseCgiResponse(std::string output) {
  size_t end = output.find("\r\n\r\n");
  size_t body_start = end == std::string::npos ? std::string::npos : end + 4;
  if (end == std::string::npos) {
    end = output.find("\n\n");
    if (end == std::string::npos) {
      return Unexpected(ErrorCode::kInternal, "git http-backend answered without a header");
    }
    body_start = end + 2;
  }
  HttpBackendResponse response;
  std::string_view header(output.data(), end);
  while (!header.empty()) {
    size_t newline = header.find('\n');
    std::string_view line = Trim(header.substr(0, newline));
    header = newline == std::string_view::npos ? std::string_view() : header.substr(newline + 1);
    if (line.empty()) continue;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      return Unexpected(ErrorCode::kInternal,
                        fmt::format("git http-backend sent a malformed header line '{}'", line));
    }
    std::string_view name = Trim(line.substr(0, colon));
    std::string_view value = Trim(line.substr(colon + 1));
    if (SameName(name, "Status")) {
      int status = 0;
      auto [ptr, error] = std::from_chars(value.data(), value.data() + value.size(), status);
      if (error != std::errc() || status < 100 || status > 599) {
        return Unexpected(ErrorCode::kInternal,
                          fmt::format("git http-backend sent a bad status '{}'", value));
      }
      response.status = status;
    } else if (SameName(name, "Content-Type")) {
      response.content_type = std::string(value);
    } else {
      response.headers.emplace_back(std::string(name), std::string(value));
    }
  }
  response.body = output.substr(body_start);
  return response;
}

Result<HttpBackendResponse> RunHttpBackend(const std::string& repo_path,
                                           const HttpBackendRequest& request,
                                           const HttpBackendOptions& options) {
  GitInvocation invocation;
  for (const std::string& setting : options.config) {
    invocation.args.push_back("-c");
    invocation.args.push_back(setting);
  }
  invocation.args.push_back("http-backend");

  ProcessOptions process;
  process.argv = GitArgv(invocation);
  process.env = GitEnvironment();
  process.clear_env = true;
  for (const auto& [name, value] : options.env) process.env[name] = value;
  // The repository is the project root itself: PATH_INFO is only the service's path, so no
  // part of a URL ever chooses which directory git opens.
  process.env["GIT_PROJECT_ROOT"] = repo_path;
  process.env["GIT_HTTP_EXPORT_ALL"] = "1";
  process.env["GATEWAY_INTERFACE"] = "CGI/1.1";
  process.env["REQUEST_METHOD"] = request.method;
  process.env["PATH_INFO"] = request.service_path;
  process.env["QUERY_STRING"] = request.query;
  process.env["REMOTE_USER"] = request.remote_user;
  process.env["REMOTE_ADDR"] = request.remote_addr;
  if (!request.git_protocol.empty()) process.env["GIT_PROTOCOL"] = request.git_protocol;
  if (request.method == "POST") {
    process.env["CONTENT_TYPE"] = request.content_type;
    process.env["CONTENT_LENGTH"] = std::to_string(request.body.size());
    if (!request.content_encoding.empty()) {
      process.env["HTTP_CONTENT_ENCODING"] = request.content_encoding;
    }
  }
  process.stdin_data = request.body;
  process.timeout = options.timeout;
  process.max_output_bytes = options.max_response_bytes;
  auto result = RunProcess(process);
  if (!result) {
    if (result.error().code == ErrorCode::kNotFound) {
      return Unexpected(ErrorCode::kNotFound,
                        "cannot run git: it is not installed or not in PATH (apt-get install git)");
    }
    return Unexpected(result.error());
  }
  if (result->timed_out) {
    return Unexpected(ErrorCode::kTimeout,
                      fmt::format("git http-backend did not finish within {} s",
                                  options.timeout.count() / 1000));
  }
  if (result->output_truncated) {
    return Unexpected(ErrorCode::kTooLarge,
                      fmt::format("git's answer is larger than {} MiB",
                                  options.max_response_bytes >> 20));
  }
  auto response = ParseCgiResponse(std::move(result->stdout_data));
  if (!response) {
    std::string summary = SummarizeStderr(result->stderr_data);
    return Unexpected(ErrorCode::kInternal,
                      summary.empty() ? response.error().message
                                      : fmt::format("git http-backend: {}", summary));
  }
  return response;
}

}  // namespace yard::git

#include <arpa/inet.h>

#include <fmt/core.h>

#include "base/log.h"
#include "cli/command.h"
#include "server/server.h"

namespace yard::cli {
namespace {

struct ServerFlags {
  std::string data_dir;
  std::string api = "127.0.0.1:8420";
  std::string log_level = "info";
  int request_timeout_seconds = 15;
  int refresh_interval_seconds = 300;
  int api_threads = 4;
  std::string engine;
  std::string domain = "localhost";
};

// "HOST:PORT" or "[V6]:PORT"; port 0 picks a free port.
Status ParseListen(const std::string& text, std::string& host, uint16_t& port) {
  size_t colon = text.rfind(':');
  auto invalid = Unexpected(ErrorCode::kUsage,
                            fmt::format("invalid --api '{}': expected HOST:PORT, such as "
                                        "127.0.0.1:8420 (port 0 picks a free one)",
                                        text));
  if (colon == std::string::npos || colon == 0) return invalid;
  host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  // Checked here, before the data dir is touched: a listen address is an IP address.
  unsigned char address[sizeof(in6_addr)];
  if (::inet_pton(AF_INET, host.c_str(), address) != 1 &&
      ::inet_pton(AF_INET6, host.c_str(), address) != 1) {
    return invalid;
  }
  std::string port_text = text.substr(colon + 1);
  if (port_text.empty() || port_text.size() > 5 ||
      port_text.find_first_not_of("0123456789") != std::string::npos) {
    return invalid;
  }
  int value = std::stoi(port_text);
  if (value > 65535) return invalid;
  port = static_cast<uint16_t>(value);
  return Ok();
}

Status Run(const ServerFlags& flags) {
  auto level = log::ParseLevel(flags.log_level);
  if (!level) return Unexpected(ErrorCode::kUsage, level.error().message);
  log::SetLevel(*level);
  server::ServerOptions options;
  options.data_dir = flags.data_dir.empty() ? server::DefaultDataDir() : flags.data_dir;
  TRY(ParseListen(flags.api, options.api_host, options.api_port));
  options.request_timeout = std::chrono::seconds(flags.request_timeout_seconds);
  options.refresh_interval = std::chrono::seconds(flags.refresh_interval_seconds);
  options.api_threads = static_cast<size_t>(flags.api_threads);
  if (!flags.engine.empty() && !flags.engine.starts_with("unix://")) {
    return Unexpected(ErrorCode::kUsage,
                      fmt::format("invalid --engine '{}': expected unix:///path/to/engine.sock",
                                  flags.engine));
  }
  options.engine = flags.engine;
  options.domain = flags.domain;
  return server::RunServer(options);
}

}  // namespace

void AddServerCommand(CLI::App& app, Invocation& invocation) {
  auto flags = std::make_shared<ServerFlags>();
  auto* command = app.add_subcommand("server", "Run the Stackyard server (until SIGTERM or SIGINT)");
  command->footer(
      "On first start the server creates the user 'admin' and writes its API token to\n"
      "DATA_DIR/admin.token (mode 0600). Once ready it writes DATA_DIR/server.json with the\n"
      "API URL. One server per data dir: a second one refuses to start.");
  command->add_option("--data-dir", flags->data_dir,
                      "Where state lives (default: /var/lib/stackyard as root, else "
                      "~/.local/share/stackyard)");
  command->add_option("--api", flags->api, "Address for the HTTP API, HOST:PORT")
      ->capture_default_str();
  command->add_option("--log-level", flags->log_level, "trace, debug, info, warn, error or off")
      ->capture_default_str();
  command->add_option("--request-timeout", flags->request_timeout_seconds,
                      "Seconds a client may take to send one request; slower ones are "
                      "disconnected")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  command->add_option("--api-threads", flags->api_threads,
                      "Threads that run API requests, so a slow one (creating a project clones "
                      "it) never holds up the rest; 0 runs them on the I/O thread")
      ->capture_default_str()
      ->check(CLI::Range(0, 64));
  command->add_option("--refresh-interval", flags->refresh_interval_seconds,
                      "Seconds between fetches of mirrored projects from their source (0: never)")
      ->capture_default_str()
      ->check(CLI::Range(0, 7 * 24 * 3600));
  command->add_option("--engine", flags->engine,
                      "A container engine's API socket to use, e.g. unix:///run/docker.sock "
                      "(default: the server starts its own podman service under DATA_DIR/engine "
                      "when a deployment first needs it)");
  command->add_option("--domain", flags->domain,
                      "Base domain of deployments' public URLs")
      ->capture_default_str();
  command->callback([&invocation, flags] { invocation.status = Run(*flags); });
}

}  // namespace yard::cli

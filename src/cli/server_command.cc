#include <arpa/inet.h>
#include <unistd.h>

#include <fmt/core.h>

#include <algorithm>

#include "base/log.h"
#include "cli/command.h"
#include "deployments/deployment_service.h"
#include "manifest/durations.h"
#include "server/server.h"

namespace yard::cli {
namespace {

// What the flags set directly lives in `options`, whose defaults are the flags' defaults;
// the rest is parsed or converted by Run.
struct ServerFlags {
  server::ServerOptions options;
  std::string data_dir;
  std::string api = "127.0.0.1:8420";
  std::string ssh = "127.0.0.1:2222";
  std::string ssh_advertise;
  std::string log_level = "info";
  int request_timeout_seconds = 15;
  int refresh_interval_seconds = 300;
  int api_threads = 4;
  int proxy_timeout_seconds = static_cast<int>(options.proxy_timeout.count());
  int max_body_mib = static_cast<int>(options.max_body_bytes >> 20);
  int drain_seconds = static_cast<int>(options.drain.count());
  int build_concurrency = 1;
  std::string build_cpus = "auto";
  std::string build_memory = "auto";
  int build_timeout_minutes = 30;
  int keep_releases = 10;
  int dev_git_port = 8418;
  std::string trash_retention = "7d";
  std::string session_lifetime = "7d";
  std::string resource_sample_interval = "30s";
};

// Build limits by default leave the running deployments a CPU and half the memory.
Status ParseBuildLimits(const ServerFlags& flags, server::ServerOptions& options) {
  long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  if (flags.build_cpus == "auto") {
    options.build_cpus = cpus > 1 ? static_cast<double>(cpus - 1) : 0;
  } else if (flags.build_cpus != "none") {
    int64_t millis = TRY_CTX(deployments::ParseCpus(flags.build_cpus), "--build-cpus");
    options.build_cpus = static_cast<double>(millis) / 1000;
  }
  if (flags.build_memory == "auto") {
    long pages = ::sysconf(_SC_PHYS_PAGES);
    long page_size = ::sysconf(_SC_PAGE_SIZE);
    if (pages > 0 && page_size > 0) {
      options.build_memory_bytes = static_cast<int64_t>(pages) * page_size / 2;
    }
  } else if (flags.build_memory != "none") {
    options.build_memory_bytes =
        TRY_CTX(deployments::ParseMemory(flags.build_memory), "--build-memory");
  }
  options.build_concurrency = flags.build_concurrency;
  options.build_timeout = std::chrono::minutes(flags.build_timeout_minutes);
  options.keep_releases = flags.keep_releases;
  options.dev_git_port = flags.dev_git_port;
  return Ok();
}

// "HOST:PORT" or "[V6]:PORT" for `flag`; port 0 picks a free port.
Status ParseListen(std::string_view flag, const std::string& text, std::string& host,
                   uint16_t& port, std::string_view example) {
  size_t colon = text.rfind(':');
  auto invalid = Unexpected(ErrorCode::kUsage,
                            fmt::format("invalid {} '{}': expected HOST:PORT, such as "
                                        "{} (port 0 picks a free one)",
                                        flag, text, example));
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

// "HOST" or "HOST:PORT" (a name or an IP address; "[V6]:PORT").
Status ParseAdvertised(const std::string& text, std::string& host, int& port) {
  if (text.empty()) return Ok();
  auto invalid = Unexpected(ErrorCode::kUsage,
                            fmt::format("invalid --ssh-advertise '{}': expected HOST or "
                                        "HOST:PORT, such as ssh.example.com:2222",
                                        text));
  host = text;
  size_t colon = text.rfind(':');
  if (text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string::npos) return invalid;
    host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return invalid;
      colon = close + 1;
    } else {
      colon = std::string::npos;
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    host = text.substr(0, colon);
  } else {
    colon = std::string::npos;  // a bare IPv6 address, or no port
  }
  if (colon != std::string::npos) {
    std::string port_text = text.substr(colon + 1);
    if (port_text.empty() || port_text.size() > 5 ||
        port_text.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(port_text) < 1 || std::stoi(port_text) > 65535) {
      return invalid;
    }
    port = std::stoi(port_text);
  }
  if (host.empty() || host.find_first_of(" \t/@") != std::string::npos) return invalid;
  return Ok();
}

Status Run(const ServerFlags& flags) {
  auto level = log::ParseLevel(flags.log_level);
  if (!level) return Unexpected(ErrorCode::kUsage, level.error().message);
  log::SetLevel(*level);
  server::ServerOptions options = flags.options;
  options.data_dir = flags.data_dir.empty() ? server::DefaultDataDir() : flags.data_dir;
  TRY(ParseListen("--api", flags.api, options.api_host, options.api_port, "127.0.0.1:8420"));
  options.ssh_enabled = flags.ssh != "off";
  if (options.ssh_enabled) {
    TRY(ParseListen("--ssh", flags.ssh, options.ssh_host, options.ssh_port, "0.0.0.0:2222"));
  }
  TRY(ParseAdvertised(flags.ssh_advertise, options.ssh_advertise_host,
                      options.ssh_advertise_port));
  options.request_timeout = std::chrono::seconds(flags.request_timeout_seconds);
  options.refresh_interval = std::chrono::seconds(flags.refresh_interval_seconds);
  options.api_threads = static_cast<size_t>(flags.api_threads);
  if (!options.engine.empty() && !options.engine.starts_with("unix://")) {
    return Unexpected(ErrorCode::kUsage,
                      fmt::format("invalid --engine '{}': expected unix:///path/to/engine.sock",
                                  options.engine));
  }
  if (options.http_port == options.https_port) {
    return Unexpected(ErrorCode::kUsage, "--http-port and --https-port must differ");
  }
  options.internal_ca |= options.domain == "localhost";
  options.proxy_timeout = std::chrono::seconds(flags.proxy_timeout_seconds);
  options.max_body_bytes = static_cast<int64_t>(flags.max_body_mib) << 20;
  options.drain = std::chrono::seconds(flags.drain_seconds);
  TRY(ParseBuildLimits(flags, options));
  std::optional<int64_t> retention = manifest::ParseDuration(flags.trash_retention);
  if (!retention || *retention <= 0) {
    return Unexpected(ErrorCode::kUsage,
                      fmt::format("invalid --trash-retention '{}': expected a duration such as "
                                  "7d, 12h or 30s (at most 365d)",
                                  flags.trash_retention));
  }
  options.trash_retention = std::chrono::seconds(*retention);
  std::optional<int64_t> session_lifetime = manifest::ParseDuration(flags.session_lifetime);
  if (!session_lifetime || *session_lifetime < 60) {
    return Unexpected(ErrorCode::kUsage,
                      fmt::format("invalid --session-lifetime '{}': expected a duration from 1m "
                                  "to 365d, such as 7d or 12h",
                                  flags.session_lifetime));
  }
  options.session_lifetime = std::chrono::seconds(*session_lifetime);
  std::optional<int64_t> sample_interval =
      manifest::ParseDuration(flags.resource_sample_interval);
  if (!sample_interval || *sample_interval < 1 || *sample_interval > 3600) {
    return Unexpected(ErrorCode::kUsage,
                      fmt::format("invalid --resource-sample-interval '{}': expected a duration "
                                  "from 1s to 1h, such as 30s or 1m",
                                  flags.resource_sample_interval));
  }
  options.resource_sample_interval = std::chrono::seconds(*sample_interval);
  return server::RunServer(options);
}

}  // namespace

void AddServerCommand(CLI::App& app, Invocation& invocation) {
  auto flags = std::make_shared<ServerFlags>();
  auto* command = app.add_subcommand("server", "Run the Stackyard server (until SIGTERM or SIGINT)");
  command->footer(
      "On first start the server creates the user 'admin' and writes its API token to\n"
      "DATA_DIR/admin.token (mode 0600). Once ready it writes DATA_DIR/server.json with the\n"
      "API URL. One server per data dir: a second one refuses to start.\n\n"
      "The edge (Caddy) serves every deployment endpoint at https://ENDPOINT-DEPLOYMENT-PROJECT.DOMAIN\n"
      "on --https-port, and redirects --http-port to it. Under the default domain, localhost,\n"
      "those names resolve to this machine everywhere, and certificates come from the server's\n"
      "own CA, whose root is DATA_DIR/ca.pem (curl --cacert DATA_DIR/ca.pem). Under a public\n"
      "domain, point a wildcard DNS record *.DOMAIN at this machine; certificates then come\n"
      "from ACME (Let's Encrypt unless --acme-directory says otherwise).");
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
  command->add_option("--engine", flags->options.engine,
                      "A container engine's API socket to use, e.g. unix:///run/docker.sock "
                      "(default: the server starts its own podman service under DATA_DIR/engine "
                      "when a deployment first needs it)");
  command->add_option("--domain", flags->options.domain,
                      "Base domain of deployments' public URLs")
      ->capture_default_str();
  command->add_option("--http-port", flags->options.http_port,
                      "Port of the edge's plain HTTP listener, which redirects to HTTPS")
      ->capture_default_str()
      ->check(CLI::Range(1, 65535));
  command->add_option("--https-port", flags->options.https_port,
                      "Port of the edge's HTTPS listener, where every deployment's endpoints are "
                      "served")
      ->capture_default_str()
      ->check(CLI::Range(1, 65535));
  command->add_option("--acme-directory", flags->options.acme_directory,
                      "ACME directory URL for certificates of public names (custom domains, and "
                      "generated hostnames under a public --domain)")
      ->capture_default_str();
  command->add_option("--acme-email", flags->options.acme_email,
                      "Contact address given to the ACME CA (expiry notices)");
  command->add_option("--acme-ca-root", flags->options.acme_roots,
                      "PEM file of a root to trust for the ACME server's own HTTPS (a private "
                      "ACME server); may be repeated");
  command->add_flag("--internal-ca", flags->options.internal_ca,
                    "Certify generated hostnames with the server's own CA (DATA_DIR/ca.pem) "
                    "even under a public --domain; always so for localhost");
  command->add_option("--proxy-timeout", flags->proxy_timeout_seconds,
                      "Seconds the edge waits for a deployment's response headers before "
                      "answering 504 (streams and WebSockets may then stay open)")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  command->add_option("--max-body", flags->max_body_mib,
                      "Largest request body the edge passes on, in MiB (larger ones get 413)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20));
  command->add_option("--ssh", flags->ssh,
                      "Address of the SSH gateway, HOST:PORT (0.0.0.0:2222 to accept other "
                      "machines), or off")
      ->capture_default_str();
  command->add_option("--ssh-advertise", flags->ssh_advertise,
                      "HOST[:PORT] that SSH commands and URLs shown to users name (default: "
                      "--domain, or localhost, with the gateway's port)");
  command->add_option("--drain", flags->drain_seconds,
                      "Seconds a rolled-out component's previous version keeps running after "
                      "traffic has switched to the new one, so that its requests finish")
      ->capture_default_str()
      ->check(CLI::Range(0, 3600));
  command->add_option("--build-concurrency", flags->build_concurrency,
                      "How many builds run at once; the others wait in the queue")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  command->add_option("--build-cpus", flags->build_cpus,
                      "CPUs each build may use, such as 1.5, or none (auto: all but one, so "
                      "that running deployments keep one)")
      ->capture_default_str();
  command->add_option("--build-memory", flags->build_memory,
                      "Memory each build may use, such as 2g, or none (auto: half the "
                      "machine's); a step that needs more fails")
      ->capture_default_str();
  command->add_option("--build-timeout", flags->build_timeout_minutes,
                      "Minutes after which a build is stopped and fails")
      ->capture_default_str()
      ->check(CLI::Range(1, 24 * 60));
  command->add_option("--keep-releases", flags->keep_releases,
                      "Releases per deployment whose images are kept (for rollback); older "
                      "images Stackyard built are pruned")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  command->add_option("--dev-git-port", flags->dev_git_port,
                      "Port on which development deployments' containers reach their "
                      "project's Git (git pull/push inside them), served on the host's "
                      "address on each deployment's network only; 0 turns it off")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  command->add_option("--trash-retention", flags->trash_retention,
                      "How long a deleted deployment's volumes stay in DATA_DIR/trash, "
                      "restorable with `yard trash restore`, before they are removed: 7d, 12h, "
                      "30s")
      ->capture_default_str();
  command->add_option("--session-lifetime", flags->session_lifetime,
                      "How long a dashboard sign-in lasts before the browser must sign in "
                      "again: 7d, 12h, 30m")
      ->capture_default_str();
  command->add_option("--resource-sample-interval", flags->resource_sample_interval,
                      "How often each running component's CPU, memory and disk are sampled for "
                      "their history (`yard resources`, the dashboard's graphs; kept 25 hours): "
                      "1s to 1h, e.g. 30s or 1m")
      ->capture_default_str();
  command->add_option("--web-dir", flags->options.web_dir,
                      "Serve the dashboard from this folder (a checkout's web/), read on each "
                      "request, instead of the copy built into yard: for working on the page "
                      "without rebuilding");
  command->callback([&invocation, flags] { invocation.status = Run(*flags); });
}

}  // namespace yard::cli

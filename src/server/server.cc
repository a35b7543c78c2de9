#include "server/server.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <cstdlib>
#include <optional>

#include <nlohmann/json.hpp>

#include "api/api.h"
#include "controller/controller.h"
#include "deployments/clone.h"
#include "deployments/deployment_service.h"
#include "edge/caddy_proxy.h"
#include "edge/edge.h"
#include "manifest/env_resolver.h"
#include "runtime/lazy_engine.h"
#include "store/deployments.h"
#include "store/domains.h"
#include "api/router.h"
#include "auth/authenticator.h"
#include "base/clock.h"
#include "base/fs.h"
#include "base/periodic_task.h"
#include "base/version.h"
#include "http/server.h"
#include "logs/capture.h"
#include "secrets/key_file.h"
#include "logs/store.h"
#include "deployments/actions.h"
#include "deployments/delivery.h"
#include "deployments/metrics.h"
#include "deployments/status_tree.h"
#include "deployments/resource_sampler.h"
#include "store/resource_samples.h"
#include "deployments/previews.h"
#include "deployments/auto_stop.h"
#include "deployments/trash.h"
#include "store/trash.h"
#include "devgit/access.h"
#include "devgit/credentials.h"
#include "devgit/handler.h"
#include "devgit/listeners.h"
#include "events/kinds.h"
#include "deployments/configuration.h"
#include "events/recorder.h"
#include "projects/mirror_refresher.h"
#include "projects/project_service.h"
#include "projects/push_report.h"
#include "server/bootstrap.h"
#include "server/data_dir.h"
#include "server/ssh_directory.h"
#include "git/hooks.h"
#include "ssh/engine_access.h"
#include "ssh/gateway.h"
#include "ssh/git_service.h"
#include "store/action_runs.h"
#include "store/builds.h"
#include "store/push_events.h"
#include "store/releases.h"
#include "store/migrations.h"
#include "store/sessions.h"
#include "auth/sign_in_throttle.h"
#include "web/assets.h"
#include "web/dashboard.h"

namespace yard::server {
namespace {

namespace asio = boost::asio;

std::string ApiUrl(const std::string& host, uint16_t port) {
  bool v6 = host.find(':') != std::string::npos;
  return fmt::format("http://{}{}{}:{}", v6 ? "[" : "", host, v6 ? "]" : "", port);
}

// Stops accepting, then waits until open connections have finished or the grace time has
// passed, and stops the loop.
asio::awaitable<void> Drain(asio::io_context& io, http::Server& server,
                            std::chrono::milliseconds grace) {
  server.Stop();
  auto deadline = std::chrono::steady_clock::now() + grace;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (server.connection_count() > 0 && std::chrono::steady_clock::now() < deadline) {
    timer.expires_after(std::chrono::milliseconds(20));
    co_await timer.async_wait(asio::use_awaitable);
  }
  if (server.connection_count() > 0) {
    log::Warn("{} connections still open after {} ms; closing them", server.connection_count(),
              grace.count());
  }
  io.stop();
}

}  // namespace

std::string DefaultDataDir() {
  if (::geteuid() == 0) return "/var/lib/stackyard";
  const char* data_home = std::getenv("XDG_DATA_HOME");
  if (data_home && *data_home) return fs::Join(data_home, "stackyard");
  const char* home = std::getenv("HOME");
  return fs::Join(home && *home ? home : ".", ".local/share/stackyard");
}

Status RunServer(const ServerOptions& options) {
  // Writes to a closed socket must fail with EPIPE, not kill the server.
  std::signal(SIGPIPE, SIG_IGN);
  // The dashboard: compiled in, or read from --web-dir on each request (checked before the
  // data dir is touched).
  std::unique_ptr<web::Assets> web_assets = web::EmbeddedAssets();
  if (!options.web_dir.empty()) {
    web_assets = TRY_CTX(web::DirectoryAssets(options.web_dir), "--web-dir");
    log::Info("serving the dashboard from {}", options.web_dir);
  }
  web::Dashboard dashboard(*web_assets);

  DataDir data_dir = TRY(DataDir::Open(options.data_dir));
  // A server.json left by a crash would point clients at a dead address until we are ready.
  TRY(fs::RemoveFile(data_dir.ServerInfoPath()));

  SystemClock clock;
  auto db = TRY(store::Database::Open(data_dir.DatabasePath()));
  TRY(store::Migrate(*db, store::SchemaMigrations()));
  store::UserStore users(*db, clock);
  store::ApiTokenStore tokens(*db, clock);
  store::SessionStore sessions(*db, clock);
  store::SshKeyStore keys(*db, clock);
  store::ProjectStore project_store(*db, clock);
  TRY(BootstrapAdmin(*db, users, tokens, data_dir.AdminTokenPath()));
  // What happened, who did it and when (events/recorder.h): everything below reports to it.
  events::Recorder event_log(*db, clock);
  // A fetch that moves followed branches deploys them (Delivery, made below; the refresher
  // that fetches is made after it and stopped before it).
  deployments::Delivery* delivery_for_fetches = nullptr;
  deployments::Previews* previews_for_fetches = nullptr;  // previews first: see previews.h
  // A push (over SSH, or from inside a development deployment) is handled the same way.
  projects::PushedCallback on_push = [&](int64_t project_id, int64_t user_id) {
    auto project = project_store.Find(project_id);
    if (!project) {
      log::Warn("push: {}", project.error().message);
      return;
    }
    {
      store::PushEventStore pushes(*db, clock);
      event_log.Record(events::Pushed(*project, user_id, pushes));
    }
    if (previews_for_fetches != nullptr) {
      Status made = previews_for_fetches->OnPush(*project, user_id);
      if (!made) log::Warn("push: previews: {}", made.error().message);
    }
    if (delivery_for_fetches == nullptr) return;
    auto moved = delivery_for_fetches->FollowBranches(*project, user_id);
    if (!moved) log::Warn("push: {}", moved.error().message);
  };
  projects::ProjectService projects(
      project_store,
      {.repos_dir = data_dir.ReposPath(), .fetched = [&](const store::Project& project) {
         if (previews_for_fetches != nullptr) {
           Status made = previews_for_fetches->OnPush(project, std::nullopt);
           if (!made) log::Warn("project {}: previews: {}", project.name, made.error().message);
         }
         if (delivery_for_fetches == nullptr) return;
         auto moved = delivery_for_fetches->FollowBranches(project, std::nullopt);
         if (!moved) log::Warn("project {}: {}", project.name, moved.error().message);
       }});

  // Deployments: the engine (started on first use), the controller and its workers.
  store::DeploymentStore deployment_store(*db, clock);
  store::BuildStore build_store(*db, clock);
  store::ReleaseStore release_store(*db, clock);
  // Secrets at rest (secrets/): the key, then what an older server stored in plain text is
  // sealed, before anything reads it.
  secrets::KeyFile secrets_key =
      TRY_CTX(secrets::LoadOrCreateKey(data_dir.SecretsKeyPath()), "secrets key");
  TRY_CTX(deployments::SealStoredSecrets(deployment_store, project_store, secrets_key.box,
                                         secrets_key.created),
          "secrets");
  std::string installation = TRY(data_dir.InstallationId());
  runtime::LazyEngine engine({.data_dir = data_dir.root()}, options.engine, installation);
  // The edge: Caddy, started with the first route, its state under DATA_DIR/edge.
  std::string edge_dir = fs::Join(data_dir.root(), "edge");
  TRY(fs::CreateDirectories(edge_dir));
  edge::EdgeOptions edge_options{.dir = edge_dir, .ca_export = fs::Join(data_dir.root(), "ca.pem")};
  edge_options.settings.http_port = options.http_port;
  edge_options.settings.https_port = options.https_port;
  edge_options.settings.acme_directory = options.acme_directory;
  edge_options.settings.acme_email = options.acme_email;
  edge_options.settings.acme_trusted_roots = options.acme_roots;
  if (options.internal_ca) edge_options.settings.internal_domain = options.domain;
  edge_options.settings.request_timeout = options.proxy_timeout;
  edge_options.settings.max_body_bytes = options.max_body_bytes;
  // Caddy finds which containers serve a route by asking this table (no reload per switch).
  edge::UpstreamDns upstream_dns;
  TRY_CTX(upstream_dns.Start(), "the edge's upstream resolver");
  edge_options.dns = &upstream_dns;
  auto* caddy = new edge::CaddyProxy({.dir = edge_dir});
  edge::Edge edge(edge_options, std::unique_ptr<edge::Proxy>(caddy));
  edge.Restore();
  store::DomainStore domain_store(*db, clock);

  // Pushes run Stackyard's hooks, which run this very binary (`yard internal git-hook`).
  {
    std::error_code error;
    std::string self = std::filesystem::read_symlink("/proc/self/exe", error).string();
    if (error) return Unexpected(ErrorCode::kIo, "cannot find the yard binary: " + error.message());
    TRY_CTX(git::WriteHooks(data_dir.GitHooksPath(), self), "Git hooks");
  }
  // Git from inside development deployments: served on each deployment network's gateway.
  store::PushEventStore push_events(*db, clock);
  // Pushes a stop or crash cut short are recorded before any new one (deployed below).
  projects::RecoverPushReports(data_dir.PushReportsPath(), projects, users, push_events, on_push);
  std::optional<devgit::Credentials> dev_git_credentials;
  std::optional<devgit::Handler> dev_git_handler;
  std::optional<devgit::Listeners> dev_git_listeners;
  std::optional<devgit::Access> dev_git_access;
  if (options.dev_git_port > 0) {
    dev_git_credentials.emplace(TRY_CTX(devgit::Credentials::Open(data_dir.DevGitKeyPath()),
                                        "development deployments' Git credentials"));
    dev_git_handler.emplace(
        devgit::HandlerStores{project_store, deployment_store, users, push_events},
        *dev_git_credentials,
        devgit::HandlerOptions{.hooks_dir = data_dir.GitHooksPath(),
                               .reports_dir = data_dir.PushReportsPath(),
                               .pushed = on_push});
    dev_git_listeners.emplace(
        [&handler = *dev_git_handler](const http::Request& request) {
          return handler.Handle(request);
        },
        devgit::ListenerOptions{.port = options.dev_git_port});
    dev_git_access.emplace(*dev_git_listeners, *dev_git_credentials);
  }

  // Deployments' logs, kept by the server (logs/store.h); the capture (made once the
  // controller is) fills it.
  logs::Store log_store({.dir = data_dir.LogsPath()});

  // Deleted deployments, recorded by the controller as it moves their volumes to the trash.
  store::TrashStore trash_store(*db, clock);
  manifest::SystemRandom random;
  controller::SocketProber prober;
  controller::ControllerContext controller_context;
  controller_context.deployments = &deployment_store;
  controller_context.builds = &build_store;
  controller_context.releases = &release_store;
  controller_context.projects = &project_store;
  controller_context.runtime = &engine;
  controller_context.naming = {.installation = installation,
                               .volumes_dir = data_dir.VolumesPath()};
  controller_context.build_logs_dir = data_dir.BuildLogsPath();
  controller_context.trash_dir = data_dir.TrashPath();
  controller_context.trash = &trash_store;
  controller_context.trash_retention = options.trash_retention;
  controller_context.clock = &clock;
  controller_context.random = &random;
  controller_context.secrets = &secrets_key.box;
  controller_context.prober = &prober;
  controller_context.domain = options.domain;
  controller_context.https_port = options.https_port;
  controller_context.router = &edge;
  controller_context.domains = &domain_store;
  controller_context.drain = options.drain;
  controller_context.upstream_refresh = edge_options.settings.upstream_refresh;
  controller_context.keep_releases = options.keep_releases;
  controller_context.events = &event_log;
  // What a container wrote is all kept before it is removed (the capture is made below).
  logs::Capture* capture_for_removals = nullptr;
  controller_context.before_remove = [&capture_for_removals](const std::string& id) {
    if (capture_for_removals == nullptr) return;
    if (Status drained = capture_for_removals->Drain(id, std::chrono::seconds(10)); !drained) {
      log::Warn("logs of container {}: {}", id.substr(0, 12), drained.error().message);
    }
  };
  if (dev_git_access) controller_context.dev_git = &*dev_git_access;
  controller::Controller controller(controller_context,
                                    {.concurrency = options.build_concurrency,
                                     .cpus = options.build_cpus,
                                     .memory_bytes = options.build_memory_bytes,
                                     .timeout = options.build_timeout});
  // Clones with data (deployments/clone.h); one a killed server left half-copied is removed
  // before the controller looks at it.
  deployments::Cloner cloner({.store = deployment_store,
                              .controller = &controller,
                              .runtime = &engine,
                              .naming = controller_context.naming,
                              .clock = clock});
  cloner.set_events(&event_log);
  if (Status recovered = cloner.Recover(); !recovered) {
    log::Warn("clones: {}", recovered.error().message);
  }
  if (Status started = controller.Start(); !started) {
    // The API stays up (users can still stop or delete); workers retry on their own.
    log::Warn("deployments: {}", started.error().message);
  }
  logs::Capture capture(engine, log_store, {.active = [&engine] { return engine.in_use(); }});
  capture_for_removals = &capture;
  capture.Start();

  // Named actions and one-off commands (deployments/actions.h): runs recorded in the store,
  // their output kept under DATA_DIR/actions; runs a stopped server left are marked
  // interrupted.
  store::ActionRunStore action_runs(*db, clock);
  logs::Store action_output({.dir = fs::Join(data_dir.root(), "actions")});
  deployments::Actions actions({.runs = action_runs,
                                .runtime = engine,
                                .output = action_output,
                                .status_of = [&controller](int64_t id) {
                                  return controller.StatusOf(id);
                                },
                                .clock = clock,
                                .events = &event_log});
  if (Status recovered = actions.Recover(); !recovered) {
    log::Warn("actions: {}", recovered.error().message);
  }

  deployments::DeploymentService deployment_service(
      deployment_store, &controller, {.store = &domain_store, .base_domain = options.domain});
  deployments::Delivery delivery({deployment_store, build_store, release_store}, &controller,
                                 &engine);
  delivery_for_fetches = &delivery;
  deployment_service.set_events(&event_log);
  deployment_service.set_secrets(&secrets_key.box);
  deployments::Configuration configuration(deployment_store, controller_context, &controller);
  configuration.set_events(&event_log);
  delivery.set_events(&event_log);
  store::PreviewBranchStore preview_branch_store(*db);
  deployments::Previews previews(
      {project_store, deployment_store, preview_branch_store, users}, deployment_service, clock);
  previews_for_fetches = &previews;
  // Enabling, disabling and automatic stops; restoring and purging deleted deployments.
  deployments::AutoStop auto_stop(deployment_store, project_store, deployment_service, clock);
  auto_stop.set_events(&event_log);
  deployments::Trash trash(
      {*db, trash_store, deployment_store, &domain_store}, deployment_service, &auto_stop, clock,
      {.trash_dir = data_dir.TrashPath(),
       .naming = controller_context.naming,
       .retention = options.trash_retention,
       .forget =
           [&](int64_t deployment_id) {
             for (logs::Store* store : {&log_store, &action_output}) {
               if (Status removed = store->Remove(deployment_id); !removed) {
                 log::Warn("deployment {}: {}", deployment_id, removed.error().message);
               }
             }
           }});
  trash.set_events(&event_log);
  // Pushes that arrived while the server was down (a mirror fetched by hand, a hook that
  // recorded nothing) are deployed now: FollowBranches acts only on heads not yet taken.
  if (auto all = project_store.List()) {
    for (const store::Project& project : *all) {
      if (Status made = previews.OnPush(project, std::nullopt); !made) {
        log::Warn("project {}: previews: {}", project.name, made.error().message);
      }
      if (auto moved = delivery.FollowBranches(project, std::nullopt); !moved) {
        log::Warn("project {}: {}", project.name, moved.error().message);
      }
    }
  }
  PeriodicTask preview_sweep("previews", std::chrono::minutes(1), [&] { return previews.Sweep(); });
  preview_sweep.Start();
  // The log stores (containers' output, actions' output) apply their limits on every append;
  // services that stopped writing, and deployments deleted for good, are pruned here, so old
  // logs go after their retention even when nothing is written.
  PeriodicTask log_prune("logs", std::chrono::minutes(10), [&]() -> Status {
    TRY(log_store.Prune());
    return action_output.Prune();
  });
  log_prune.Start();
  // Events older than their retention (90 days) go.
  PeriodicTask event_prune("events", std::chrono::hours(1), [&] { return event_log.Prune(); });
  event_prune.Start();
  // Expired dashboard sessions are refused when used; their rows go here.
  PeriodicTask session_prune("sessions", std::chrono::hours(1),
                             [&]() -> Status {
                               TRY(sessions.PruneExpired());
                               return Ok();
                             });
  session_prune.Start();
  // Running deployments whose time is up stop; the trash is purged of what has been kept for
  // its retention (checked often enough for a short retention to be kept to).
  PeriodicTask auto_stop_sweep("auto-stop", std::chrono::seconds(2),
                               [&] { return auto_stop.Sweep(); });
  auto_stop_sweep.Start();
  PeriodicTask trash_sweep(
      "trash",
      std::clamp<std::chrono::milliseconds>(std::chrono::milliseconds(options.trash_retention) / 4,
                                            std::chrono::seconds(1), std::chrono::minutes(1)),
      [&] { return trash.Sweep(); });
  trash_sweep.Start();
  projects::MirrorRefresher refresher(projects, options.refresh_interval);

  // The SSH gateway: sessions and forwards into deployments, and Git over SSH.
  ssh::EngineAccess engine_access(engine);
  SshDirectory ssh_directory(users, keys, projects, deployment_store, controller, engine);
  std::optional<ssh::GitService> git_service;
  std::optional<ssh::Gateway> gateway;
  std::optional<api::SshEndpoint> ssh_endpoint;
  if (options.ssh_enabled) {
    git_service.emplace(projects, users, push_events,
                        ssh::GitServiceOptions{
                            .hooks_dir = data_dir.GitHooksPath(),
                            .reports_dir = data_dir.PushReportsPath(),
                            .pushed = on_push});
    gateway.emplace(ssh::GatewayOptions{.host = options.ssh_host,
                                        .port = options.ssh_port,
                                        .host_keys_dir = data_dir.SshPath()},
                    ssh_directory, engine_access, &*git_service, clock);
    TRY_CTX(gateway->Start(), "SSH gateway");
    ssh_endpoint.emplace();
    ssh_endpoint->host = !options.ssh_advertise_host.empty() ? options.ssh_advertise_host
                                                             : options.domain;
    ssh_endpoint->port =
        options.ssh_advertise_port > 0 ? options.ssh_advertise_port : gateway->port();
    for (const ssh::HostKey& key : gateway->host_keys()) {
      ssh_endpoint->host_keys.push_back(key.public_line);
    }
  }

  // Deployments' status trees (engine figures and volume sizes, cached), and the server's
  // own figures for GET /metrics.
  deployments::StatusTrees status_trees({.builds = &build_store,
                                         .runtime = &engine,
                                         .naming = controller_context.naming,
                                         .clock = &clock,
                                         .engine_active = [&engine] { return engine.in_use(); }});
  // Each running deployment's services' CPU, memory and disk, sampled for their history
  // (the dashboard's graphs); samples older than a day and an hour go every hour.
  store::ResourceSampleStore resource_samples(*db);
  deployments::ResourceSampler resource_sampler(
      deployment_store, status_trees,
      [&](const store::Deployment& d) { return deployment_service.StatusOf(d); },
      resource_samples, clock);
  PeriodicTask resource_sampling("resource samples", options.resource_sample_interval,
                                 [&] { return resource_sampler.Sample(); });
  resource_sampling.Start();
  PeriodicTask resource_prune("resource samples pruning", std::chrono::hours(1),
                              [&] { return resource_sampler.Prune(); });
  resource_prune.Start();
  deployments::RequestCounts request_counts;
  deployments::ServerMetricsSources metrics_sources{.requests = &request_counts,
                                                    .started_at = clock.NowUnix(),
                                                    .logs_dir = data_dir.LogsPath(),
                                                    .volumes_dir = data_dir.VolumesPath()};

  auth::Authenticator authenticator(tokens, &sessions);
  auth::SignInThrottle sign_in_throttle(clock);
  api::Router router(authenticator);
  api::Services services{*db, users, tokens, keys, projects, clock};
  services.deployments = &deployment_service;
  services.delivery = &delivery;
  services.previews = &previews;
  services.request_refresh = [&refresher](int64_t project_id) { refresher.Request(project_id); };
  services.deployment_store = &deployment_store;
  services.build_logs_dir = data_dir.BuildLogsPath();
  services.logs = &log_store;
  services.configuration = &configuration;
  services.events = &event_log;
  services.event_log = &event_log;
  services.actions = &actions;
  services.status_trees = &status_trees;
  services.metrics = &metrics_sources;
  services.trash = &trash;
  services.auto_stop = &auto_stop;
  services.cloner = &cloner;
  services.sessions = &sessions;
  services.sign_in_throttle = &sign_in_throttle;
  services.session_lifetime = options.session_lifetime;
  services.resource_samples = &resource_samples;
  services.resource_sample_interval = options.resource_sample_interval;
  if (ssh_endpoint) services.ssh = &*ssh_endpoint;
  api::AddAllRoutes(router, services);

  asio::io_context io(1);
  http::ServerOptions http_options;
  http_options.host = options.api_host;
  http_options.port = options.api_port;
  http_options.request_timeout = options.request_timeout;
  http_options.handler_threads = options.api_threads;
  http::Server api_server(
      io,
      [&router, &dashboard, &request_counts](const http::Request& request) {
        http::Response response = web::IsApiPath(request.path) ? router.Handle(request)
                                                               : dashboard.Handle(request);
        request_counts.Count(response.status);
        return response;
      },
      http_options);
  TRY_CTX(api_server.Start(), "API listener");

  // Signals are caught from here on: server.json below tells clients (and supervisors) that
  // the server is ready, and a SIGTERM sent the moment it appears must stop it gracefully.
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& error, int signal_number) {
    if (error) return;
    log::Info("received {}; stopping", signal_number == SIGINT ? "SIGINT" : "SIGTERM");
    // Clients must stop finding this server before it stops answering.
    if (Status removed = fs::RemoveFile(data_dir.ServerInfoPath()); !removed) {
      log::Warn("{}", removed.error().message);
    }
    asio::co_spawn(io, Drain(io, api_server, options.shutdown_grace), asio::detached);
  });
  std::string url = ApiUrl(options.api_host, api_server.port());
  nlohmann::json info = {{"api", url},
                         {"pid", ::getpid()},
                         {"version", kVersion},
                         {"data_dir", data_dir.root()},
                         {"edge",
                          {{"domain", options.domain},
                           {"http_port", options.http_port},
                           {"https_port", options.https_port},
                           {"ca", edge_options.ca_export}}}};
  if (gateway) {
    info["ssh"] = {{"address", fmt::format("{}:{}", options.ssh_host, gateway->port())},
                   {"port", gateway->port()},
                   {"host", ssh_endpoint->host},
                   {"host_keys", ssh_endpoint->host_keys}};
  }
  TRY(fs::AtomicWriteFile(data_dir.ServerInfoPath(), info.dump(2) + "\n", 0644));
  log::Info("stackyard {} serving the API on {} (data dir {})", kVersion, url, data_dir.root());

  io.run();
  // Sessions end first: they use the engine and the store.
  if (gateway) gateway->Stop();
  actions.Stop();  // runs still going are recorded as interrupted
  cloner.Stop();   // copies in flight are cut short, their source unpaused, the clone removed
  preview_sweep.Stop();
  log_prune.Stop();
  event_prune.Stop();
  auto_stop_sweep.Stop();
  trash_sweep.Stop();
  resource_sampling.Stop();
  resource_prune.Stop();
  // Workers finish their step; running builds are stopped and recorded as interrupted (the
  // next start queues them again). One that does not stop in time is left to the exit.
  bool workers_done = controller.Stop(std::chrono::seconds(5));
  capture.Stop();
  if (dev_git_listeners) dev_git_listeners->Stop();
  engine.Stop();
  caddy->Stop();
  log::Info("stopped");
  if (!workers_done) {
    log::Info("a build was cut short; it is retried at the next start");
    log::Flush();
    std::_Exit(0);
  }
  return Ok();
}

}  // namespace yard::server

#include "manifest/catalog.h"

#include <cstdlib>

namespace yard::manifest {
namespace {

constexpr std::string_view kNames[] = {"postgres", "redis"};

// The add-on's id is its host name inside the deployment's network.
std::string WithHost(std::string_view text, const std::string& id) {
  std::string out(text);
  for (size_t at = out.find("{host}"); at != std::string::npos; at = out.find("{host}")) {
    out.replace(at, 6, id);
  }
  return out;
}

Health CatalogHealth(std::string_view command, Location where) {
  Health health;
  health.kind = HealthKind::kCommand;
  health.command = {true, {std::string(command)}, where};
  health.interval_seconds = 5;
  health.timeout_seconds = 3;
  health.start_period_seconds = 10;
  health.retries = 5;
  health.where = where;
  return health;
}

}  // namespace

std::span<const std::string_view> CatalogNames() { return kNames; }

bool IsCatalogEntry(std::string_view name) {
  for (std::string_view candidate : kNames) {
    if (candidate == name) return true;
  }
  return false;
}

void ApplyCatalogDefaults(std::string_view name, Location where, Service& addon) {
  auto vars = [&](std::initializer_list<std::pair<std::string_view, std::string_view>> list) {
    std::vector<EnvVar> out;
    for (auto [key, value] : list)
      out.push_back({std::string(key), WithHost(value, addon.id), where});
    return out;
  };
  addon.catalog = std::string(name);
  // The images are built by Stackyard itself from images/catalog/ (see images/catalog_images.h).
  if (name == "postgres") {
    addon.image = "localhost/stackyard/catalog/postgres:15";
    addon.port = 5432;
    addon.storage = {{"data", "/var/lib/postgresql/data", {}, where, where}};
    addon.health = CatalogHealth("pg_isready -U \"$POSTGRES_USER\" -d \"$POSTGRES_DB\"", where);
    addon.env = vars({{"POSTGRES_USER", "app"},
                      {"POSTGRES_DB", "app"},
                      {"POSTGRES_PASSWORD", "${generate:password:32}"}});
    addon.exports = vars({
        {"DATABASE_URL",
         "postgres://${POSTGRES_USER}:${POSTGRES_PASSWORD}@{host}:5432/${POSTGRES_DB}"},
        {"PGHOST", "{host}"},
        {"PGPORT", "5432"},
        {"PGUSER", "${POSTGRES_USER}"},
        {"PGPASSWORD", "${POSTGRES_PASSWORD}"},
        {"PGDATABASE", "${POSTGRES_DB}"},
    });
    return;
  }
  if (name == "redis") {
    addon.image = "localhost/stackyard/catalog/redis:7";
    addon.command =
        Command{true, {"redis-server --appendonly yes --requirepass \"$REDIS_PASSWORD\""}, where};
    addon.port = 6379;
    addon.storage = {{"data", "/data", {}, where, where}};
    addon.health = CatalogHealth("redis-cli -a \"$REDIS_PASSWORD\" ping", where);
    addon.env = vars({{"REDIS_PASSWORD", "${generate:password:32}"}});
    addon.exports = vars({{"REDIS_URL", "redis://:${REDIS_PASSWORD}@{host}:6379/0"}});
    return;
  }
  std::abort();  // REQUIRES violated: not a catalog entry
}

}  // namespace yard::manifest

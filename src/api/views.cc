#include "api/views.h"

#include <fmt/core.h>

#include "api/size_request.h"
#include "base/clock.h"
#include "secrets/secret_box.h"

namespace yard::api {
namespace {

Json NullIfEmpty(const std::string& text) { return text.empty() ? Json(nullptr) : Json(text); }

// Sealed secrets (secrets/secret_box.h) are write-only: null here, revealed only by the env
// and params routes.
Json MaskSealed(const std::map<std::string, std::string>& values) {
  Json out = Json::object();
  for (const auto& [key, value] : values) {
    out[key] = secrets::IsSealed(value) ? Json(nullptr) : Json(value);
  }
  return out;
}

Json ServiceView(const controller::ServiceStatus& service) {
  return Json{{"id", service.id},
              {"kind", service.addon ? "addon" : "component"},
              {"state", controller::ServiceStateName(service.state)},
              {"health", controller::HealthStateName(service.health)},
              {"restarts", service.restarts},
              {"image", service.image},
              {"container", NullIfEmpty(service.container)},
              {"started_at", service.started_at ? TimeView(service.started_at) : Json(nullptr)},
              {"address", NullIfEmpty(service.address)},
              {"last_exit_code",
               service.last_exit_code ? Json(*service.last_exit_code) : Json(nullptr)},
              {"last_log", service.last_log},
              {"reason", NullIfEmpty(service.reason)}};
}

// A development deployment's code volume against its branch.
Json CodeView(const std::optional<controller::DeploymentStatus::Code>& code) {
  if (!code) return nullptr;
  return Json{{"state", code->state},
              {"summary", code->summary},
              {"head", NullIfEmpty(code->head)},
              {"ahead", code->ahead},
              {"behind", code->behind},
              {"uncommitted_total", code->uncommitted_total},
              {"uncommitted", code->uncommitted}};
}

Json EndpointView(const controller::EndpointStatus& endpoint) {
  Json hosts = Json::array();
  for (const auto& host : endpoint.hosts) {
    const edge::HostCertificate& certificate = host.certificate;
    hosts.push_back(
        {{"name", host.name},
         {"url", host.url},
         {"custom", host.custom},
         {"certificate",
          {{"state", certificate.state},
           {"issuer", NullIfEmpty(certificate.issuer)},
           {"expires_at",
            certificate.not_after ? TimeView(certificate.not_after) : Json(nullptr)},
           {"error", NullIfEmpty(certificate.error)}}}});
  }
  return Json{{"id", endpoint.id},
              {"service", endpoint.service},
              {"url", endpoint.url},
              {"hosts", hosts},
              {"upstream", NullIfEmpty(endpoint.upstream)}};
}

}  // namespace

Json TimeView(std::optional<int64_t> unix_seconds) {
  if (!unix_seconds) return nullptr;
  return FormatTimestamp(*unix_seconds);
}

Json UserView(const store::User& user) {
  return Json{{"id", user.id},
              {"name", user.name},
              {"role", store::RoleName(user.role)},
              {"created_at", TimeView(user.created_at)}};
}

Json TokenView(const store::ApiToken& token) {
  return Json{{"id", token.id},
              {"name", token.name},
              {"prefix", token.prefix},
              {"created_at", TimeView(token.created_at)},
              {"last_used_at", TimeView(token.last_used_at)},
              {"expires_at", TimeView(token.expires_at)}};
}

Json KeyView(const store::SshKey& key) {
  return Json{{"id", key.id},
              {"name", key.name},
              {"type", key.key_type},
              {"bits", key.bits},
              {"fingerprint", key.fingerprint},
              {"public_key", key.key_type + " " + key.public_key},
              {"created_at", TimeView(key.created_at)},
              {"last_used_at", TimeView(key.last_used_at)}};
}

Json MemberView(const store::Member& member) {
  return Json{{"user", member.user_name},
              {"role", store::MemberRoleName(member.role)},
              {"added_at", TimeView(member.added_at)}};
}

Json PushEventView(const store::PushEvent& event) {
  auto commit = [](const std::string& id) { return id.empty() ? Json(nullptr) : Json(id); };
  return Json{{"id", event.id},
              {"ref", event.ref},
              {"old_commit", commit(event.old_commit)},
              {"new_commit", commit(event.new_commit)},
              {"forced", event.forced},
              {"user", event.user_name},
              {"pushed_at", TimeView(event.pushed_at)}};
}

Json DeploymentView(const Services& services, const store::Deployment& d,
                    const std::optional<controller::DeploymentStatus>& status) {
  Json view{{"project", d.project},
            {"name", d.name},
            {"stage", d.stage},
            {"branch", d.branch},
            {"auto_deploy", d.auto_deploy},
            {"followed_commit", NullIfEmpty(d.followed_commit)},
            {"preview", d.preview_branch ? Json{{"branch", *d.preview_branch},
                                                {"expires_at", TimeView(d.expires_at)}}
                                          : Json(nullptr)},
            {"params", MaskSealed(d.params)},
            {"env", MaskSealed(d.env)},
            {"size", SizeView({d.cpu_millis, d.memory_bytes})},
            {"desired", store::DesiredName(d.desired)},
            {"commit", NullIfEmpty(d.release_commit)},
            {"target_commit", NullIfEmpty(d.target_commit)},
            {"version", d.version},
            {"created_at", TimeView(d.created_at)},
            {"updated_at", TimeView(d.updated_at)}};
  // Enabling and the automatic stop (deployments/auto_stop.h): when a running deployment
  // stops by itself; on a stopped one, when it did.
  view["stop_at"] = TimeView(d.stop_at);
  view["stage_kind"] = nullptr;
  if (services.auto_stop != nullptr) {
    if (auto stage = services.auto_stop->StageOf(d)) {
      view["stage_kind"] = manifest::StageKindName(stage->kind);
    }
  }
  if (status) {
    Json reasons = status->reasons;
    Json service_views = Json::array();
    for (const auto& service : status->services) service_views.push_back(ServiceView(service));
    Json endpoints = Json::array();
    for (const auto& endpoint : status->endpoints) endpoints.push_back(EndpointView(endpoint));
    view["status"] = {{"phase", controller::PhaseName(status->phase)},
                      {"colour", controller::ColourName(status->colour)},
                      {"reasons", reasons},
                      {"rolled_back", status->rolled_back},
                      {"observed_at", TimeView(status->observed_at)},
                      {"observed_version", status->observed_version},
                      {"services", service_views},
                      {"primary", NullIfEmpty(status->primary)},
                      {"build", status->build_id == 0
                                    ? Json(nullptr)
                                    : Json{{"id", status->build_id},
                                           {"state", status->build_state}}},
                      {"code", CodeView(status->code)}};
    view["endpoints"] = endpoints;
    std::vector<std::string> ids;
    for (const auto& service : status->services) ids.push_back(service.id);
    view["ssh"] = DeploymentSshView(services, d.project, d.name, ids);
  } else {
    // Not observed yet (the server just started): what the store last recorded.
    view["status"] = {{"phase", d.phase},
                      {"colour", d.phase == "running" ? "green"
                                 : d.phase == "failed" ? "red"
                                                       : "yellow"},
                      {"reasons", d.reason.empty() ? Json::array() : Json::array({d.reason})},
                      {"observed_at", nullptr},
                      {"rolled_back", Json::array()},
                      {"observed_version", 0},
                      {"services", Json::array()},
                      {"primary", nullptr},
                      {"build", nullptr},
                      {"code", nullptr}};
    view["endpoints"] = Json::array();
    view["ssh"] = DeploymentSshView(services, d.project, d.name, {});
  }
  if (d.desired == store::Desired::kStopped && d.stop_at) {
    view["status"]["reasons"].insert(
        view["status"]["reasons"].begin(),
        Json(fmt::format("stopped automatically at {}: its time to run was up; `yard "
                         "deployments enable` runs it again",
                         FormatTimestamp(*d.stop_at))));
  }
  return view;
}

Json BuildView(const store::BuildRecord& build, const std::optional<std::string>& requested_by,
               int queue_position) {
  return Json{{"id", build.id},
              {"commit", build.commit},
              {"state", store::BuildStateName(build.state)},
              {"reason", NullIfEmpty(build.reason)},
              {"error", NullIfEmpty(build.error)},
              {"images", build.images},
              {"queued_at", TimeView(build.queued_at)},
              {"started_at", TimeView(build.started_at)},
              {"finished_at", TimeView(build.finished_at)},
              {"requested_by", requested_by ? Json(*requested_by) : Json(nullptr)},
              {"queue_position", build.state == store::BuildState::kQueued && queue_position > 0
                                     ? Json(queue_position)
                                     : Json(nullptr)}};
}

Json ReleaseView(const store::Release& release, bool current) {
  return Json{{"number", release.number},
              {"commit", release.commit},
              {"images", release.images},
              {"kind", store::ReleaseKindName(release.kind)},
              {"source", NullIfEmpty(release.source)},
              {"build_id", release.build_id ? Json(*release.build_id) : Json(nullptr)},
              {"params", MaskSealed(release.params)},
              {"env", MaskSealed(release.env)},
              {"created_at", TimeView(release.created_at)},
              {"created_by", release.created_by && !release.created_by_name.empty()
                                 ? Json(release.created_by_name)
                                 : Json(nullptr)},
              {"current", current}};
}

}  // namespace yard::api

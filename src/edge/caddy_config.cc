#include "edge/caddy_config.h"

#include <fmt/core.h>

namespace yard::edge {
namespace {

using Json = nlohmann::json;

bool EndsWith(const std::string& text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool Dynamic(const EdgeSettings& settings, const EdgeRoute& route) {
  return !settings.upstream_resolver.empty() && route.port > 0;
}

Json ProxyRoute(const EdgeSettings& settings, const EdgeRoute& route) {
  Json proxy = {
      {"handler", "reverse_proxy"},
      // No flush_interval: Caddy already flushes at once what streams (server-sent events,
      // responses without a length, upgrades), and flushing every write of every response
      // costs a system call each.
      // The request timeout bounds the wait for the response's headers, not the response:
      // a WebSocket or a server-sent event stream may stay open and quiet for hours.
      {"transport",
       {{"protocol", "http"},
        {"dial_timeout", 10'000'000'000LL},
        {"response_header_timeout", settings.request_timeout.count() * 1'000'000'000LL}}},
  };
  if (Dynamic(settings, route)) {
    proxy["dynamic_upstreams"] = {
        {"source", "a"},
        {"name", UpstreamName(route.id)},
        {"port", std::to_string(route.port)},
        {"refresh", settings.upstream_refresh.count() * 1'000'000LL},
        {"resolver", {{"addresses", Json::array({"udp/" + settings.upstream_resolver})}}}};
  } else {
    Json upstreams = Json::array();
    for (const std::string& upstream : route.upstreams) upstreams.push_back({{"dial", upstream}});
    proxy["upstreams"] = upstreams;
  }
  // A declared body over the limit is refused at once with 413; Caddy 2.6's proxy would
  // report the limit (request_body, for bodies without a length) as a 502.
  Json too_large = {
      {"handler", "subroute"},
      {"routes",
       Json::array({{{"match",
                      Json::array({{{"expression",
                                     fmt::format("{{http.request.header.Content-Length}} != '' && "
                                                 "int({{http.request.header.Content-Length}}) > {}",
                                                 settings.max_body_bytes)}}})},
                     {"handle", Json::array({{{"handler", "static_response"},
                                              {"status_code", 413},
                                              {"body", "the request body is too large\n"}}})}}})}};
  return Json{{"@id", route.id},
              {"match", Json::array({{{"host", route.hosts}}})},
              {"handle", Json::array({too_large,
                                      {{"handler", "request_body"},
                                       {"max_size", settings.max_body_bytes}},
                                      proxy})},
              {"terminal", true}};
}

}  // namespace

std::string UpstreamName(const std::string& route_id) {
  return route_id + ".upstreams.stackyard";
}

bool UsesInternalCa(const std::string& host) {
  return host == "localhost" || EndsWith(host, ".localhost") || EndsWith(host, ".internal") ||
         EndsWith(host, ".test") || EndsWith(host, ".home.arpa");
}

std::string InternalCaRoot(const std::string& storage_dir) {
  return storage_dir + "/pki/authorities/local/root.crt";
}

Json CaddyConfig(const EdgeSettings& settings, const std::vector<EdgeRoute>& routes) {
  Json https_routes = Json::array();
  std::vector<std::string> internal_hosts, acme_hosts;
  for (const EdgeRoute& route : routes) {
    if (route.hosts.empty()) continue;
    if (route.upstreams.empty() && !Dynamic(settings, route)) {
      // Known, but nothing runs behind it (stopped, starting, crashed): say so, rather than
      // the 404 of an unknown host.
      https_routes.push_back(
          {{"@id", route.id},
           {"match", Json::array({{{"host", route.hosts}}})},
           {"handle", Json::array({{{"handler", "static_response"},
                                    {"status_code", 503},
                                    {"headers", {{"Retry-After", Json::array({"5"})}}},
                                    {"body", "this deployment is not serving right now\n"}}})},
           {"terminal", true}});
    } else {
      https_routes.push_back(ProxyRoute(settings, route));
    }
    for (const std::string& host : route.hosts) {
      bool internal = UsesInternalCa(host) ||
                      (!settings.internal_domain.empty() &&
                       (host == settings.internal_domain ||
                        EndsWith(host, "." + settings.internal_domain)));
      (internal ? internal_hosts : acme_hosts).push_back(host);
    }
  }
  // A host no route claims gets a plain 404 from Stackyard rather than Caddy's empty 200.
  https_routes.push_back({{"handle", Json::array({{{"handler", "static_response"},
                                                   {"status_code", 404},
                                                   {"body", "no deployment answers here\n"}}})}});

  std::string redirect_to = settings.https_port == 443
                                ? "https://{http.request.host}{http.request.uri}"
                                : fmt::format("https://{{http.request.host}}:{}{{http.request.uri}}",
                                              settings.https_port);
  Json servers = {
      {"https",
       {{"listen", Json::array({fmt::format(":{}", settings.https_port)})},
        {"routes", https_routes},
        // What a client gets when the component does not answer (stopped, starting,
        // crashed: no upstream, or the dial fails, or it is too slow): a plain message
        // instead of an empty body.
        {"errors",
         {{"routes",
           Json::array(
               {{{"match", Json::array({{{"expression",
                                          "{http.error.status_code} in [502, 503, 504]"}}})},
                 {"handle",
                  Json::array({{{"handler", "static_response"},
                                {"status_code", "{http.error.status_code}"},
                                {"headers", {{"Retry-After", Json::array({"5"})}}},
                                {"body", "{http.error.status_code} {http.error.status_text}: "
                                         "this deployment is not answering right now\n"}}})}},
                {{"handle", Json::array({{{"handler", "static_response"},
                                          {"status_code", "{http.error.status_code}"},
                                          {"body", "{http.error.status_code} "
                                                   "{http.error.status_text}\n"}}})}}})}}},
        // Our own redirect below; Caddy's would drop a non-default port.
        {"automatic_https", {{"disable_redirects", true}}}}},
      {"http",
       {{"listen", Json::array({fmt::format(":{}", settings.http_port)})},
        {"routes", Json::array({{{"handle", Json::array({{{"handler", "static_response"},
                                                          {"status_code", 308},
                                                          {"headers",
                                                           {{"Location",
                                                             Json::array({redirect_to})}}}}})}}})}}},
  };

  Json policies = Json::array();
  if (!internal_hosts.empty()) {
    policies.push_back({{"subjects", internal_hosts},
                        {"issuers", Json::array({{{"module", "internal"}}})}});
  }
  if (!acme_hosts.empty()) {
    Json acme = {{"module", "acme"}, {"ca", settings.acme_directory}};
    if (!settings.acme_email.empty()) acme["email"] = settings.acme_email;
    if (!settings.acme_trusted_roots.empty()) {
      acme["trusted_roots_pem_files"] = settings.acme_trusted_roots;
    }
    policies.push_back({{"subjects", acme_hosts}, {"issuers", Json::array({acme})}});
  }

  Json config = {
      {"admin", {{"listen", "unix/" + settings.admin_socket}, {"origins", {"localhost"}}}},
      {"storage", {{"module", "file_system"}, {"root", settings.storage_dir}}},
      {"apps",
       {{"http",
         {{"http_port", settings.http_port},
          {"https_port", settings.https_port},
          {"servers", servers}}},
        // The CA is for our clients to trust explicitly (DATA_DIR's ca.pem), never installed
        // into the machine's trust store.
        {"pki", {{"certificate_authorities", {{"local", {{"install_trust", false}}}}}}}}},
  };
  if (!policies.empty()) config["apps"]["tls"] = {{"automation", {{"policies", policies}}}};
  return config;
}

}  // namespace yard::edge

// `yard domains ...`: add, list and remove the custom domains of a deployment's endpoints.

#include <fmt/core.h>

#include "cli/command.h"
#include "cli/deployment_target.h"
#include "cli/output.h"
#include "http/message.h"

namespace yard::cli {
namespace {

constexpr const char* kDnsAndCertificates =
    "A custom domain is served besides the endpoint's generated hostname. Its DNS must point\n"
    "at this server: an A/AAAA record with the server's address, or a CNAME to the endpoint's\n"
    "generated hostname. Once it does, the edge obtains the domain's certificate by ACME\n"
    "and serves the endpoint over HTTPS at it.";

struct Flags {
  std::string target;
  std::string hostname;
  std::string endpoint;
};

std::string DomainsPath(const DeploymentTarget& target) {
  return DeploymentPath(target) + "/domains";
}

Status Add(Invocation& invocation, const Flags& flags) {
  DeploymentTarget target = TRY(ParseDeploymentTarget(flags.target));
  Json body = {{"hostname", flags.hostname}};
  if (!flags.endpoint.empty()) body["endpoint"] = flags.endpoint;
  ApiClient client = TRY(Connect(invocation));
  Json domain = TRY(client.Post(DomainsPath(target), body));
  if (invocation.json) {
    PrintJson(domain);
    return Ok();
  }
  std::printf("Added %s to %s (endpoint %s).\n", Cell(domain, "hostname").c_str(),
              flags.target.c_str(), Cell(domain, "endpoint").c_str());
  std::printf("Point its DNS at this server. Its certificate follows: from ACME for a public\n"
              "name once the name resolves here, from the server's own CA for a local one.\n");
  return Ok();
}

Status List(Invocation& invocation, const Flags& flags) {
  DeploymentTarget target = TRY(ParseDeploymentTarget(flags.target));
  ApiClient client = TRY(Connect(invocation));
  Json listed = TRY(client.Get(DomainsPath(target)));
  if (invocation.json) {
    PrintJson(listed);
    return Ok();
  }
  Table table({"HOSTNAME", "ENDPOINT", "ADDED"});
  for (const Json& domain : listed["domains"]) {
    table.AddRow({Cell(domain, "hostname"), Cell(domain, "endpoint"), Cell(domain, "created_at")});
  }
  table.Print(
      fmt::format("No custom domains. Add one with `yard domains add {} HOSTNAME`.", flags.target));
  return Ok();
}

Status Remove(Invocation& invocation, const Flags& flags) {
  DeploymentTarget target = TRY(ParseDeploymentTarget(flags.target));
  ApiClient client = TRY(Connect(invocation));
  TRY(client.Delete(DomainsPath(target) + "/" + http::PercentEncode(flags.hostname)));
  if (invocation.json) {
    PrintJson({{"removed", flags.hostname}});
  } else {
    std::printf("Removed %s from %s.\n", flags.hostname.c_str(), flags.target.c_str());
  }
  return Ok();
}

}  // namespace

void AddDomainCommands(CLI::App& app, Invocation& invocation) {
  auto* domains = app.add_subcommand(
      "domains", "Manage custom domains: your own hostnames for a deployment's endpoints");
  domains->alias("domain");
  domains->require_subcommand(1);
  domains->footer(kDnsAndCertificates);
  auto flags = std::make_shared<Flags>();
  auto add_target = [&](CLI::App* command) {
    command->add_option("deployment", flags->target, "PROJECT/DEPLOYMENT, e.g. shop/prod")
        ->required();
  };

  auto* add = domains->add_subcommand("add", "Serve an endpoint of the deployment at HOSTNAME");
  add_target(add);
  add->add_option("hostname", flags->hostname, "The domain, e.g. www.example.com")->required();
  add->add_option("--endpoint", flags->endpoint,
                  "The endpoint id from stackyard.yaml (default: the stack's only endpoint)");
  add->footer(fmt::format(
      "HOSTNAME is a full DNS name (punycode for international names), not an IP address or\n"
      "a wildcard, and not the server's base domain or a name directly under it, where the\n"
      "generated hostnames live: pick a name outside it or deeper. A hostname serves one\n"
      "endpoint of one deployment.\n\n{}",
      kDnsAndCertificates));
  add->callback([&invocation, flags] { invocation.status = Add(invocation, *flags); });

  auto* list = domains->add_subcommand("list", "List a deployment's custom domains");
  add_target(list);
  list->callback([&invocation, flags] { invocation.status = List(invocation, *flags); });

  auto* remove =
      domains->add_subcommand("remove", "Stop serving HOSTNAME; the generated hostname stays");
  add_target(remove);
  remove->add_option("hostname", flags->hostname, "The domain to remove")->required();
  remove->callback([&invocation, flags] { invocation.status = Remove(invocation, *flags); });
}

}  // namespace yard::cli

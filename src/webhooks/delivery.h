#pragma once

// A webhook delivery as its headers describe it: who sent it (GitHub, GitLab, Gitea, Forgejo),
// which event, its delivery id, and whether its signature or token holds for a secret.
//
// What each sender sends (header names are matched in lowercase):
//
// | Sender  | Event header       | Delivery id                                   | Proof                              |
// |---------|--------------------|-----------------------------------------------|------------------------------------|
// | GitHub  | X-GitHub-Event     | X-GitHub-Delivery                             | X-Hub-Signature-256: sha256=HEX    |
// | Gitea   | X-Gitea-Event      | X-Gitea-Delivery                              | X-Gitea-Signature: HEX             |
// | Forgejo | X-Forgejo-Event    | X-Forgejo-Delivery                            | X-Forgejo-Signature: HEX           |
// | GitLab  | X-Gitlab-Event     | Idempotency-Key, else X-Gitlab-Event-UUID     | X-Gitlab-Token: the secret itself  |
//
// HEX is the HMAC-SHA256 of the raw body keyed with the secret. Gitea also sends GitHub's and
// Gogs' headers, and Forgejo also sends Gitea's, so the most specific sender is looked for
// first. The headers are not covered by the signature: only the body is trusted once verified.

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace yard::webhooks {

enum class Sender { kGitHub, kGitLab, kGitea, kForgejo };

/// "github", "gitlab", "gitea" or "forgejo".
std::string_view SenderName(Sender sender);

/// Request headers by lowercase name, as http::Request holds them.
using Headers = std::map<std::string, std::string>;

struct Delivery {
  Sender sender = Sender::kGitHub;
  /// The sender's event name as sent: "push", "ping", "Push Hook", "Merge Request Hook".
  std::string event;
  /// The same for every retry of one event, and prefixed with the sender ("github:GUID"), so
  /// that a replay is recognised. Without a usable id header (GitLab before 17.4 on a retry,
  /// say) it is a digest of the body: "gitlab:sha256:HEX".
  std::string id;
  /// The event is a push (of branches or tags): GitHub's, Gitea's and Forgejo's "push",
  /// GitLab's "Push Hook" and "Tag Push Hook".
  bool push = false;
};

/// Reads the sender, event and delivery id from the headers; nullopt when no known sender's
/// event header is there. Nothing in the result is verified.
std::optional<Delivery> Describe(const Headers& headers, std::string_view body);

/// True when the request carries `sender`'s proof for `secret`: the HMAC-SHA256 of `body`
/// (GitHub, Gitea, Forgejo) or the secret itself (GitLab), compared in constant time. False
/// when the proof is missing or malformed, and always for an empty secret.
bool Verify(const Headers& headers, Sender sender, std::string_view body,
            std::string_view secret);

}  // namespace yard::webhooks

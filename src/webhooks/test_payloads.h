#pragma once

// Delivery bodies in the shape each sender sends them (fields Stackyard does not read are
// kept, trimmed, so that the parser is tested against what arrives and not against a sketch),
// and the headers that go with them. For webhooks_test and api_test.

#include <string>

#include "webhooks/delivery.h"
#include "webhooks/signature.h"

namespace yard::webhooks::samples {

inline constexpr const char* kBefore = "6113728f27ae82c7b1a177c8d03f9e96e0adf246";
inline constexpr const char* kAfter = "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c";
inline constexpr const char* kZero = "0000000000000000000000000000000000000000";

inline const std::string kGitHubPush = R"({
  "ref": "refs/heads/main",
  "before": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
  "after": "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
  "repository": {
    "id": 186853002,
    "node_id": "MDEwOlJlcG9zaXRvcnkxODY4NTMwMDI=",
    "name": "shop",
    "full_name": "acme/shop",
    "private": true,
    "owner": {"name": "acme", "login": "acme", "id": 21031067, "type": "Organization"},
    "html_url": "https://github.com/acme/shop",
    "clone_url": "https://github.com/acme/shop.git",
    "default_branch": "main",
    "pushed_at": 1767225600
  },
  "pusher": {"name": "ada", "email": "ada@example.com"},
  "sender": {"login": "ada", "id": 583231, "type": "User"},
  "created": false,
  "deleted": false,
  "forced": false,
  "base_ref": null,
  "compare": "https://github.com/acme/shop/compare/6113728f27ae...0d1a26e67d8f",
  "commits": [
    {
      "id": "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
      "tree_id": "f9d2a07e9488b91af2641b26b9407fe22a451433",
      "distinct": true,
      "message": "Checkout: show the total with tax",
      "timestamp": "2026-01-01T00:00:00+01:00",
      "url": "https://github.com/acme/shop/commit/0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
      "author": {"name": "Ada", "email": "ada@example.com", "username": "ada"},
      "committer": {"name": "GitHub", "email": "noreply@github.com", "username": "web-flow"},
      "added": [],
      "removed": [],
      "modified": ["web/checkout.py"]
    }
  ],
  "head_commit": {
    "id": "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
    "message": "Checkout: show the total with tax",
    "timestamp": "2026-01-01T00:00:00+01:00"
  }
})";

inline const std::string kGitHubDelete = R"({
  "ref": "refs/heads/feature/tax",
  "before": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
  "after": "0000000000000000000000000000000000000000",
  "repository": {"id": 186853002, "name": "shop", "full_name": "acme/shop"},
  "pusher": {"name": "ada", "email": "ada@example.com"},
  "created": false,
  "deleted": true,
  "forced": false,
  "base_ref": null,
  "compare": "https://github.com/acme/shop/compare/6113728f27ae...000000000000",
  "commits": [],
  "head_commit": null
})";

inline const std::string kGitHubPing = R"({
  "zen": "Design for failure.",
  "hook_id": 109948940,
  "hook": {
    "type": "Repository",
    "id": 109948940,
    "name": "web",
    "active": true,
    "events": ["push"],
    "config": {"content_type": "json", "insecure_ssl": "0",
               "url": "https://yard.example.com/api/v1/projects/shop/webhook"}
  },
  "repository": {"id": 186853002, "name": "shop", "full_name": "acme/shop"},
  "sender": {"login": "ada", "id": 583231, "type": "User"}
})";

inline const std::string kGitLabPush = R"({
  "object_kind": "push",
  "event_name": "push",
  "before": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
  "after": "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
  "ref": "refs/heads/main",
  "ref_protected": true,
  "checkout_sha": "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
  "message": null,
  "user_id": 4,
  "user_name": "Ada",
  "user_username": "ada",
  "user_email": "",
  "project_id": 15,
  "project": {
    "id": 15,
    "name": "shop",
    "web_url": "https://gitlab.example.com/acme/shop",
    "git_ssh_url": "git@gitlab.example.com:acme/shop.git",
    "git_http_url": "https://gitlab.example.com/acme/shop.git",
    "path_with_namespace": "acme/shop",
    "default_branch": "main"
  },
  "commits": [
    {
      "id": "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
      "message": "Checkout: show the total with tax\n",
      "title": "Checkout: show the total with tax",
      "timestamp": "2026-01-01T00:00:00+01:00",
      "url": "https://gitlab.example.com/acme/shop/-/commit/0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
      "author": {"name": "Ada", "email": "ada@example.com"},
      "added": [],
      "modified": ["web/checkout.py"],
      "removed": []
    }
  ],
  "total_commits_count": 1,
  "push_options": {},
  "repository": {
    "name": "shop",
    "url": "git@gitlab.example.com:acme/shop.git",
    "homepage": "https://gitlab.example.com/acme/shop",
    "visibility_level": 0
  }
})";

inline const std::string kGitLabDelete = R"({
  "object_kind": "push",
  "event_name": "push",
  "before": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
  "after": "0000000000000000000000000000000000000000",
  "ref": "refs/heads/feature/tax",
  "checkout_sha": null,
  "user_username": "ada",
  "project_id": 15,
  "project": {"id": 15, "name": "shop", "path_with_namespace": "acme/shop"},
  "commits": [],
  "total_commits_count": 0
})";

inline const std::string kGitLabMergeRequest = R"({
  "object_kind": "merge_request",
  "event_type": "merge_request",
  "user": {"id": 4, "name": "Ada", "username": "ada"},
  "project": {"id": 15, "name": "shop", "path_with_namespace": "acme/shop"},
  "object_attributes": {
    "iid": 7,
    "title": "Show the total with tax",
    "source_branch": "feature/tax",
    "target_branch": "main",
    "state": "opened",
    "action": "open"
  }
})";

// Gitea's and Forgejo's push payloads have the same shape.
inline const std::string kGiteaPush = R"({
  "ref": "refs/heads/main",
  "before": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
  "after": "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
  "compare_url": "https://git.example.com/acme/shop/compare/6113728f27ae82c7b1a177c8d03f9e96e0adf246...0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
  "commits": [
    {
      "id": "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
      "message": "Checkout: show the total with tax\n",
      "url": "https://git.example.com/acme/shop/commit/0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
      "author": {"name": "Ada", "email": "ada@example.com", "username": "ada"},
      "committer": {"name": "Ada", "email": "ada@example.com", "username": "ada"},
      "verification": null,
      "timestamp": "2026-01-01T00:00:00+01:00",
      "added": [],
      "removed": [],
      "modified": ["web/checkout.py"]
    }
  ],
  "total_commits": 1,
  "head_commit": {"id": "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"},
  "repository": {
    "id": 140,
    "owner": {"id": 1, "login": "acme", "full_name": "", "username": "acme"},
    "name": "shop",
    "full_name": "acme/shop",
    "private": true,
    "html_url": "https://git.example.com/acme/shop",
    "clone_url": "https://git.example.com/acme/shop.git",
    "default_branch": "main"
  },
  "pusher": {"id": 1, "login": "ada", "username": "ada"},
  "sender": {"id": 1, "login": "ada", "username": "ada"}
})";

inline const std::string kGiteaDelete = R"({
  "ref": "refs/heads/feature/tax",
  "before": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
  "after": "0000000000000000000000000000000000000000",
  "compare_url": "",
  "commits": [],
  "total_commits": 0,
  "head_commit": null,
  "repository": {"id": 140, "name": "shop", "full_name": "acme/shop"},
  "pusher": {"id": 1, "login": "ada", "username": "ada"},
  "sender": {"id": 1, "login": "ada", "username": "ada"}
})";

// Headers as each sender sends them with `body`, signed with `secret`.

inline Headers GitHubHeaders(const std::string& event, const std::string& body,
                             const std::string& secret,
                             const std::string& delivery = "72d3162e-cc78-11e3-81ab-4c9367dc0958") {
  return {{"content-type", "application/json"},
          {"user-agent", "GitHub-Hookshot/044aadd"},
          {"x-github-event", event},
          {"x-github-delivery", delivery},
          {"x-github-hook-id", "109948940"},
          {"x-hub-signature", "sha1=not-checked"},
          {"x-hub-signature-256", "sha256=" + HmacSha256Hex(secret, body)}};
}

inline Headers GitLabHeaders(const std::string& event, const std::string& token,
                             const std::string& uuid = "4c4e1bd8-1f7a-4a2e-9d7c-2b6c1f0e9a11") {
  Headers headers = {{"content-type", "application/json"},
                     {"user-agent", "GitLab/17.6.0"},
                     {"x-gitlab-event", event},
                     {"x-gitlab-instance", "https://gitlab.example.com"},
                     {"x-gitlab-webhook-uuid", "2f5e4a1c-77a3-4c55-9a63-3c3f0a4b5a10"},
                     {"x-gitlab-token", token}};
  if (!uuid.empty()) headers["x-gitlab-event-uuid"] = uuid;
  return headers;
}

// Gitea sends GitHub's and Gogs' headers too.
inline Headers GiteaHeaders(const std::string& event, const std::string& body,
                            const std::string& secret,
                            const std::string& delivery = "f6266f16-1bf3-46a5-9ea4-602e06ead473") {
  std::string signature = HmacSha256Hex(secret, body);
  return {{"content-type", "application/json"},
          {"x-gitea-delivery", delivery},
          {"x-gitea-event", event},
          {"x-gitea-event-type", event},
          {"x-gitea-signature", signature},
          {"x-gogs-delivery", delivery},
          {"x-gogs-event", event},
          {"x-gogs-signature", signature},
          {"x-github-delivery", delivery},
          {"x-github-event", event},
          {"x-hub-signature-256", "sha256=" + signature}};
}

// Forgejo sends Gitea's headers too.
inline Headers ForgejoHeaders(const std::string& event, const std::string& body,
                              const std::string& secret,
                              const std::string& delivery = "0b7c3a56-8d5e-4a8c-9d1c-5f0e3e2b7a44") {
  Headers headers = GiteaHeaders(event, body, secret, delivery);
  headers["x-forgejo-delivery"] = delivery;
  headers["x-forgejo-event"] = event;
  headers["x-forgejo-event-type"] = event;
  headers["x-forgejo-signature"] = HmacSha256Hex(secret, body);
  return headers;
}

}  // namespace yard::webhooks::samples

#include "edge/hostnames.h"

#include <openssl/sha.h>

#include <algorithm>

namespace yard::edge {
namespace {

constexpr size_t kDigestLength = 6;
// RFC 4648 base32 in lowercase: letters and digits only, so the label stays DNS-safe.
constexpr std::string_view kAlphabet = "abcdefghijklmnopqrstuvwxyz234567";

std::string Digest(std::string_view endpoint, std::string_view deployment,
                   std::string_view project) {
  std::string input;
  // NUL cannot appear in a name: the three parts are told apart exactly.
  for (std::string_view part : {endpoint, deployment, project}) {
    input.append(part);
    input.push_back('\0');
  }
  unsigned char hash[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), hash);
  std::string out;
  uint64_t bits = 0;
  for (int i = 0; i < 8; ++i) bits = (bits << 8) | hash[i];
  for (size_t i = 0; i < kDigestLength; ++i) out.push_back(kAlphabet[(bits >> (59 - 5 * i)) & 31]);
  return out;
}

// Cuts `name` to at most `length` characters, never leaving a dash at its end, and folds
// runs of dashes into one ("ab--c" at a label's start is reserved for IDNA). The digest keeps
// the exact names apart.
std::string Cut(std::string_view name, size_t length) {
  std::string out;
  for (char c : name.substr(0, length)) {
    if (c == '-' && !out.empty() && out.back() == '-') continue;
    out.push_back(c);
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

}  // namespace

std::string EndpointLabel(std::string_view endpoint, std::string_view deployment,
                          std::string_view project) {
  bool dashed = std::any_of(endpoint.begin(), endpoint.end(), [](char c) { return c == '-'; }) ||
                std::any_of(deployment.begin(), deployment.end(), [](char c) { return c == '-'; }) ||
                std::any_of(project.begin(), project.end(), [](char c) { return c == '-'; });
  size_t plain = endpoint.size() + deployment.size() + project.size() + 2;
  if (!dashed && plain <= kMaxLabel) {
    return std::string(endpoint) + "-" + std::string(deployment) + "-" + std::string(project);
  }
  // Room for the names: 63 - 3 dashes - the digest. Shorten the longest name first, so
  // that short names (the endpoint, usually) stay whole.
  size_t budget = kMaxLabel - 3 - kDigestLength;
  size_t lengths[3] = {endpoint.size(), deployment.size(), project.size()};
  while (lengths[0] + lengths[1] + lengths[2] > budget) {
    size_t* longest = std::max_element(std::begin(lengths), std::end(lengths));
    --*longest;
  }
  std::string label;
  std::string_view parts[3] = {endpoint, deployment, project};
  for (int i = 0; i < 3; ++i) {
    std::string cut = Cut(parts[i], lengths[i]);
    if (cut.empty()) continue;  // cut to nothing: the digest still tells it apart
    label += cut;
    label += '-';
  }
  label += Digest(endpoint, deployment, project);
  return label;
}

std::string EndpointHost(std::string_view endpoint, std::string_view deployment,
                         std::string_view project, std::string_view domain) {
  return EndpointLabel(endpoint, deployment, project) + "." + std::string(domain);
}

}  // namespace yard::edge

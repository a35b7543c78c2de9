#include "edge/domain_names.h"

#include <fmt/core.h>

#include <algorithm>
#include <vector>

#include "edge/hostnames.h"

namespace yard::edge {
namespace {

Unexpected Invalid(std::string message) {
  return Unexpected(ErrorCode::kInvalidArgument, std::move(message));
}

// The input as it appears in messages: whole unless it is very long.
std::string Quoted(std::string_view text) {
  constexpr size_t kShown = 80;
  if (text.size() <= kShown) return fmt::format("'{}'", text);
  return fmt::format("'{}…'", text.substr(0, kShown));
}

bool AllDigits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool LabelChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

std::vector<std::string_view> SplitLabels(std::string_view name) {
  std::vector<std::string_view> labels;
  size_t start = 0;
  while (true) {
    size_t dot = name.find('.', start);
    labels.push_back(name.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) return labels;
    start = dot + 1;
  }
}

Status CheckLabel(std::string_view label, std::string_view name) {
  if (label.empty()) {
    return Invalid(
        fmt::format("{} has an empty label (a leading dot or two dots in a row)", Quoted(name)));
  }
  if (label.size() > kMaxLabel) {
    return Invalid(fmt::format("label {} of {} is {} characters long; a label has at most {}",
                               Quoted(label), Quoted(name), label.size(), kMaxLabel));
  }
  auto bad = std::find_if_not(label.begin(), label.end(), LabelChar);
  if (bad != label.end()) {
    return Invalid(fmt::format("label {} of {} has '{}': labels are letters a-z, digits and '-'",
                               Quoted(label), Quoted(name), *bad));
  }
  if (label.front() == '-' || label.back() == '-') {
    return Invalid(fmt::format("label {} of {} {} with '-'", Quoted(label), Quoted(name),
                               label.front() == '-' ? "starts" : "ends"));
  }
  return Ok();
}

}  // namespace

std::string CanonicalHostname(std::string_view input) {
  std::string name(input);
  for (char& c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (!name.empty() && name.back() == '.') name.pop_back();
  return name;
}

Result<std::string> NormalizeCustomDomain(std::string_view input, std::string_view base_domain) {
  if (input.empty()) return Invalid("a domain name is required, e.g. www.example.com");
  // Checked before the labels, whose "letters a-z" message would hide the way out.
  if (std::any_of(input.begin(), input.end(),
                  [](char c) { return static_cast<unsigned char>(c) >= 0x80; })) {
    return Invalid(fmt::format(
        "{} has non-ASCII characters: write an internationalised name in its punycode form "
        "(bücher.example is xn--bcher-kva.example)",
        Quoted(input)));
  }
  if (input.find(':') != std::string_view::npos || input.front() == '[') {
    return Invalid(fmt::format(
        "{} is an IP address or has a port; a custom domain is a DNS name only", Quoted(input)));
  }
  if (input.find('*') != std::string_view::npos) {
    return Invalid(
        fmt::format("{} is a wildcard; wildcards are not supported: add each "
                    "hostname on its own",
                    Quoted(input)));
  }

  std::string name = CanonicalHostname(input);
  if (name.empty()) return Invalid(fmt::format("{} is not a hostname", Quoted(input)));
  if (name.size() > kMaxHostname) {
    return Invalid(fmt::format("{} is {} characters long; a hostname has at most {}", Quoted(name),
                               name.size(), kMaxHostname));
  }
  std::vector<std::string_view> labels = SplitLabels(name);
  for (std::string_view label : labels) TRY(CheckLabel(label, name));

  if (name == "localhost") {
    return Invalid(
        "'localhost' is each machine's own name; no certificate authority can "
        "certify it");
  }
  if (labels.size() < 2) {
    return Invalid(
        fmt::format("{} is a single label; a custom domain is a full name such as "
                    "www.example.com",
                    Quoted(name)));
  }
  if (std::all_of(labels.begin(), labels.end(), AllDigits)) {
    return Invalid(
        fmt::format("{} is an IP address; a custom domain is a DNS name that "
                    "points at this server",
                    Quoted(name)));
  }
  if (AllDigits(labels.back())) {
    return Invalid(
        fmt::format("{} ends with the label '{}', which is all digits: no top-level "
                    "domain is",
                    Quoted(name), labels.back()));
  }

  // Generated hostnames are exactly one label under the base domain, all of them covered by
  // one wildcard record and certificate: a custom domain there could take one of them.
  std::string base = CanonicalHostname(base_domain);
  if (!base.empty()) {
    if (name == base) {
      return Invalid(fmt::format(
          "{} is this server's base domain, under which it generates endpoint hostnames; pick "
          "a name outside it or deeper (e.g. www.shop.{})",
          Quoted(name), base));
    }
    std::string suffix = "." + base;
    if (name.ends_with(suffix) && name.size() > suffix.size() &&
        name.substr(0, name.size() - suffix.size()).find('.') == std::string::npos) {
      return Invalid(fmt::format(
          "{} is one label under {}, where this server generates endpoint hostnames; pick a "
          "name outside it or deeper (e.g. www.{})",
          Quoted(name), base, name));
    }
  }
  return name;
}

}  // namespace yard::edge

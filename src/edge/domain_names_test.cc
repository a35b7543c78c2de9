#include "edge/domain_names.h"

#include <gtest/gtest.h>

#include <string>

namespace yard::edge {
namespace {

constexpr std::string_view kBase = "apps.example.com";

// The error message for `input`, or "" (a failed expectation) when it was accepted.
std::string Rejection(std::string_view input, std::string_view base = kBase) {
  auto result = NormalizeCustomDomain(input, base);
  if (result) {
    ADD_FAILURE() << "accepted '" << input << "' as '" << *result << "'";
    return "";
  }
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument) << input;
  return result.error().message;
}

bool Says(const std::string& message, std::string_view part) {
  return message.find(part) != std::string::npos;
}

TEST(NormalizeCustomDomainTest, LowercasesAndDropsOneTrailingDot) {
  EXPECT_EQ(MUST(NormalizeCustomDomain("WWW.Example.COM", kBase)), "www.example.com");
  EXPECT_EQ(MUST(NormalizeCustomDomain("shop.example.org.", kBase)), "shop.example.org");
  EXPECT_EQ(MUST(NormalizeCustomDomain("a-b.c0.example", kBase)), "a-b.c0.example");
  EXPECT_TRUE(Says(Rejection("shop.example.org.."), "empty label"));
}

TEST(NormalizeCustomDomainTest, PunycodeIsFineAndUnicodeGetsAHint) {
  EXPECT_EQ(MUST(NormalizeCustomDomain("xn--bcher-kva.example", kBase)), "xn--bcher-kva.example");
  std::string message = Rejection("bücher.example");
  EXPECT_TRUE(Says(message, "non-ASCII")) << message;
  EXPECT_TRUE(Says(message, "punycode")) << message;
}

TEST(NormalizeCustomDomainTest, LabelRules) {
  std::string label63(63, 'a');
  EXPECT_TRUE(NormalizeCustomDomain(label63 + ".example.com", kBase));
  std::string message = Rejection(label63 + "a.example.com");
  EXPECT_TRUE(Says(message, "64 characters long")) << message;

  message = Rejection("my_app.example.com");
  EXPECT_TRUE(Says(message, "label 'my_app'")) << message;
  EXPECT_TRUE(Says(message, "'_'")) << message;
  EXPECT_TRUE(Says(Rejection("-shop.example.com"), "starts with '-'"));
  EXPECT_TRUE(Says(Rejection("shop-.example.com"), "ends with '-'"));
  EXPECT_TRUE(Says(Rejection(".example.com"), "empty label"));
  EXPECT_TRUE(Says(Rejection("a..example.com"), "empty label"));
  EXPECT_TRUE(Says(Rejection("shop example.com"), "' '"));
  EXPECT_TRUE(Says(Rejection("shop.example.com/path"), "'/'"));
  EXPECT_TRUE(Says(Rejection(""), "required"));
  EXPECT_TRUE(Says(Rejection("."), "not a hostname"));
}

TEST(NormalizeCustomDomainTest, TotalLengthIsAtMost253) {
  std::string name;
  while (name.size() < 253) name += std::string(49, 'a') + ".";  // 50 per label and dot
  name = name.substr(0, 249) + ".com";                           // 253 characters
  ASSERT_EQ(name.size(), 253u);
  EXPECT_TRUE(NormalizeCustomDomain(name, kBase)) << name;
  std::string message = Rejection("a" + name);
  EXPECT_TRUE(Says(message, "254 characters long")) << message;
}

TEST(NormalizeCustomDomainTest, NeedsAtLeastTwoLabels) {
  EXPECT_TRUE(Says(Rejection("intranet"), "single label"));
  EXPECT_TRUE(Says(Rejection("localhost"), "'localhost'"));
  EXPECT_TRUE(Says(Rejection("LocalHost."), "'localhost'"));
}

TEST(NormalizeCustomDomainTest, IpAddressesAndWildcardsAreRefused) {
  EXPECT_TRUE(Says(Rejection("192.168.1.10"), "IP address"));
  EXPECT_TRUE(Says(Rejection("10.0.0"), "IP address"));
  EXPECT_TRUE(Says(Rejection("::1"), "IP address"));
  EXPECT_TRUE(Says(Rejection("[2001:db8::1]"), "IP address"));
  EXPECT_TRUE(Says(Rejection("example.com:8443"), "port"));
  EXPECT_TRUE(Says(Rejection("shop.123"), "all digits"));
  EXPECT_TRUE(Says(Rejection("*.example.com"), "wildcard"));
  EXPECT_TRUE(Says(Rejection("www.*.example.com"), "wildcard"));
  // Digits are fine anywhere but the top-level label.
  EXPECT_TRUE(NormalizeCustomDomain("1.2.3.example.com", kBase));
}

TEST(NormalizeCustomDomainTest, TheGeneratedNamespaceIsReserved) {
  std::string message = Rejection("apps.example.com");
  EXPECT_TRUE(Says(message, "base domain")) << message;
  EXPECT_TRUE(Says(message, "outside it or deeper")) << message;
  message = Rejection("shop.apps.example.com");
  EXPECT_TRUE(Says(message, "one label under apps.example.com")) << message;
  EXPECT_TRUE(Says(message, "outside it or deeper")) << message;
  EXPECT_TRUE(Says(Rejection("App-Dev-Shop.APPS.example.com."), "one label under"));
  // The base domain is compared in canonical form too.
  EXPECT_TRUE(Says(Rejection("shop.apps.example.com", "Apps.Example.com."), "one label under"));
  // Deeper, beside or above it is fine.
  EXPECT_TRUE(NormalizeCustomDomain("www.shop.apps.example.com", kBase));
  EXPECT_TRUE(NormalizeCustomDomain("shop.example.com", kBase));
  EXPECT_TRUE(NormalizeCustomDomain("example.com", kBase));
  EXPECT_TRUE(NormalizeCustomDomain("shopapps.example.com", kBase));
  // With the default base, `*.localhost` is the generated namespace.
  EXPECT_TRUE(Says(Rejection("shop.localhost", "localhost"), "one label under localhost"));
  EXPECT_TRUE(NormalizeCustomDomain("a.shop.localhost", "localhost"));
}

TEST(CanonicalHostnameTest, OnlyLowercasesAndDropsOneDot) {
  EXPECT_EQ(CanonicalHostname("WWW.Example.com."), "www.example.com");
  EXPECT_EQ(CanonicalHostname("a..b.."), "a..b.");
  EXPECT_EQ(CanonicalHostname(""), "");
}

}  // namespace
}  // namespace yard::edge

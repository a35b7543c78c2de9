#include "edge/certificates.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

#include "base/fs.h"
#include "testing/temp_dir.h"

namespace yard::edge {
namespace {

using State = CertificateInfo::State;

constexpr int64_t kDay = 24 * 3600;
constexpr int64_t kNow = 1'800'000'000;

// A self-signed certificate for `host` valid from not_before to not_after (unix seconds).
std::string MakeCertificate(const std::string& host, int64_t not_before, int64_t not_after) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  if (!key || !cert) return "";
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  ASN1_TIME_set(X509_getm_notBefore(cert.get()), static_cast<time_t>(not_before));
  ASN1_TIME_set(X509_getm_notAfter(cert.get()), static_cast<time_t>(not_after));
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(host.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509_set_pubkey(cert.get(), key.get());
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) return "";
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_X509(bio.get(), cert.get());
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

class ReadCertificateTest : public ::testing::Test {
 protected:
  std::string storage() const { return dir_.File("storage"); }

  // Stores a certificate as Caddy's file storage does; with `ca_url`, the ACME metadata too.
  std::string Store(const std::string& issuer_key, const std::string& host, int64_t not_before,
                    int64_t not_after, const std::string& ca_url = "") {
    std::string site = storage() + "/certificates/" + issuer_key + "/" + host;
    EXPECT_TRUE(fs::CreateDirectories(site));
    std::string pem = MakeCertificate(host, not_before, not_after);
    EXPECT_FALSE(pem.empty());
    // Caddy stores the leaf followed by its issuer; only the first one counts.
    std::string chain = pem + MakeCertificate("Some Intermediate", 0, kNow + 3650 * kDay);
    EXPECT_TRUE(fs::AtomicWriteFile(site + "/" + host + ".crt", chain));
    std::string metadata = "{\n\t\"sans\": [\"" + host + "\"]";
    if (!ca_url.empty()) metadata += ",\n\t\"issuer_data\": {\"url\": \"" + ca_url + "\"}";
    EXPECT_TRUE(fs::AtomicWriteFile(site + "/" + host + ".json", metadata + "\n}"));
    return site + "/" + host + ".crt";
  }

  yard::testing::TempDir dir_;
};

TEST_F(ReadCertificateTest, NoneWithoutStorageOrCertificate) {
  EXPECT_EQ(ReadCertificate(storage(), "app.localhost", kNow).state, State::kNone);
  Store("local", "other.localhost", kNow - kDay, kNow + kDay);
  CertificateInfo info = ReadCertificate(storage(), "app.localhost", kNow);
  EXPECT_EQ(info.state, State::kNone);
  EXPECT_EQ(info.path, "");
  EXPECT_EQ(ReadCertificate(storage(), "", kNow).state, State::kNone);
}

TEST_F(ReadCertificateTest, InternalCertificate) {
  std::string path = Store("local", "app.localhost", kNow - 3600, kNow + 11 * 3600);
  CertificateInfo info = ReadCertificate(storage(), "app.localhost", kNow);
  EXPECT_EQ(info.state, State::kValid);
  EXPECT_EQ(info.issuer, "internal");
  EXPECT_EQ(info.not_before, kNow - 3600);
  EXPECT_EQ(info.not_after, kNow + 11 * 3600);
  EXPECT_EQ(info.path, path);
  EXPECT_EQ(ReadCertificate(storage(), "App.Localhost", kNow).path, path) << "names are keys";
}

TEST_F(ReadCertificateTest, ExpiredFromNotAfterOn) {
  Store("local", "app.localhost", kNow - 2 * kDay, kNow);
  EXPECT_EQ(ReadCertificate(storage(), "app.localhost", kNow - 1).state, State::kValid);
  EXPECT_EQ(ReadCertificate(storage(), "app.localhost", kNow).state, State::kExpired);
  EXPECT_EQ(ReadCertificate(storage(), "app.localhost", kNow + kDay).state, State::kExpired);
}

TEST_F(ReadCertificateTest, LatestNotAfterAcrossIssuers) {
  Store("local", "shop.example.com", kNow - 30 * kDay, kNow - kDay);
  std::string acme =
      Store("acme-v02.api.letsencrypt.org-directory", "shop.example.com", kNow - kDay,
            kNow + 89 * kDay, "https://acme-v02.api.letsencrypt.org/acme/cert/03ab");
  Store("127.0.0.1-14000-dir", "shop.example.com", kNow - 60 * kDay, kNow + kDay,
        "https://127.0.0.1:14000/certZ/1f28f821b060920e");
  CertificateInfo info = ReadCertificate(storage(), "shop.example.com", kNow);
  EXPECT_EQ(info.state, State::kValid);
  EXPECT_EQ(info.issuer, "acme-v02.api.letsencrypt.org");
  EXPECT_EQ(info.not_after, kNow + 89 * kDay);
  EXPECT_EQ(info.path, acme);
}

TEST_F(ReadCertificateTest, AcmeIssuerHostKeepsItsPort) {
  Store("127.0.0.1-14000-dir", "shop.example.com", kNow - kDay, kNow + kDay,
        "https://127.0.0.1:14000/certZ/1f28f821b060920e");
  EXPECT_EQ(ReadCertificate(storage(), "shop.example.com", kNow).issuer, "127.0.0.1:14000");
}

TEST_F(ReadCertificateTest, IssuerKeyWithoutMetadata) {
  Store("acme.zerossl.com-v2-dv90", "shop.example.com", kNow - kDay, kNow + kDay);
  EXPECT_EQ(ReadCertificate(storage(), "shop.example.com", kNow).issuer,
            "acme.zerossl.com-v2-dv90");
}

TEST_F(ReadCertificateTest, ReplacedCertificateIsReadAgain) {
  Store("local", "app.localhost", kNow - kDay, kNow + kDay);
  EXPECT_EQ(ReadCertificate(storage(), "app.localhost", kNow).not_after, kNow + kDay);
  Store("local", "app.localhost", kNow, kNow + 2 * kDay);
  EXPECT_EQ(ReadCertificate(storage(), "app.localhost", kNow).not_after, kNow + 2 * kDay);
}

TEST_F(ReadCertificateTest, UnparsableCertificateIsNone) {
  std::string site = storage() + "/certificates/local/app.localhost";
  ASSERT_TRUE(fs::CreateDirectories(site));
  ASSERT_TRUE(fs::AtomicWriteFile(site + "/app.localhost.crt", "not a certificate\n"));
  EXPECT_EQ(ReadCertificate(storage(), "app.localhost", kNow).state, State::kNone);
}

TEST(StorageKeyTest, LikeCertmagic) {
  EXPECT_EQ(StorageKey("app-dev-shop.localhost"), "app-dev-shop.localhost");
  EXPECT_EQ(StorageKey(" Shop.Example.COM "), "shop.example.com");
  EXPECT_EQ(StorageKey("*.example.com"), "wildcard_.example.com");
  EXPECT_EQ(StorageKey("127.0.0.1:14000"), "127.0.0.1-14000");
  EXPECT_EQ(StorageKey("../etc"), "etc");
  EXPECT_EQ(StorageKey("a/b"), "ab");
}

// Lines as Caddy 2.6.2 wrote them.
constexpr const char* kChallengeFailed =
    R"({"level":"error","ts":1795755688.5730236,"logger":"http.acme_client","msg":"challenge failed","identifier":"fail.example.com","challenge_type":"tls-alpn-01","status_code":400,"problem_type":"urn:ietf:params:acme:error:malformed","error":"Error occurred while resolving URL \"fail.example.com\": \"lookup fail.example.com on 10.255.255.53:53: no such host\""})";
constexpr const char* kCouldNotGet =
    R"({"level":"error","ts":1795755688.573082,"logger":"tls.obtain","msg":"could not get certificate from issuer","identifier":"fail.example.com","issuer":"127.0.0.1:24000-dir","error":"HTTP 400 urn:ietf:params:acme:error:malformed - Error occurred while resolving URL \"fail.example.com\": \"lookup fail.example.com on 10.255.255.53:53: no such host\""})";
constexpr const char* kWillRetry =
    R"({"level":"error","ts":1795755688.5731206,"logger":"tls.obtain","msg":"will retry","error":"[fail.example.com] Obtain: [fail.example.com] solving challenge: fail.example.com: ...","attempt":1,"retrying_in":60,"elapsed":0.269247171,"max_duration":2592000})";
constexpr const char* kObtained =
    R"({"level":"info","ts":1795755657.8338017,"logger":"tls.obtain","msg":"certificate obtained successfully","identifier":"fail.example.com"})";
constexpr const char* kUnableToUnlock =
    R"({"level":"error","ts":1795755799.3982859,"logger":"tls.obtain","msg":"unable to unlock","identifier":"other.example.com","lock_key":"issue_cert_other.example.com","error":"remove /x/storage/locks/issue_cert_other.example.com.lock: no such file or directory"})";
constexpr const char* kCanceled =
    R"({"level":"error","ts":1795755799.3,"logger":"tls.obtain","msg":"could not get certificate from issuer","identifier":"other.example.com","issuer":"127.0.0.1:24000-dir","error":"[other.example.com] creating new order: context canceled"})";
constexpr const char* kStapling =
    R"({"level":"warn","ts":1795755657.303373,"logger":"tls","msg":"stapling OCSP","error":"no OCSP stapling for [app.localhost]: no OCSP server specified in certificate","identifiers":["app.localhost"]})";
constexpr const char* kAdminError =
    R"({"level":"error","ts":1795755654.146652,"logger":"admin.api","msg":"request error","error":"host not allowed: x","status_code":403,"identifier":"x"})";

TEST(CertificateErrorsTest, LastErrorUntilObtained) {
  CertificateErrors errors;
  EXPECT_EQ(errors.Observe(kChallengeFailed), "fail.example.com");
  EXPECT_EQ(errors.Observe(kCouldNotGet), "fail.example.com");
  EXPECT_EQ(errors.Observe(kWillRetry), std::nullopt) << "no identifier";
  EXPECT_EQ(errors.Observe(kCouldNotGet), std::nullopt) << "the same error again";
  auto error = errors.Get("Fail.Example.com");
  ASSERT_TRUE(error);
  EXPECT_EQ(*error,
            "HTTP 400 urn:ietf:params:acme:error:malformed - Error occurred while resolving URL "
            "\"fail.example.com\": \"lookup fail.example.com on 10.255.255.53:53: no such "
            "host\"");
  EXPECT_EQ(errors.Observe(kObtained), "fail.example.com");
  EXPECT_EQ(errors.Get("fail.example.com"), std::nullopt);
  EXPECT_EQ(errors.Observe(kObtained), std::nullopt);
}

TEST(CertificateErrorsTest, IgnoresWhatIsNotACertificateError) {
  CertificateErrors errors;
  for (const char* line : {kUnableToUnlock, kCanceled, kStapling, kAdminError, "", "{",
                           "2026/11/27 05:00:48 plain text", "[1,2]", "{\"identifier\":3}"}) {
    EXPECT_EQ(errors.Observe(line), std::nullopt) << line;
  }
  EXPECT_EQ(errors.Get("other.example.com"), std::nullopt);
  EXPECT_EQ(errors.Get("app.localhost"), std::nullopt);
  EXPECT_EQ(errors.Get("x"), std::nullopt);
}

TEST(CertificateErrorsTest, NewerAcmeLoggerNames) {
  CertificateErrors errors;
  EXPECT_EQ(errors.Observe(R"({"level":"error","logger":"tls.issuance.acme.acme_client",)"
                           R"("msg":"challenge failed","identifier":"a.example.com",)"
                           R"("error":"no such host"})"),
            "a.example.com");
  EXPECT_EQ(errors.Get("a.example.com"), "no such host");
}

}  // namespace
}  // namespace yard::edge

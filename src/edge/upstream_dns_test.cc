#include "edge/upstream_dns.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace yard::edge {
namespace {

using testing::ElementsAre;
using testing::IsEmpty;

constexpr uint16_t kTypeA = 1;
constexpr uint16_t kTypeAaaa = 28;
constexpr uint16_t kTypeOpt = 41;
constexpr uint8_t kNoError = 0;
constexpr uint8_t kFormErr = 1;
constexpr uint8_t kNxDomain = 3;
constexpr uint8_t kNotImp = 4;

using Bytes = std::vector<uint8_t>;

void Put16(Bytes& out, uint16_t value) {
  out.push_back(static_cast<uint8_t>(value >> 8));
  out.push_back(static_cast<uint8_t>(value & 0xFF));
}

uint16_t Get16(const Bytes& in, size_t at) {
  return static_cast<uint16_t>(in.at(at) << 8 | in.at(at + 1));
}

// The name in wire form: "app.test" and "app.test." both give 3 a p p 4 t e s t 0.
Bytes WireName(std::string_view name) {
  Bytes out;
  while (!name.empty()) {
    const size_t dot = name.find('.');
    const std::string_view label = name.substr(0, dot);
    out.push_back(static_cast<uint8_t>(label.size()));
    out.insert(out.end(), label.begin(), label.end());
    name = dot == std::string_view::npos ? std::string_view() : name.substr(dot + 1);
  }
  out.push_back(0);
  return out;
}

struct QueryOptions {
  uint16_t id = 0x1234;
  uint16_t type = kTypeA;
  uint8_t opcode = 0;
  uint16_t qdcount = 1;
  bool edns = false;  // an OPT record in the additional section, as Go's resolver sends
};

Bytes Header(const QueryOptions& options, uint16_t arcount) {
  Bytes out;
  Put16(out, options.id);
  out.push_back(static_cast<uint8_t>(options.opcode << 3 | 0x01));  // RD, as stub resolvers set
  out.push_back(0);
  Put16(out, options.qdcount);
  Put16(out, 0);
  Put16(out, 0);
  Put16(out, arcount);
  return out;
}

Bytes Query(std::string_view name, const QueryOptions& options = {}) {
  Bytes out = Header(options, options.edns ? 1 : 0);
  const Bytes wire = WireName(name);
  out.insert(out.end(), wire.begin(), wire.end());
  Put16(out, options.type);
  Put16(out, 1);  // IN
  if (options.edns) {
    out.push_back(0);  // root name
    Put16(out, kTypeOpt);
    Put16(out, 1232);  // the client's UDP payload size
    Put16(out, 0);     // extended RCODE, version
    Put16(out, 0);     // flags
    Put16(out, 0);     // RDLENGTH
  }
  return out;
}

// A header that asks one question, followed by `rest` as the question.
Bytes Raw(const Bytes& rest, uint16_t id = 0x1234) {
  Bytes out = Header({.id = id}, 0);
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

struct Reply {
  Bytes raw;
  uint16_t id = 0;
  bool qr = false, aa = false, tc = false, rd = false;
  uint8_t opcode = 0, rcode = 0;
  uint16_t qdcount = 0, ancount = 0, nscount = 0, arcount = 0;
  std::vector<std::string> addresses;  // from the answers, checked to be well formed
};

// Decodes a reply to `query`; the answers must have the shape the responder promises.
Reply Decode(const Bytes& raw, const Bytes& query) {
  Reply reply;
  reply.raw = raw;
  EXPECT_GE(raw.size(), 12u);
  if (raw.size() < 12) return reply;
  reply.id = Get16(raw, 0);
  reply.qr = (raw[2] & 0x80) != 0;
  reply.opcode = (raw[2] >> 3) & 0x0F;
  reply.aa = (raw[2] & 0x04) != 0;
  reply.tc = (raw[2] & 0x02) != 0;
  reply.rd = (raw[2] & 0x01) != 0;
  reply.rcode = raw[3] & 0x0F;
  reply.qdcount = Get16(raw, 4);
  reply.ancount = Get16(raw, 6);
  reply.nscount = Get16(raw, 8);
  reply.arcount = Get16(raw, 10);
  if (reply.qdcount == 0) {
    EXPECT_EQ(raw.size(), 12u);
    return reply;
  }
  // The question is echoed: the query's bytes from 12 up to the end of QCLASS.
  size_t at = 12;
  while (at < query.size() && query[at] != 0) at += 1 + query[at];
  at += 5;
  EXPECT_LE(at, raw.size());
  if (at > raw.size()) return reply;
  EXPECT_EQ(Bytes(raw.begin() + 12, raw.begin() + static_cast<ptrdiff_t>(at)),
            Bytes(query.begin() + 12, query.begin() + static_cast<ptrdiff_t>(at)));
  for (int i = 0; i < reply.ancount; ++i, at += 16) {
    EXPECT_LE(at + 16, raw.size());
    if (at + 16 > raw.size()) return reply;
    EXPECT_EQ(Get16(raw, at), 0xC00C) << "answer " << i << ": name points to the question";
    EXPECT_EQ(Get16(raw, at + 2), kTypeA);
    EXPECT_EQ(Get16(raw, at + 4), 1) << "class IN";
    EXPECT_EQ(Get16(raw, at + 6), 0) << "TTL 0";
    EXPECT_EQ(Get16(raw, at + 8), 0) << "TTL 0";
    EXPECT_EQ(Get16(raw, at + 10), 4) << "RDLENGTH";
    char text[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, raw.data() + at + 12, text, sizeof text);
    reply.addresses.push_back(text);
  }
  EXPECT_EQ(at, raw.size()) << "nothing after the answers";
  return reply;
}

// A UDP socket connected to the responder, so that it receives from nothing else.
class Client {
 public:
  explicit Client(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ =
        fd_ >= 0 && connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  }
  ~Client() {
    if (fd_ >= 0) close(fd_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }

  void Send(const Bytes& datagram) {
    ASSERT_EQ(send(fd_, datagram.data(), datagram.size(), 0),
              static_cast<ssize_t>(datagram.size()));
  }

  /// The next datagram; nothing when none comes in a long while (a broken responder, not a
  /// slow machine) or on a socket error, whose errno is then in `error`.
  std::optional<Bytes> Receive(int* error = nullptr) {
    pollfd fd{fd_, POLLIN, 0};
    if (poll(&fd, 1, 10'000) != 1) return std::nullopt;
    Bytes buffer(65536);
    const ssize_t got = recv(fd_, buffer.data(), buffer.size(), 0);
    if (got < 0) {
      if (error != nullptr) *error = errno;
      return std::nullopt;
    }
    buffer.resize(static_cast<size_t>(got));
    return buffer;
  }

  /// Sends `query` and decodes the reply, which must come.
  Reply Ask(const Bytes& query) {
    Send(query);
    std::optional<Bytes> raw = Receive();
    EXPECT_TRUE(raw.has_value()) << "no reply";
    if (!raw) return {};
    return Decode(*raw, query);
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

class UpstreamDnsTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dns_.Start().has_value());
    ASSERT_NE(dns_.port(), 0);
  }

  UpstreamDns dns_;
};

TEST_F(UpstreamDnsTest, AnswersAWithOneRecordPerAddress) {
  dns_.Set("app.test", {"10.88.0.5", "10.88.0.6"});
  Client client(dns_.port());
  ASSERT_TRUE(client.connected());
  const Bytes query = Query("app.test", {.id = 0xBEEF});
  const Reply reply = client.Ask(query);
  EXPECT_EQ(reply.id, 0xBEEF);
  EXPECT_TRUE(reply.qr);
  EXPECT_TRUE(reply.aa);
  EXPECT_FALSE(reply.tc);
  EXPECT_TRUE(reply.rd) << "RD is echoed";
  EXPECT_EQ(reply.opcode, 0);
  EXPECT_EQ(reply.rcode, kNoError);
  EXPECT_EQ(reply.qdcount, 1);
  EXPECT_EQ(reply.ancount, 2);
  EXPECT_EQ(reply.nscount, 0);
  EXPECT_EQ(reply.arcount, 0);
  EXPECT_THAT(reply.addresses, ElementsAre("10.88.0.5", "10.88.0.6"));
  EXPECT_EQ(dns_.answered(), 1u);
}

TEST_F(UpstreamDnsTest, UnknownNameIsNxdomain) {
  dns_.Set("app.test", {"10.88.0.5"});
  Client client(dns_.port());
  for (const char* name : {"other.test", "test", "x.app.test", "app.tes"}) {
    const Reply reply = client.Ask(Query(name));
    EXPECT_EQ(reply.rcode, kNxDomain) << name;
    EXPECT_TRUE(reply.aa) << name;
    EXPECT_EQ(reply.qdcount, 1) << name;
    EXPECT_EQ(reply.ancount, 0) << name;
  }
}

TEST_F(UpstreamDnsTest, KnownNameWithoutAddressesIsEmptyNoError) {
  dns_.Set("idle.test", {});
  Client client(dns_.port());
  const Reply reply = client.Ask(Query("idle.test"));
  EXPECT_EQ(reply.rcode, kNoError);
  EXPECT_TRUE(reply.aa);
  EXPECT_EQ(reply.ancount, 0);
}

TEST_F(UpstreamDnsTest, OtherTypesOfAKnownNameAreEmptyNoError) {
  dns_.Set("app.test", {"10.88.0.5"});
  Client client(dns_.port());
  for (uint16_t type : {kTypeAaaa, uint16_t{5} /* CNAME */, uint16_t{255} /* ANY */}) {
    const Reply reply = client.Ask(Query("app.test", {.type = type}));
    EXPECT_EQ(reply.rcode, kNoError) << type;
    EXPECT_TRUE(reply.aa) << type;
    EXPECT_EQ(reply.ancount, 0) << type;
  }
  // The name's absence, though, is the same for every type.
  EXPECT_EQ(client.Ask(Query("other.test", {.type = kTypeAaaa})).rcode, kNxDomain);
}

TEST_F(UpstreamDnsTest, NamesAreCaseInsensitiveAndTheTrailingDotDoesNotMatter) {
  dns_.Set("App.Test.", {"10.88.0.5"});
  Client client(dns_.port());
  for (const char* name : {"app.test", "APP.TEST", "aPp.TeSt."}) {
    const Reply reply = client.Ask(Query(name));
    EXPECT_EQ(reply.rcode, kNoError) << name;
    EXPECT_THAT(reply.addresses, ElementsAre("10.88.0.5")) << name;
  }
  // The question comes back as it was asked, case included (Decode checks the bytes).
  const Reply reply = client.Ask(Query("APP.test"));
  EXPECT_EQ(std::string(reply.raw.begin() + 13, reply.raw.begin() + 16), "APP");

  dns_.Set("other.test", {"10.88.0.7"});
  EXPECT_THAT(client.Ask(Query("OTHER.test.")).addresses, ElementsAre("10.88.0.7"));
}

TEST_F(UpstreamDnsTest, SetReplacesAndRemoveForgets) {
  dns_.Set("app.test", {"10.88.0.5"});
  Client client(dns_.port());
  EXPECT_THAT(client.Ask(Query("app.test")).addresses, ElementsAre("10.88.0.5"));

  dns_.Set("APP.test.", {"10.88.0.9"});
  EXPECT_THAT(client.Ask(Query("app.test")).addresses, ElementsAre("10.88.0.9"));

  dns_.Remove("App.Test.");
  const Reply reply = client.Ask(Query("app.test"));
  EXPECT_EQ(reply.rcode, kNxDomain);
  EXPECT_EQ(reply.ancount, 0);
  dns_.Remove("app.test");  // removing what is not there is fine
}

TEST_F(UpstreamDnsTest, InvalidAddressesAreLeftOut) {
  dns_.Set("app.test", {"10.88.0.5", "10.1", "::1", "0x0a.0.0.1", "", "10.88.0.6"});
  Client client(dns_.port());
  EXPECT_THAT(client.Ask(Query("app.test")).addresses, ElementsAre("10.88.0.5", "10.88.0.6"));
}

TEST_F(UpstreamDnsTest, EdnsQueryIsAnsweredWithoutOpt) {
  dns_.Set("app.test", {"10.88.0.5"});
  Client client(dns_.port());
  const Reply a = client.Ask(Query("app.test", {.edns = true}));
  EXPECT_EQ(a.rcode, kNoError);
  EXPECT_EQ(a.arcount, 0);
  EXPECT_THAT(a.addresses, ElementsAre("10.88.0.5"));
  const Reply aaaa = client.Ask(Query("app.test", {.type = kTypeAaaa, .edns = true}));
  EXPECT_EQ(aaaa.rcode, kNoError);
  EXPECT_EQ(aaaa.ancount, 0);
  EXPECT_EQ(aaaa.arcount, 0);
}

TEST_F(UpstreamDnsTest, TooManyAddressesAreCutTo512BytesWithoutTc) {
  std::vector<std::string> addresses;
  for (int i = 1; i <= 40; ++i) addresses.push_back("10.88.1." + std::to_string(i));
  dns_.Set("app.test", addresses);
  Client client(dns_.port());
  const Bytes query = Query("app.test");
  const Reply reply = client.Ask(query);
  EXPECT_EQ(reply.rcode, kNoError);
  EXPECT_FALSE(reply.tc) << "a partial list serves; TC would make Caddy's lookup fail";
  EXPECT_LE(reply.raw.size(), 512u);
  // As many as fit after the header and the 14-byte question, in the table's order.
  const size_t fit = (512 - query.size()) / 16;
  ASSERT_EQ(reply.addresses.size(), fit);
  EXPECT_EQ(reply.addresses.front(), "10.88.1.1");
  EXPECT_EQ(reply.addresses.back(), "10.88.1." + std::to_string(fit));

  // Exactly as many as fit: no TC.
  addresses.resize(fit);
  dns_.Set("app.test", addresses);
  const Reply full = client.Ask(query);
  EXPECT_FALSE(full.tc);
  EXPECT_EQ(full.addresses.size(), fit);

  // The longest name there can be still leaves room for 15.
  std::string longest;
  for (int i = 0; i < 4; ++i) longest += std::string(i < 3 ? 63 : 61, 'a' + i) + ".";
  longest.pop_back();  // 4 labels of 63, 63, 63, 61: 255 bytes on the wire
  ASSERT_EQ(WireName(longest).size(), 255u);
  dns_.Set(longest, addresses);
  const Reply long_reply = client.Ask(Query(longest));
  EXPECT_EQ(long_reply.rcode, kNoError);
  EXPECT_FALSE(long_reply.tc);
  EXPECT_EQ(long_reply.addresses.size(), 15u);
  EXPECT_LE(long_reply.raw.size(), 512u);
}

TEST_F(UpstreamDnsTest, OtherOpcodesAreNotImplemented) {
  Client client(dns_.port());
  for (uint8_t opcode : {1, 2, 4, 5, 15}) {
    const Reply reply = client.Ask(Query("app.test", {.id = 77, .opcode = opcode}));
    EXPECT_EQ(reply.id, 77);
    EXPECT_TRUE(reply.qr);
    EXPECT_EQ(reply.opcode, opcode);
    EXPECT_EQ(reply.rcode, kNotImp);
    EXPECT_EQ(reply.raw.size(), 12u);
  }
}

TEST_F(UpstreamDnsTest, MalformedQueriesGetFormErr) {
  dns_.Set("app.test", {"10.88.0.5"});
  Client client(dns_.port());
  const Bytes name = WireName("app.test");
  auto with_question = [&](Bytes question) {
    question.insert(question.end(), {0, 1, 0, 1});
    return question;
  };
  const struct {
    const char* what;
    Bytes query;
  } cases[] = {
      {"no question", Query("app.test", {.qdcount = 0})},
      {"two questions", Query("app.test", {.qdcount = 2})},
      {"header alone", Raw({})},
      {"label length past the end", Raw({3, 'a', 'p'})},
      {"label length past the end, then more", Raw({9, 'a', 'p', 'p', 0, 0, 1, 0, 1})},
      {"no root label", Raw({3, 'a', 'p', 'p'})},
      {"no type and class", Raw(name)},
      {"half a type", Raw([&] {
         Bytes b = name;
         b.push_back(0);
         return b;
       }())},
      {"type but no class", Raw([&] {
         Bytes b = name;
         b.insert(b.end(), {0, 1, 0});
         return b;
       }())},
      // A pointer to itself: a parser that followed it would never end.
      {"compression pointer loop", Raw({0xC0, 0x0C, 0, 1, 0, 1})},
      {"two pointers to each other", Raw({1, 'a', 0xC0, 0x10, 0xC0, 0x0E, 0, 1, 0, 1})},
      {"compression pointer after a label", Raw(with_question({3, 'a', 'p', 'p', 0xC0, 0x0C}))},
      {"pointer past the end", Raw({0xFF, 0xFF})},
      {"extended label type 01", Raw(with_question({0x40, 'a', 0}))},
      {"reserved label type 10", Raw(with_question({0x80, 'a', 0}))},
      {"label of 64", Raw(with_question([] {
         Bytes b{64};
         b.insert(b.end(), 64, 'a');
         b.push_back(0);
         return b;
       }()))},
      {"name of 256", Raw(with_question([] {
         Bytes b;
         for (int i = 0; i < 4; ++i) {
           b.push_back(i < 3 ? 63 : 62);
           b.insert(b.end(), i < 3 ? 63 : 62, 'a');
         }
         b.push_back(0);
         return b;
       }()))},
  };
  uint16_t id = 1;
  for (const auto& c : cases) {
    Bytes query = c.query;
    query[0] = 0;
    query[1] = static_cast<uint8_t>(id);
    const Reply reply = client.Ask(query);
    EXPECT_EQ(reply.id, id) << c.what;
    EXPECT_TRUE(reply.qr) << c.what;
    EXPECT_EQ(reply.rcode, kFormErr) << c.what;
    EXPECT_EQ(reply.raw.size(), 12u) << c.what;
    ++id;
  }
  // A query with an answer or authority record is no query.
  for (size_t count_at : {6, 8}) {
    Bytes query = Query("app.test");
    query[count_at + 1] = 1;
    EXPECT_EQ(client.Ask(query).rcode, kFormErr) << count_at;
  }
  EXPECT_THAT(client.Ask(Query("app.test")).addresses, ElementsAre("10.88.0.5"));
}

TEST_F(UpstreamDnsTest, ShortDatagramsAndResponsesGetNoReply) {
  dns_.Set("app.test", {"10.88.0.5"});
  Client client(dns_.port());
  std::vector<Bytes> ignored;
  for (size_t size = 0; size < 12; ++size) ignored.push_back(Bytes(size, 0));
  Bytes response = Query("app.test", {.id = 0x5555});
  response[2] |= 0x80;  // QR
  ignored.push_back(response);
  ignored.push_back(Bytes(12, 0xFF));  // a response too, of nothing

  // The responder takes datagrams in order: had it answered one of these, that answer would
  // arrive before the one to the query sent after them.
  uint16_t id = 100;
  for (const Bytes& datagram : ignored) {
    client.Send(datagram);
    const Reply reply = client.Ask(Query("app.test", {.id = id}));
    EXPECT_EQ(reply.id, id) << "datagram of " << datagram.size() << " bytes was answered";
    EXPECT_THAT(reply.addresses, ElementsAre("10.88.0.5"));
    ++id;
  }
  EXPECT_EQ(dns_.answered(), ignored.size());
}

TEST_F(UpstreamDnsTest, GarbageDoesNoHarm) {
  dns_.Set("app.test", {"10.88.0.5"});
  std::mt19937 random(20240611);  // fixed: a failure can be replayed
  auto byte = [&] { return static_cast<uint8_t>(random() & 0xFF); };
  {
    // Its replies, if any, queue up on this socket and are not looked at.
    Client garbage(dns_.port());
    ASSERT_TRUE(garbage.connected());
    const Bytes valid = Query("app.test", {.edns = true});
    for (int i = 0; i < 3000; ++i) {
      Bytes datagram;
      if (i % 2 == 0) {
        // Random bytes of random length.
        datagram.resize(random() % 600);
        for (uint8_t& b : datagram) b = byte();
      } else {
        // A valid query with a few bytes changed and maybe cut short: closer to what parses.
        datagram = valid;
        for (int n = 1 + static_cast<int>(random() % 4); n > 0; --n) {
          datagram[random() % datagram.size()] = byte();
        }
        if (random() % 3 == 0) datagram.resize(random() % datagram.size());
      }
      garbage.Send(datagram);
      // Now and then a real query in between, which must be answered. Waiting for it also
      // lets the responder catch up, so that its socket buffer never fills and drops a query.
      if (i % 32 == 31) {
        Client client(dns_.port());
        EXPECT_THAT(client.Ask(Query("app.test")).addresses, ElementsAre("10.88.0.5")) << i;
      }
    }
  }
  Client client(dns_.port());
  EXPECT_THAT(client.Ask(Query("app.test")).addresses, ElementsAre("10.88.0.5"));
  EXPECT_EQ(client.Ask(Query("other.test")).rcode, kNxDomain);
}

TEST_F(UpstreamDnsTest, TableChangesWhileAnswering) {
  dns_.Set("app.test", {"10.88.0.5"});
  std::atomic<bool> done = false;
  std::thread writer([&] {
    for (int i = 0; !done; ++i) {
      if (i % 2 == 0) {
        dns_.Set("app.test", {"10.88.0.5"});
      } else {
        dns_.Set("app.test", {"10.88.0.6", "10.88.0.7"});
      }
    }
  });
  Client client(dns_.port());
  for (int i = 0; i < 300; ++i) {
    const Reply reply = client.Ask(Query("app.test", {.id = static_cast<uint16_t>(i)}));
    EXPECT_EQ(reply.rcode, kNoError);
    // One version of the list or the other, never a mix.
    if (reply.addresses.size() == 1) {
      EXPECT_THAT(reply.addresses, ElementsAre("10.88.0.5"));
    } else {
      EXPECT_THAT(reply.addresses, ElementsAre("10.88.0.6", "10.88.0.7"));
    }
  }
  done = true;
  writer.join();
}

TEST(UpstreamDnsLifecycleTest, StopIsIdempotentAndClosesThePort) {
  UpstreamDns dns;
  dns.Stop();  // before Start: nothing to do
  ASSERT_TRUE(dns.Start().has_value());
  const uint16_t port = dns.port();
  dns.Set("app.test", {"10.88.0.5"});
  {
    Client client(port);
    EXPECT_THAT(client.Ask(Query("app.test")).addresses, ElementsAre("10.88.0.5"));
  }
  dns.Stop();
  EXPECT_EQ(dns.port(), 0);
  dns.Stop();

  // Nothing listens there now: the kernel refuses the datagram and the connected socket
  // hears of it.
  Client client(port);
  client.Send(Query("app.test"));
  int error = 0;
  EXPECT_EQ(client.Receive(&error), std::nullopt);
  EXPECT_EQ(error, ECONNREFUSED);

  // And it starts again, with the table it had.
  ASSERT_TRUE(dns.Start().has_value());
  Client again(dns.port());
  EXPECT_THAT(again.Ask(Query("app.test")).addresses, ElementsAre("10.88.0.5"));
}

TEST(UpstreamDnsLifecycleTest, StopEndsAnIdleResponder) {
  // The thread waits in poll() with no timeout: only the wake-up pipe can end it, and a
  // broken one would hang here (the test's time limit would tell).
  for (int i = 0; i < 20; ++i) {
    UpstreamDns dns;
    ASSERT_TRUE(dns.Start().has_value());
    if (i % 2 == 0) dns.Stop();
    // Otherwise the destructor stops it.
  }
}

TEST(UpstreamDnsLifecycleTest, StartFailsWhenRunningOrThePortIsTaken) {
  UpstreamDns dns;
  ASSERT_TRUE(dns.Start().has_value());
  const Status twice = dns.Start();
  ASSERT_FALSE(twice.has_value());
  EXPECT_EQ(twice.error().code, ErrorCode::kFailedPrecondition);

  UpstreamDns other;
  const Status taken = other.Start(dns.port());
  ASSERT_FALSE(taken.has_value());
  EXPECT_EQ(taken.error().code, ErrorCode::kIo);
  EXPECT_THAT(taken.error().message, testing::HasSubstr(std::to_string(dns.port())));
  EXPECT_EQ(other.port(), 0);
  other.Stop();

  // The first one is unharmed.
  dns.Set("app.test", {"10.88.0.5"});
  Client client(dns.port());
  EXPECT_THAT(client.Ask(Query("app.test")).addresses, ElementsAre("10.88.0.5"));
}

}  // namespace
}  // namespace yard::edge

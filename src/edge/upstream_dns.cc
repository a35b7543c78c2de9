#include "edge/upstream_dns.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string_view>
#include <system_error>
#include <utility>

#include "base/log.h"

namespace yard::edge {
namespace {

// Sizes from RFC 1035.
constexpr size_t kHeaderSize = 12;
constexpr size_t kMaxLabelSize = 63;
constexpr size_t kMaxNameSize = 255;     // on the wire: length bytes and the root byte included
constexpr size_t kMaxUdpResponse = 512;  // without EDNS0, which answers do not use
// An answer: name as a pointer (2), type (2), class (2), TTL (4), RDLENGTH (2), address (4).
constexpr size_t kAnswerSize = 16;
// The largest UDP payload over IPv4: a datagram of any size fits, so none is cut short.
constexpr size_t kMaxDatagram = 65536;

constexpr uint16_t kTypeA = 1;
constexpr uint16_t kClassIn = 1;
constexpr uint8_t kOpcodeQuery = 0;

constexpr uint8_t kRcodeNoError = 0;
constexpr uint8_t kRcodeFormErr = 1;
constexpr uint8_t kRcodeNxDomain = 3;
constexpr uint8_t kRcodeNotImp = 4;

// First flags byte: QR, OPCODE (4 bits), AA, TC, RD.
constexpr uint8_t kFlagQr = 0x80;
constexpr uint8_t kFlagAa = 0x04;
constexpr uint8_t kFlagRd = 0x01;

uint16_t Read16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

void Put16(std::vector<uint8_t>& out, uint16_t value) {
  out.push_back(static_cast<uint8_t>(value >> 8));
  out.push_back(static_cast<uint8_t>(value & 0xFF));
}

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// DNS compares names case-insensitively in ASCII only (RFC 4343); one trailing dot (the root)
// is dropped so that "app.test." and "app.test" are one name.
std::string NormalizeName(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::string normalized;
  normalized.reserve(name.size());
  for (char c : name) normalized.push_back(Lower(c));
  return normalized;
}

// A response of a header alone, for queries answered with an error before their question is
// understood (or whose question means something else under another opcode).
std::vector<uint8_t> HeaderOnly(const uint8_t* query, uint8_t rcode) {
  std::vector<uint8_t> out(query, query + 2);  // ID
  out.push_back(static_cast<uint8_t>(kFlagQr | (query[2] & 0x78) | (query[2] & kFlagRd)));
  out.push_back(rcode);
  out.resize(kHeaderSize, 0);  // all four counts 0
  return out;
}

void CloseFd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

Status ErrnoError(const std::string& what) {
  return Unexpected(ErrorCode::kIo, what + ": " + std::generic_category().message(errno));
}

}  // namespace

UpstreamDns::UpstreamDns() = default;

UpstreamDns::~UpstreamDns() { Stop(); }

Status UpstreamDns::Start(uint16_t port) {
  if (thread_.joinable()) {
    return Unexpected(ErrorCode::kFailedPrecondition, "the upstream DNS responder runs already");
  }
  // Whatever fails below leaves nothing open.
  auto fail = [this](const std::string& what) {
    Status status = ErrnoError(what);
    CloseFd(socket_);
    CloseFd(wake_read_);
    CloseFd(wake_write_);
    return status;
  };

  // Non-blocking, so that a datagram poll() announced but that went away cannot block the
  // thread where Stop could not wake it.
  socket_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (socket_ < 0) return fail("upstream DNS: socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(socket_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    return fail("upstream DNS: cannot bind 127.0.0.1:" + std::to_string(port));
  }
  socklen_t length = sizeof address;
  if (getsockname(socket_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return fail("upstream DNS: getsockname");
  }
  int wake[2];
  if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) return fail("upstream DNS: pipe");
  wake_read_ = wake[0];
  wake_write_ = wake[1];
  port_ = ntohs(address.sin_port);

  thread_ = std::thread([this] { Serve(); });
  log::Debug("upstream DNS answers on 127.0.0.1:{}", port_);
  return Ok();
}

void UpstreamDns::Stop() {
  if (thread_.joinable()) {
    const char byte = 0;
    while (write(wake_write_, &byte, 1) < 0 && errno == EINTR) {
    }
    thread_.join();
  }
  CloseFd(socket_);
  CloseFd(wake_read_);
  CloseFd(wake_write_);
  port_ = 0;
}

uint16_t UpstreamDns::port() const { return port_; }

void UpstreamDns::Set(const std::string& name, std::vector<std::string> addresses) {
  std::vector<Address> parsed;
  parsed.reserve(addresses.size());
  for (const std::string& text : addresses) {
    in_addr address{};
    // inet_pton takes exactly four decimal parts, unlike inet_aton ("10.1" or hex).
    if (inet_pton(AF_INET, text.c_str(), &address) != 1) {
      log::Warn("upstream DNS: '{}' for '{}' is not an IPv4 address; left out", text, name);
      continue;
    }
    Address bytes;
    static_assert(sizeof address.s_addr == std::tuple_size_v<Address>);
    const auto* raw = reinterpret_cast<const uint8_t*>(&address.s_addr);  // network order
    std::copy(raw, raw + bytes.size(), bytes.begin());
    parsed.push_back(bytes);
  }
  std::string key = NormalizeName(name);
  std::lock_guard lock(mutex_);
  table_[std::move(key)] = std::move(parsed);
}

void UpstreamDns::Remove(const std::string& name) {
  std::string key = NormalizeName(name);
  std::lock_guard lock(mutex_);
  table_.erase(key);
}

uint64_t UpstreamDns::answered() const { return answered_.load(); }

void UpstreamDns::Serve() {
  std::vector<uint8_t> buffer(kMaxDatagram);
  for (;;) {
    pollfd fds[2] = {{socket_, POLLIN, 0}, {wake_read_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      log::Error("upstream DNS stops answering: poll: {}", std::generic_category().message(errno));
      return;
    }
    if (fds[1].revents != 0) return;  // Stop
    if ((fds[0].revents & POLLNVAL) != 0) {
      log::Error("upstream DNS stops answering: its socket is gone");
      return;
    }
    if (fds[0].revents == 0) continue;

    sockaddr_in peer{};
    socklen_t peer_size = sizeof peer;
    const ssize_t got = recvfrom(socket_, buffer.data(), buffer.size(), 0,
                                 reinterpret_cast<sockaddr*>(&peer), &peer_size);
    // EAGAIN, EINTR, or a pending error on the socket (which the read clears): nothing to do.
    if (got < 0) continue;
    const std::vector<uint8_t> response = Respond(buffer.data(), static_cast<size_t>(got));
    if (response.empty()) continue;
    // Counted before it is sent, so that a client that has its answer also sees it counted
    // (tests read the count right after their reply); taken back if it could not be sent.
    // A lost answer is the client's to retry, as with any UDP DNS.
    answered_.fetch_add(1);
    const ssize_t sent = sendto(socket_, response.data(), response.size(), 0,
                                reinterpret_cast<const sockaddr*>(&peer), peer_size);
    if (sent != static_cast<ssize_t>(response.size())) answered_.fetch_sub(1);
  }
}

std::vector<uint8_t> UpstreamDns::Respond(const uint8_t* query, size_t size) const {
  // No header to answer with; and a response is never answered, so that two responders
  // cannot keep each other busy.
  if (size < kHeaderSize || (query[2] & kFlagQr) != 0) return {};
  const uint8_t opcode = (query[2] >> 3) & 0x0F;
  if (opcode != kOpcodeQuery) return HeaderOnly(query, kRcodeNotImp);
  // A query asks exactly one question and carries no answer or authority records. ARCOUNT is
  // not checked: the additional section holds EDNS0's OPT record, which is ignored, and
  // nothing after the question is read.
  if (Read16(query + 4) != 1 || Read16(query + 6) != 0 || Read16(query + 8) != 0) {
    return HeaderOnly(query, kRcodeFormErr);
  }

  // The question's name: labels up to the root label. Every read is checked against `size`.
  // Compression pointers (and the reserved label types 01 and 10) have a length byte over 63
  // and are refused: a query's only name has nothing earlier to point to, and without
  // pointers the walk only moves forward, so it cannot loop.
  size_t pos = kHeaderSize;
  std::string name;
  bool matchable = true;  // false when a label holds a '.', which no table name can match
  for (;;) {
    if (pos >= size) return HeaderOnly(query, kRcodeFormErr);
    const size_t label = query[pos];
    if (label == 0) {
      ++pos;
      break;
    }
    if (label > kMaxLabelSize || label + 1 > size - pos) return HeaderOnly(query, kRcodeFormErr);
    if (!name.empty()) name.push_back('.');
    for (size_t i = pos + 1; i < pos + 1 + label; ++i) {
      const char c = static_cast<char>(query[i]);
      if (c == '.') matchable = false;
      name.push_back(Lower(c));
    }
    pos += 1 + label;
  }
  if (pos - kHeaderSize > kMaxNameSize || size - pos < 4) return HeaderOnly(query, kRcodeFormErr);
  const uint16_t qtype = Read16(query + pos);
  const uint16_t qclass = Read16(query + pos + 2);
  const size_t question_end = pos + 4;

  bool known = false;
  std::vector<Address> addresses;
  if (matchable) {
    std::lock_guard lock(mutex_);
    if (auto found = table_.find(name); found != table_.end()) {
      known = true;
      if (qtype == kTypeA && qclass == kClassIn) addresses = found->second;
    }
  }

  // The question is at most 12 + 255 + 4 bytes, which leaves room for 15 answers. More are
  // left out without TC: a resolver that sees TC retries over TCP, which Caddy's does not
  // reach, and the lookup fails as a whole; a partial list of upstreams still serves.
  const size_t room = (kMaxUdpResponse - question_end) / kAnswerSize;
  if (addresses.size() > room) addresses.resize(room);

  std::vector<uint8_t> out;
  out.reserve(question_end + addresses.size() * kAnswerSize);
  out.insert(out.end(), query, query + 2);  // ID
  out.push_back(static_cast<uint8_t>(kFlagQr | (opcode << 3) | kFlagAa |
                                     (query[2] & kFlagRd)));
  out.push_back(known ? kRcodeNoError : kRcodeNxDomain);  // RA, Z, AD, CD all 0
  Put16(out, 1);                                          // QDCOUNT
  Put16(out, static_cast<uint16_t>(addresses.size()));    // ANCOUNT
  Put16(out, 0);                                          // NSCOUNT
  Put16(out, 0);                                          // ARCOUNT: no OPT in answers
  // The question as asked, byte for byte (case included: some clients check it).
  out.insert(out.end(), query + kHeaderSize, query + question_end);
  for (const Address& address : addresses) {
    Put16(out, static_cast<uint16_t>(0xC000 | kHeaderSize));  // the name: points to the question's
    Put16(out, kTypeA);
    Put16(out, kClassIn);
    Put16(out, 0);  // TTL 0 (two halves): every lookup sees the table as it is now
    Put16(out, 0);
    Put16(out, static_cast<uint16_t>(address.size()));
    out.insert(out.end(), address.begin(), address.end());
  }
  return out;
}

}  // namespace yard::edge

// Appends 2 million lines of about 100 bytes to one service in batches of 1000, reads them
// back through a cursor, and times the queries `yard logs` makes, printing lines/s.
//
//   logs_store_bench [DIR]     (default: a fresh directory under /tmp, removed afterwards)

#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/core.h>

#include "logs/store.h"

namespace {

using yard::logs::Cursor;
using yard::logs::LogLine;
using yard::logs::Query;
using yard::logs::Store;
using yard::logs::StoreOptions;

constexpr int kLines = 2'000'000;
constexpr int kBatch = 1000;
constexpr int64_t kDeployment = 1;
constexpr char kContainer[] = "0123456789ab";

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

void Report(const char* what, int64_t lines, double seconds) {
  fmt::print("{:<44} {:>9} lines {:>8.3f} s {:>12.0f} lines/s\n", what, lines, seconds,
             static_cast<double>(lines) / seconds);
}

template <typename T>
T Check(yard::Result<T> result, const char* what) {
  if (!result) {
    fmt::print(stderr, "{}: {}\n", what, result.error().message);
    std::exit(1);
  }
  return std::move(result).value();
}

void Check(const yard::Status& status, const char* what) {
  if (!status) {
    fmt::print(stderr, "{}: {}\n", what, status.error().message);
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir;
  bool temporary = argc < 2;
  if (temporary) {
    char pattern[] = "/tmp/logs-bench-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) return 1;
    dir = pattern;
  } else {
    dir = argv[1];
  }
  // Everything is kept, so that all of it can be read back.
  StoreOptions options{.dir = dir, .service_bytes = size_t{1} << 30};
  Store store(options);

  int64_t start_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  auto time_of = [&](int i) { return start_ns + int64_t{i} * 1000; };

  // ---- Append
  double append_seconds = 0;
  std::vector<LogLine> batch(kBatch);
  for (int first = 0; first < kLines; first += kBatch) {
    for (int i = 0; i < kBatch; ++i) {
      int n = first + i;
      batch[i] = LogLine{.time_ns = time_of(n),
                         .stream = n % 10 == 0 ? 'e' : 'o',
                         .container = kContainer,
                         .generation = 1,
                         .text = fmt::format("GET /api/items/{:08} HTTP/1.1 200 1234 {:06}us "
                                             "\"Mozilla/5.0 (X11)\"",
                                             n, n % 999'983)};
    }
    auto started = std::chrono::steady_clock::now();
    Check(store.Append(kDeployment, "web", batch), "append");
    append_seconds += Seconds(started);
  }
  uint64_t bytes = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) bytes += entry.file_size();
  }
  fmt::print("{} lines, {:.1f} MiB on disk ({:.0f} bytes a line)\n", kLines,
             static_cast<double>(bytes) / (1 << 20), static_cast<double>(bytes) / kLines);
  Report("append (batches of 1000)", kLines, append_seconds);

  // ---- Read back everything through a cursor, in pages as a follower does
  {
    auto started = std::chrono::steady_clock::now();
    Cursor cursor;
    int64_t count = 0;
    while (true) {
      auto page = Check(store.ReadAfter(kDeployment, {}, cursor, std::chrono::milliseconds(0)),
                        "read after");
      if (page.lines.empty()) break;
      count += static_cast<int64_t>(page.lines.size());
      cursor = page.cursor;
    }
    Report("read back (ReadAfter, pages of 10000)", count, Seconds(started));
    if (count != kLines) fmt::print("  read {} lines, expected {}\n", count, kLines);
  }

  // ---- Queries over the whole service
  auto query = [&](const char* what, const Query& q, size_t limit, int repeat) {
    auto started = std::chrono::steady_clock::now();
    size_t count = 0;
    for (int i = 0; i < repeat; ++i) {
      count = Check(store.Read(kDeployment, q, limit), what).lines.size();
    }
    double seconds = Seconds(started) / repeat;
    fmt::print("{:<44} {:>9} lines {:>8.3f} ms a query\n", what, count, seconds * 1000);
  };
  query("Read tail 100", Query{.tail = 100}, 100'000, 100);
  query("Read (the newest 100000, the default limit)", Query{}, 100'000, 5);
  query("Read since the middle, tail 100", Query{.since_ns = time_of(kLines / 2), .tail = 100},
        100'000, 100);
  query("Read 1000 lines in the middle (since, until)",
        Query{.since_ns = time_of(kLines / 2), .until_ns = time_of(kLines / 2 + 1000)}, 100'000,
        100);
  query("Read grep matching 1 line (all scanned)", Query{.grep = "items/01234567 "}, 100'000, 3);
  query("Read grep matching 2000 lines, tail 100", Query{.grep = "000 HTTP", .tail = 100}, 100'000,
        3);
  query("Read previous (no earlier container)", Query{.previous = true}, 100'000, 3);

  {
    auto started = std::chrono::steady_clock::now();
    auto point = Check(store.ResumeOf(kDeployment, "web", kContainer), "resume");
    fmt::print("{:<44} {:>8.3f} ms ({} at its time)\n", "ResumeOf (known container)",
               Seconds(started) * 1000, point ? point->lines_at_time : 0);
    started = std::chrono::steady_clock::now();
    point = Check(store.ResumeOf(kDeployment, "web", "ffffffffffff"), "resume");
    fmt::print("{:<44} {:>8.3f} ms (all scanned)\n", "ResumeOf (unknown container)",
               Seconds(started) * 1000);
  }

  if (temporary) std::filesystem::remove_all(dir);
  return 0;
}

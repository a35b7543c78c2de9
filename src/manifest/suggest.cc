#include "manifest/suggest.h"

#include <algorithm>
#include <vector>

namespace yard::manifest {

int EditDistance(std::string_view a, std::string_view b) {
  // Keys are short; inputs longer than this are not typos of a key and would only cost time.
  constexpr size_t kMaxLength = 64;
  if (a.size() > kMaxLength || b.size() > kMaxLength) {
    return static_cast<int>(std::max(a.size(), b.size()));
  }
  const size_t n = a.size();
  const size_t m = b.size();
  std::vector<std::vector<int>> d(n + 1, std::vector<int>(m + 1, 0));
  for (size_t i = 0; i <= n; ++i) d[i][0] = static_cast<int>(i);
  for (size_t j = 0; j <= m; ++j) d[0][j] = static_cast<int>(j);
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

std::string Suggest(std::string_view word, std::span<const std::string_view> candidates) {
  const int limit = std::min(2, std::max(1, static_cast<int>(word.size()) / 3));
  std::string_view best;
  int best_distance = limit + 1;
  for (std::string_view candidate : candidates) {
    int distance = EditDistance(word, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return std::string(best);
}

}  // namespace yard::manifest

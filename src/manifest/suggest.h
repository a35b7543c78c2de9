#pragma once

// "did you mean" suggestions for misspelt keys and names.

#include <span>
#include <string>
#include <string_view>

namespace yard::manifest {

/// The optimal-string-alignment distance: insertions, deletions, substitutions and swaps of
/// two adjacent characters each cost 1 (so "prot" is 1 away from "port").
int EditDistance(std::string_view a, std::string_view b);

/// The candidate closest to `word` when it is close enough to be a likely typo (distance at
/// most 2 and at most a third of the word's length, at least 1); empty otherwise. Ties go to
/// the first candidate.
std::string Suggest(std::string_view word, std::span<const std::string_view> candidates);

}  // namespace yard::manifest

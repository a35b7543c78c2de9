// Stands in for `yard internal git-hook NAME` in tests that push through the hooks without
// building the whole yard binary: the same RunHook, behind the same command line.

#include <iostream>
#include <string_view>

#include "git/hooks.h"

int main(int argc, char** argv) {
  if (argc != 4 || std::string_view(argv[1]) != "internal" ||
      std::string_view(argv[2]) != "git-hook") {
    std::cerr << "usage: " << argv[0] << " internal git-hook pre-receive|post-receive\n";
    return 2;
  }
  return yard::git::RunHook(argv[3], std::cin, std::cerr);
}

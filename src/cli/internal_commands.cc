// Commands that other programs run, not people: hidden from --help.

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "cli/command.h"
#include "git/hooks.h"

namespace yard::cli {

void AddInternalCommands(CLI::App& app, Invocation& invocation) {
  auto* internal = app.add_subcommand("internal", "Commands run by the server's helpers");
  internal->group("");  // hidden
  internal->require_subcommand(1);

  auto name = std::make_shared<std::string>();
  auto* hook =
      internal->add_subcommand("git-hook",
                               "A receive hook of a project's repository, run by git-receive-pack "
                               "(DATA_DIR/git/hooks)");
  hook->add_option("name", *name, "pre-receive or post-receive")
      ->required()
      ->check(CLI::IsMember({"pre-receive", "post-receive"}));
  hook->callback([&invocation, name] {
    int code = git::RunHook(*name, std::cin, std::cerr);
    if (code != 0) {
      // The exit code is the hook's answer to git, and the hook has said why on stderr
      // already: no "yard: error:" line after it.
      std::fflush(nullptr);
      std::exit(code);
    }
    invocation.status = Ok();
  });
}

}  // namespace yard::cli

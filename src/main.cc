// The one `yard` binary: the server (`yard server`) and the client (every other command).

#include "cli/command.h"

int main(int argc, char** argv) { return yard::cli::Main(argc, argv); }

// The subcommands of the `dae` program. Each adds itself to the CLI11 app
// and returns nothing; the parsed options live in the command's own struct
// and its callback runs the command. Library errors (dae::Error) propagate to
// main, which prints them as one line and exits non-zero.
#pragma once

#include <CLI/CLI.hpp>

namespace dae::tool {

void add_train_command(CLI::App& app);
void add_corrupt_command(CLI::App& app);

}  // namespace dae::tool

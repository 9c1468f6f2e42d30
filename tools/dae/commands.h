// The subcommands of the `dae` program. Each adds itself to the CLI11 app
// and returns nothing; the parsed options live in the command's own struct
// and its callback runs the command. Library errors (dae::Error) propagate to
// main, which prints them as one line and exits non-zero.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "engine/device.h"

namespace dae::tool {

// --conv-algo and --nondeterministic: the convolution algorithm and the
// reduction mode of a CUDA device. On the CPU only "custom" is accepted.
void apply_device_options(Device device, const std::string& conv_algo, bool nondeterministic);

void add_train_command(CLI::App& app);
void add_corrupt_command(CLI::App& app);
void add_compare_command(CLI::App& app);
void add_eval_command(CLI::App& app);
void add_denoise_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_info_command(CLI::App& app);

}  // namespace dae::tool

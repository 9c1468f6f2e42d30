// dae: train, corrupt, denoise, evaluate, compare and benchmark denoising
// autoencoders (SPEC §6). Every failure ends with one line on stderr naming
// the file, tensor or flag, and a non-zero exit code:
//   1  an error in the input or the run (bad file, bad spec, NaN loss, ...)
//   2  a bad command line (unknown flag, missing value)
//   3  out of memory
#include <cstdio>
#include <exception>
#include <new>
#include <string>

#include "engine/errors.h"
#include "tools/dae/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"dae: denoising autoencoders with a perceptual loss, on a hand-written tensor engine", "dae"};
  app.require_subcommand(1);
  app.option_defaults()->always_capture_default()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.failure_message(CLI::FailureMessage::simple);
  dae::tool::add_train_command(app);
  dae::tool::add_corrupt_command(app);
  dae::tool::add_compare_command(app);
  dae::tool::add_eval_command(app);
  dae::tool::add_denoise_command(app);
  dae::tool::add_bench_command(app);
  dae::tool::add_info_command(app);
  std::string known;
  bool is_known = false;
  for (const CLI::App* sub : app.get_subcommands({})) {
    known += (known.empty() ? "" : ", ") + sub->get_name();
    is_known = is_known || (argc >= 2 && sub->get_name() == argv[1]);
  }
  if (argc >= 2 && argv[1][0] != '-' && !is_known) {
    std::fprintf(stderr, "dae: error: unknown command '%s' (expected one of: %s; see dae --help)\n", argv[1],
                 known.c_str());
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "dae: error: %s (see dae --help)\n", e.what());
    return 2;
  } catch (const dae::Error& e) {
    std::fprintf(stderr, "\ndae: error: %s\n", e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "\ndae: error: out of memory\n");
    return 3;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "\ndae: internal error: %s\n", e.what());
    return 1;
  }
  return 0;
}

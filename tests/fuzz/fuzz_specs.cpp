// libFuzzer target: the spec parsers of the command line (noise specs and
// mixtures, loss specs, learning-rate schedules, layer and weight lists)
// accept a spec or throw dae::ArgumentError quoting it.
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/errors.h"
#include "losses/loss.h"
#include "losses/perceptual.h"
#include "noise/noise.h"
#include "tools/dae/schedule.h"

namespace {
template <typename F>
void expect_argument_error_or_success(F parse) {
  try {
    parse();
  } catch (const dae::ArgumentError&) {
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  expect_argument_error_or_success([&] {
    const dae::NoiseMix mix = dae::parse_noise(text);
    mix.check_fits(28, 28);
  });
  expect_argument_error_or_success([&] { dae::parse_loss_spec(text); });
  expect_argument_error_or_success([&] { dae::tool::LrSchedule::parse(text).at(0.1f, 7, 100); });
  expect_argument_error_or_success([&] { dae::parse_layer_list(text); });
  expect_argument_error_or_success([&] { dae::parse_weight_list(text); });
  return 0;
}

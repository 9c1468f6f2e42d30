// dae corrupt: apply a noise model to one image and write the noisy image
// and, with --mask-output, the mask of corrupted elements (255 = corrupted).
#include <cstdio>

#include "engine/image_io.h"
#include "noise/noise.h"
#include "tools/dae/commands.h"

namespace dae::tool {

namespace {

struct CorruptOptions {
  std::string noise = "gaussian:sigma=0.1";
  std::uint64_t seed = 0;
  std::uint64_t step = 0;
  std::string input, output, mask_output;
};

void run_corrupt(const CorruptOptions& o) {
  const NoiseMix noise = parse_noise(o.noise);
  const Image image = load_image(o.input);
  const Tensor clean = image_to_tensor(image);
  const Corruption c = corrupt(clean, noise, o.seed, o.step);
  save_tensor_png(o.output, c.noisy);
  if (!o.mask_output.empty()) save_tensor_png(o.mask_output, c.mask);
  double hit = 0;
  for (float v : c.mask.host()) hit += v;
  std::printf("corrupted %s (%dx%dx%d) with %s: %.2f%% of the elements -> %s\n", o.input.c_str(), image.channels,
              image.height, image.width, noise.specs[c.spec_index].text.c_str(), 100.0 * hit / double(c.mask.numel()),
              o.output.c_str());
}

}  // namespace

void add_corrupt_command(CLI::App& app) {
  auto o = std::make_shared<CorruptOptions>();
  CLI::App* cmd = app.add_subcommand("corrupt", "Corrupt an image with a noise model (and write its mask)");
  cmd->add_option("--noise", o->noise, "Noise spec (SPEC §4); several separated by '|' draw one");
  cmd->add_option("--seed", o->seed, "Seed of the noise");
  cmd->add_option("--step", o->step, "Step index of the noise (training draws step k's noise with --step k)");
  cmd->add_option("--input", o->input, "Image to corrupt (PNG, JPEG, BMP, PGM)")->required();
  cmd->add_option("--output", o->output, "Noisy image (PNG)")->required();
  cmd->add_option("--mask-output", o->mask_output, "Mask image (PNG, 255 where corrupted)")->default_str("none");
  cmd->callback([o]() { run_corrupt(*o); });
}

}  // namespace dae::tool

// dae compare: how far image B is from image A. Prints one `name value`
// line per figure: psnr, ssim and, with --vgg, each layer's perceptual term
// (||phi_l(B) - phi_l(A)||^2 / (C_l H_l W_l), unweighted) and `perceptual`,
// the sum of the terms weighted by --layer-weights.
#include <cstdio>

#include "engine/errors.h"
#include "engine/image_io.h"
#include "losses/metrics.h"
#include "losses/perceptual.h"
#include "tools/dae/commands.h"

namespace dae::tool {

namespace {

struct CompareOptions {
  std::string a, b;
  std::string vgg;
  std::string layers = "relu1_2,relu2_2,relu3_3";
  std::string layer_weights = "1,1,1";
};

void run_compare(const CompareOptions& o) {
  const Image a = load_image(o.a), b = load_image(o.b);
  DAE_CHECK(a.height == b.height && a.width == b.width, ArgumentError, "--a '", o.a, "' is ", a.width, "x", a.height,
            " but --b '", o.b, "' is ", b.width, "x", b.height, ": images must have the same size");
  DAE_CHECK(a.channels == b.channels, ArgumentError, "--a '", o.a, "' has ", a.channels, " channel(s) but --b '", o.b,
            "' has ", b.channels);
  std::printf("psnr %.6f\n", psnr(a.pixels.data(), b.pixels.data(), std::int64_t(a.pixels.size())));
  std::printf("ssim %.6f\n", ssim(a.pixels.data(), b.pixels.data(), a.channels, a.height, a.width));
  if (o.vgg.empty()) return;
  const auto perceptual = make_perceptual_loss(o.vgg, o.layers, o.layer_weights, false);
  const PerceptualResult r = (*perceptual)(image_to_tensor(b), image_to_tensor(a));
  for (const auto& [name, value] : r.layers) std::printf("%s %.6g\n", name.c_str(), value.item());
  std::printf("perceptual %.6g\n", r.total.item());
}

}  // namespace

void add_compare_command(CLI::App& app) {
  auto o = std::make_shared<CompareOptions>();
  CLI::App* cmd = app.add_subcommand("compare", "Compare two images: PSNR, SSIM and (with --vgg) perceptual distance");
  cmd->add_option("--a", o->a, "Reference image")->required();
  cmd->add_option("--b", o->b, "Image to compare with the reference")->required();
  cmd->add_option("--vgg", o->vgg, "VGG weights (converted by tools/convert_vgg.py) for the perceptual terms")
      ->default_str("none");
  cmd->add_option("--layers", o->layers, "VGG layers of the perceptual terms");
  cmd->add_option("--layer-weights", o->layer_weights, "Weight of each layer in the perceptual total");
  cmd->callback([o]() { run_compare(*o); });
}

}  // namespace dae::tool

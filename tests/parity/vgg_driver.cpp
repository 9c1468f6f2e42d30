// Runs the engine's VGG features and perceptual loss on given images, for
// vgg_parity.py to compare with torchvision.
//
//   vgg_driver --vgg FILE --input IN --output OUT --layers relu1_2,... --weights 1,...
//              [--device cpu|cuda] [--perc-mask --alpha A --beta B]
// IN (safetensors): "output" and "clean" [N, C, H, W], optionally "mask".
// OUT: "features.<layer>" (the features of "output" at each layer), "loss",
// "term.<layer>" (unweighted per-layer terms) and "grad" (d loss / d output).
// A file the engine refuses exits 3 with the message on stderr.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "engine/autograd.h"
#include "engine/errors.h"
#include "engine/safetensors.h"
#include "losses/perceptual.h"

int main(int argc, char** argv) {
  std::string vgg_path, in_path, out_path, layers = "relu1_2", weights = "1", device_name = "cpu";
  bool perc_mask = false;
  float alpha = 1, beta = 1;
  for (int i = 1; i + 1 < argc || (i < argc && std::strcmp(argv[i], "--perc-mask") == 0); ++i) {
    const std::string a = argv[i];
    if (a == "--perc-mask") { perc_mask = true; continue; }
    const std::string v = argv[++i];
    if (a == "--vgg") vgg_path = v;
    else if (a == "--input") in_path = v;
    else if (a == "--output") out_path = v;
    else if (a == "--layers") layers = v;
    else if (a == "--weights") weights = v;
    else if (a == "--device") device_name = v;
    else if (a == "--alpha") alpha = std::stof(v);
    else if (a == "--beta") beta = std::stof(v);
    else { std::fprintf(stderr, "vgg_driver: unknown argument %s\n", a.c_str()); return 2; }
  }
  try {
    const dae::Device device = dae::Device::parse(device_name);
    std::shared_ptr<dae::PerceptualLoss> loss;
    try {
      loss = dae::make_perceptual_loss(vgg_path, layers, weights, perc_mask);
    } catch (const dae::FileError& e) {
      std::fprintf(stderr, "vgg_driver: %s\n", e.what());
      return 3;
    }
    loss->to(device);
    const dae::SafetensorsContent in = dae::load_safetensors(in_path);
    dae::Tensor output = in.find("output")->to(device).set_requires_grad(true);
    const dae::Tensor clean = in.find("clean")->to(device);
    const dae::Tensor mask = in.find("mask") != nullptr ? in.find("mask")->to(device) : dae::Tensor();
    const dae::PerceptualResult r = (*loss)(output, clean, mask, alpha, beta);
    r.total.backward();
    dae::NamedTensors out{{"loss", r.total.detach()}, {"grad", output.grad()}};
    for (const auto& [name, term] : r.layers) out.emplace_back("term." + name, term);
    for (auto& [name, f] : loss->vgg().features(output.detach(), dae::parse_layer_list(layers))) {
      out.emplace_back("features." + name, f);
    }
    dae::save_safetensors(out_path, out);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vgg_driver: %s\n", e.what());
    return 1;
  }
  return 0;
}

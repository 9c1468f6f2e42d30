// Runs the engine's SGD on parameters and gradients given in a safetensors
// file, for sgd_parity.py to compare with torch.optim.SGD.
//
//   sgd_driver IN OUT
// IN: "param" (initial values), "grad.0" ... "grad.K-1" (the gradient of each
// step), metadata lr, momentum, dampening, weight_decay, nesterov (0/1).
// OUT: "param" after K steps and "momentum_buffer" (when momentum > 0).
#include <cstdio>
#include <exception>
#include <string>

#include "engine/safetensors.h"
#include "engine/sgd.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: sgd_driver IN OUT\n");
    return 2;
  }
  try {
    const dae::SafetensorsContent in = dae::load_safetensors(argv[1]);
    const auto& m = in.metadata;
    dae::SgdOptions o;
    o.lr = std::stof(m.at("lr"));
    o.momentum = std::stof(m.at("momentum"));
    o.dampening = std::stof(m.at("dampening"));
    o.weight_decay = std::stof(m.at("weight_decay"));
    o.nesterov = m.at("nesterov") == "1";
    dae::Tensor param = in.find("param")->clone().set_requires_grad(true);
    dae::SGD sgd({{"param", param}}, o);
    for (int k = 0;; ++k) {
      const dae::Tensor* g = in.find("grad." + std::to_string(k));
      if (g == nullptr) break;
      param.impl()->grad = g->clone().impl();
      sgd.step();
    }
    dae::NamedTensors out{{"param", param.detach()}};
    for (auto& [name, t] : sgd.state()) out.emplace_back("momentum_buffer", t);
    dae::save_safetensors(argv[2], out);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sgd_driver: %s\n", e.what());
    return 1;
  }
  return 0;
}

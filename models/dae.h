// The convolutional denoising autoencoder of SPEC §2:
//
//   encoder.0 Conv2d(C, w0, 3, s1, p1)  .1 ReLU     H x W
//   encoder.2 Conv2d(w0, w1, 3, s2, p1) .3 ReLU     H/2 x W/2
//   encoder.4 Conv2d(w1, w2, 3, s2, p1) .5 ReLU     H/4 x W/4
//   decoder.0 ConvTranspose2d(w2, w2, 4, s2, p1) .1 ReLU   H/2 x W/2
//   decoder.2 ConvTranspose2d(w2, w0, 4, s2, p1) .3 ReLU   H x W
//   decoder.4 Conv2d(w0, C, 3, s1, p1)  .5 Sigmoid  H x W, values in (0, 1)
//
// Parameter names match the PyTorch module built the same way.
#pragma once

#include <array>
#include <memory>
#include <string>

#include "engine/nn.h"

namespace dae {

struct DaeConfig {
  std::string name;  // preset name, e.g. "dae-mnist"
  int in_channels = 1;
  std::array<int, 3> widths{32, 64, 64};
};

// "dae-mnist" (C 1, widths 32, 64, 64) or "dae-rgb" (C 3, widths 64, 128, 128);
// throws dae::ArgumentError naming the unknown preset otherwise.
DaeConfig dae_preset(const std::string& name);

class DenoisingAutoencoder : public Module {
 public:
  DenoisingAutoencoder(const DaeConfig& config, Generator& gen);
  // x: [N, C, H, W] with H and W divisible by 4; returns the reconstruction, same shape.
  Tensor forward(const Tensor& x) override;
  const DaeConfig& config() const { return config_; }

 private:
  DaeConfig config_;
  std::shared_ptr<Sequential> encoder_;
  std::shared_ptr<Sequential> decoder_;
};

}  // namespace dae

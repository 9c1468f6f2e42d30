// The training loss of SPEC §5: a pixel term, a perceptual term, or both.
//
//   --loss mse | perceptual | mse+perceptual
//   total = lambda_pix * L_pix + lambda_perc * L_perc
//
// L_pix is the emphasized MSE (losses/pixel.h) whose alpha/beta default by
// the noise kind that corrupted the batch; L_perc compares VGG features
// (losses/perceptual.h).
#pragma once

#include <cmath>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/tensor.h"
#include "noise/noise.h"

namespace dae {

class PerceptualLoss;

struct LossSpec {
  std::string text = "mse";
  bool pixel = true;
  bool perceptual = false;
};
// Throws dae::ArgumentError quoting the spec when it is not one of the three.
LossSpec parse_loss_spec(std::string_view text);

struct LossOptions {
  float alpha = NAN;  // NAN: the default of the noise kind (SPEC §5)
  float beta = NAN;
  float lambda_pix = 1.0f;
  float lambda_perc = 1.0f;
};

struct LossTerms {
  Tensor total;                                          // differentiable scalar
  Tensor pixel;                                          // undefined when not used
  Tensor perceptual;                                     // undefined when not used
  std::vector<std::pair<std::string, Tensor>> layers;    // per-layer perceptual terms (weighted)
};

class TrainingLoss {
 public:
  // `perceptual` is required when the spec has a perceptual term.
  TrainingLoss(LossSpec spec, LossOptions options, std::shared_ptr<PerceptualLoss> perceptual = nullptr);
  // output and clean: [N, C, H, W]; mask from the noise model; `noise` is the spec that was drawn.
  LossTerms operator()(const Tensor& output, const Tensor& clean, const Tensor& mask, const NoiseSpec& noise) const;
  const LossSpec& spec() const { return spec_; }
  // The emphasis weights used for a batch corrupted by `noise`.
  std::pair<float, float> emphasis(const NoiseSpec& noise) const;

 private:
  LossSpec spec_;
  LossOptions options_;
  std::shared_ptr<PerceptualLoss> perceptual_;
};

}  // namespace dae

// The perceptual term of the loss (SPEC §5):
//
//   L_perc = 1/N sum_n sum_l w_l ||phi_l(output_n) - phi_l(clean_n)||^2 / (C_l H_l W_l)
//
// phi_l is the output of VGG layer l (a ReLU). The clean images' features are
// computed without a tape. The output and the clean images go through VGG in
// one batched pass (2N images) unless that pass would exceed the memory
// budget, in which case they go one after the other. Per layer one fused
// kernel computes the weighted squared-difference sum AND the gradient w.r.t.
// the output's features; the backward pass then runs VGG's backward-data on
// the output half only (the weights are frozen: no weight gradient).
//
// With --perc-mask the corruption mask, averaged over channels and pooled to
// each layer's resolution (m_l), weighs each feature difference by
// alpha m_l + beta (1 - m_l), as the pixel term weighs pixels.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/tensor.h"
#include "models/vgg.h"

namespace dae {

struct PerceptualOptions {
  std::vector<std::string> layers = {"relu1_2", "relu2_2", "relu3_3"};
  std::vector<float> layer_weights = {1.0f, 1.0f, 1.0f};
  bool mask_aware = false;               // --perc-mask
  std::size_t batched_pass_budget = std::size_t(2) << 30;  // bytes of activations for the 2N-image pass
};

struct PerceptualResult {
  Tensor total;                                         // the weighted sum (differentiable in `output`)
  std::vector<std::pair<std::string, Tensor>> layers;   // unweighted per-layer terms (scalars)
};

class PerceptualLoss {
 public:
  // Throws dae::ArgumentError for unknown or too deep layers, a weight count
  // that does not match, or weights < 0.
  PerceptualLoss(std::shared_ptr<VggFeatures> vgg, PerceptualOptions options);

  // output, clean: [N, C, H, W] on the VGG's device. mask (same shape) and
  // alpha/beta are used only when the options are mask-aware.
  PerceptualResult operator()(const Tensor& output, const Tensor& clean, const Tensor& mask = Tensor(),
                              float alpha = 1.0f, float beta = 1.0f) const;

  const PerceptualOptions& options() const { return options_; }
  const VggFeatures& vgg() const { return *vgg_; }
  void to(Device device) { vgg_->to(device); }

 private:
  std::shared_ptr<VggFeatures> vgg_;
  PerceptualOptions options_;
  std::vector<int> indices_;  // VGG index of each layer
};

// The perceptual loss of the command-line flags: loads the VGG weights (up
// to the deepest of `layers`) and checks the layers and weights.
std::shared_ptr<PerceptualLoss> make_perceptual_loss(const std::string& vgg_path, const std::string& layers,
                                                     const std::string& layer_weights, bool mask_aware);

// "relu1_2,relu2_2" -> names; "1,0.5" -> weights (the parsers of --layers and --layer-weights).
std::vector<std::string> parse_layer_list(const std::string& text);
std::vector<float> parse_weight_list(const std::string& text);

}  // namespace dae

// Perceptual-loss kernels on CUDA: the twins of kernels/cpu/perceptual.h.
#pragma once

#include "kernels/common/exec.h"
#include "kernels/common/shapes.h"

namespace dae::kernels::cuda {

void channel_map_forward(const Exec& ex, const ChannelMapParams& p, const float* x, float* y);
void channel_map_backward(const Exec& ex, const ChannelMapParams& p, const float* grad_y, float* grad_x);
void feature_distance(const Exec& ex, const FeatureDistanceShape& s, const float* a, const float* b,
                      const float* weight_map, float scale, float* value, float* grad_a);
void mask_weight_map(const Exec& ex, const MaskPoolShape& s, const float* mask, float alpha, float beta, float* out);

}  // namespace dae::kernels::cuda

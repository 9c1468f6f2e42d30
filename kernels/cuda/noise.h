// Fused corruption kernel on CUDA: the twin of kernels/cpu/noise.h, with the
// CPU's bits (the same bodies, kernels/common/noise_body.h, compiled without
// multiply-add contraction).
#pragma once

#include "kernels/common/exec.h"
#include "kernels/common/noise_body.h"

namespace dae::kernels::cuda {

// y = corrupt(x); mask[e] = 1 where element e was corrupted, else 0. One launch
// that draws, corrupts and writes both outputs. x, y, mask: [batch, channels,
// height, width] on the device; y may not alias x. Overwrites y and mask.
void corrupt(const Exec& ex, const NoiseParams& p, const ImageShape& s, const float* x, float* y, float* mask);

}  // namespace dae::kernels::cuda

// Fused corruption kernel on CUDA: the twin of kernels/cpu/noise.h, same bits.
#pragma once

#include "kernels/common/exec.h"
#include "kernels/common/noise_body.h"

namespace dae::kernels::cuda {

void corrupt(const Exec& ex, const NoiseParams& p, const ImageShape& s, const float* x, float* y, float* mask);

}  // namespace dae::kernels::cuda

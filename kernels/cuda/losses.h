// Loss CUDA kernels: the twins of kernels/cpu/losses.h (float only).
#pragma once

#include <cstdint>

#include "kernels/common/exec.h"

namespace dae::kernels::cuda {

void weighted_mse(const Exec& ex, std::int64_t n_elements, const float* a, const float* b, const float* mask,
                  float alpha, float beta, float* value, float* grad_a);

}  // namespace dae::kernels::cuda

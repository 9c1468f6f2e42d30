// Reduction CUDA kernels: the twins of kernels/cpu/reductions.h (float only).
// Deterministic: every sum goes through chunked_sum (kernels/cuda/chunked_sum.cuh),
// fixed chunks summed in double and added in a fixed order, so the result has
// the same bits run to run. The scalar results stay on the device.
#pragma once

#include <cstdint>

#include "kernels/common/exec.h"

namespace dae::kernels::cuda {

// out[0] = sum_i x[i]
void sum(const Exec& ex, std::int64_t n_elements, const float* x, float* out);
// out[0] = sum_i x[i] / n_elements
void mean(const Exec& ex, std::int64_t n_elements, const float* x, float* out);
// out[0] = sum_i (a[i] - b[i])^2 / n_elements
void mse_forward(const Exec& ex, std::int64_t n_elements, const float* a, const float* b, float* out);
// grad_a[i] = 2 (a[i] - b[i]) / n_elements * grad_loss[0]  (grad_loss on the device; the CPU's bits)
void mse_backward(const Exec& ex, std::int64_t n_elements, const float* a, const float* b, const float* grad_loss,
                  float* grad_a);

}  // namespace dae::kernels::cuda

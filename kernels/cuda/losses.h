// Loss CUDA kernels: the twins of kernels/cpu/losses.h (float only).
#pragma once

#include <cstdint>

#include "kernels/common/exec.h"

namespace dae::kernels::cuda {

// The emphasized squared error of SPEC §5, value and gradient in one pass:
//   w_i       = mask[i] != 0 ? alpha : beta        (mask == nullptr: w_i = 1)
//   value[0]  = sum_i w_i (a_i - b_i)^2 / n_elements          (on the device)
//   grad_a[i] = 2 w_i (a_i - b_i) / n_elements      (skipped when grad_a == nullptr)
// The gradient has the CPU kernel's bits; the value is a deterministic sum
// (same bits run to run; equal to the CPU's to rounding). With mask == nullptr
// value and gradient have exactly the bits of mse_forward / mse_backward.
void weighted_mse(const Exec& ex, std::int64_t n_elements, const float* a, const float* b, const float* mask,
                  float alpha, float beta, float* value, float* grad_a);

}  // namespace dae::kernels::cuda

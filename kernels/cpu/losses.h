// Loss kernels on the CPU: value and gradient computed in one pass.
#pragma once

#include <cstdint>

#include "kernels/common/exec.h"

namespace dae::kernels::cpu {

// The emphasized squared error of SPEC §5 (Vincent et al. 2010):
//   w_i       = mask[i] != 0 ? alpha : beta        (mask == nullptr: w_i = 1)
//   value[0]  = sum_i w_i (a_i - b_i)^2 / n_elements
//   grad_a[i] = 2 w_i (a_i - b_i) / n_elements      (skipped when grad_a == nullptr)
// With mask == nullptr, or alpha == beta == 1, value and gradient have exactly
// the bits of mse_forward / mse_backward (upstream gradient 1).
template <typename T>
void weighted_mse(const Exec& ex, std::int64_t n_elements, const T* a, const T* b, const T* mask, T alpha, T beta,
                  T* value, T* grad_a);

}  // namespace dae::kernels::cpu

// Reduction CPU kernels. Deterministic: every sum goes through chunked_sum
// (kernels/cpu/chunked_sum.h), so the result has the same bits for any thread count.
#pragma once

#include <cstdint>

#include "kernels/common/exec.h"

namespace dae::kernels::cpu {

// out[0] = sum_i x[i]
template <typename T> void sum(const Exec& ex, std::int64_t n_elements, const T* x, T* out);
// out[0] = sum_i x[i] / n_elements
template <typename T> void mean(const Exec& ex, std::int64_t n_elements, const T* x, T* out);
// out[0] = sum_i (a[i] - b[i])^2 / n_elements
template <typename T> void mse_forward(const Exec& ex, std::int64_t n_elements, const T* a, const T* b, T* out);
// grad_a[i] = 2 (a[i] - b[i]) / n_elements * grad_loss[0]
template <typename T>
void mse_backward(const Exec& ex, std::int64_t n_elements, const T* a, const T* b, const T* grad_loss, T* grad_a);

}  // namespace dae::kernels::cpu

// Reduction CPU kernels. Deterministic: the input is cut into fixed chunks of
// kReductionChunk elements, each chunk is summed in double, and the chunk sums
// are added in order, so the result has the same bits for any thread count.
#pragma once

#include <cstdint>

#include "kernels/common/exec.h"

namespace dae::kernels::cpu {

constexpr std::int64_t kReductionChunk = 4096;

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

// Activation CPU kernels (forward and backward) over n_elements values.
#pragma once

#include <cstdint>

#include "kernels/common/exec.h"

namespace dae::kernels::cpu {

// y = max(x, 0)
template <typename T> void relu_forward(const Exec& ex, std::int64_t n_elements, const T* x, T* y);
// grad_x = grad_y where y > 0, else 0 (y is relu's output; the kink at 0 takes gradient 0, as PyTorch)
template <typename T>
void relu_backward(const Exec& ex, std::int64_t n_elements, const T* y, const T* grad_y, T* grad_x);
// y = 1 / (1 + exp(-x))
template <typename T> void sigmoid_forward(const Exec& ex, std::int64_t n_elements, const T* x, T* y);
// grad_x = grad_y * (1 - y) * y (y is sigmoid's output)
template <typename T>
void sigmoid_backward(const Exec& ex, std::int64_t n_elements, const T* y, const T* grad_y, T* grad_x);

}  // namespace dae::kernels::cpu

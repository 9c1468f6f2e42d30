// Activation CUDA kernels: the twins of kernels/cpu/activations.h (float only).
#pragma once

#include <cstdint>

#include "kernels/common/exec.h"

namespace dae::kernels::cuda {

void relu_forward(const Exec& ex, std::int64_t n_elements, const float* x, float* y);
void relu_backward(const Exec& ex, std::int64_t n_elements, const float* y, const float* grad_y, float* grad_x);
void sigmoid_forward(const Exec& ex, std::int64_t n_elements, const float* x, float* y);
void sigmoid_backward(const Exec& ex, std::int64_t n_elements, const float* y, const float* grad_y, float* grad_x);

}  // namespace dae::kernels::cuda

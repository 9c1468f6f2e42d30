// Convolution, pooling, reduction and SGD CUDA kernels: the twins of the CPU
// kernels of the same names (float only).
#pragma once

#include <cstdint>

#include "kernels/common/exec.h"
#include "kernels/common/shapes.h"

namespace dae::kernels::cuda {

void conv2d_forward(const Exec& ex, const Conv2dShape& s, const float* x, const float* weight, const float* bias,
                    float* y);
void conv2d_backward_data(const Exec& ex, const Conv2dShape& s, const float* grad_y, const float* weight,
                          float* grad_x);
void conv2d_backward_weight(const Exec& ex, const Conv2dShape& s, const float* x, const float* grad_y,
                            float* grad_weight, float* grad_bias);
void bias_backward(const Exec& ex, int batch, int channels, int pixels, const float* grad_y, float* grad_bias);

void conv_transpose2d_forward(const Exec& ex, const ConvTranspose2dShape& s, const float* x, const float* weight,
                              const float* bias, float* y);
void conv_transpose2d_backward_data(const Exec& ex, const ConvTranspose2dShape& s, const float* grad_y,
                                    const float* weight, float* grad_x);
void conv_transpose2d_backward_weight(const Exec& ex, const ConvTranspose2dShape& s, const float* x,
                                      const float* grad_y, float* grad_weight, float* grad_bias);

void max_pool2d_forward(const Exec& ex, const Pool2dShape& s, const float* x, float* y, std::int32_t* argmax);
void max_pool2d_backward(const Exec& ex, const Pool2dShape& s, const float* grad_y, const std::int32_t* argmax,
                         float* grad_x);

void sum(const Exec& ex, std::int64_t n_elements, const float* x, float* out);
void mean(const Exec& ex, std::int64_t n_elements, const float* x, float* out);
void mse_forward(const Exec& ex, std::int64_t n_elements, const float* a, const float* b, float* out);
void mse_backward(const Exec& ex, std::int64_t n_elements, const float* a, const float* b, const float* grad_loss,
                  float* grad_a);

void sgd_update(const Exec& ex, std::int64_t n_elements, const SgdParams& p, float* param, const float* grad,
                float* momentum_buffer);

}  // namespace dae::kernels::cuda

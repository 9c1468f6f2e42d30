// 2-D transposed convolution on CUDA (groups 1): the twins of
// kernels/cpu/conv_transpose2d.h (float only). Layouts: ConvTranspose2dShape;
// the weight is [in_channels, out_channels, kernel_h, kernel_w] as in PyTorch.
//
// A transposed convolution is the backward-data pass of the convolution
// s.as_conv(), so each pass is a pass of that convolution (with the
// algorithm ex.conv_algo picks):
//   forward        y      = conv backward-data(x) + bias
//   backward data  grad_x = conv forward(grad_y)
//   backward wt    grad_W = conv backward-weight(input grad_y, output gradient x)
#pragma once

#include "kernels/common/exec.h"
#include "kernels/common/shapes.h"

namespace dae::kernels::cuda {

// y = conv_transpose2d(x, weight) + bias; bias may be null. Overwrites y.
void conv_transpose2d_forward(const Exec& ex, const ConvTranspose2dShape& s, const float* x, const float* weight,
                              const float* bias, float* y);

// grad_x = dL/dx. Overwrites grad_x.
void conv_transpose2d_backward_data(const Exec& ex, const ConvTranspose2dShape& s, const float* grad_y,
                                    const float* weight, float* grad_x);

// grad_weight, grad_bias (may be null). Overwrites both; deterministic unless
// ex.deterministic is false.
void conv_transpose2d_backward_weight(const Exec& ex, const ConvTranspose2dShape& s, const float* x,
                                      const float* grad_y, float* grad_weight, float* grad_bias);

}  // namespace dae::kernels::cuda

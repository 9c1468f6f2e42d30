// 2-D transposed convolution on the CPU (groups 1), forward and backward.
// Layouts are those of ConvTranspose2dShape (kernels/common/shapes.h); the
// weight is [in_channels, out_channels, kernel_h, kernel_w] as in PyTorch.
//
// A transposed convolution is the backward-data pass of the convolution
// `s.as_conv()`, so each pass is one of conv2d's (conv2d.h):
//   forward        conv2d backward-data of as_conv() applied to x, + bias
//                  (with stride 2: four sub-pixel products, one per output
//                  parity class, no multiplications by inserted zeros)
//   backward data  conv2d forward of as_conv() on grad_y
//   backward wt    conv2d weight gradient of as_conv() (input grad_y, output
//                  gradient x), whose layout is ours
#pragma once

#include "kernels/common/exec.h"
#include "kernels/common/shapes.h"

namespace dae::kernels::cpu {

// y = conv_transpose2d(x, weight) + bias; bias may be null. Overwrites y.
template <typename T>
void conv_transpose2d_forward(const Exec& ex, const ConvTranspose2dShape& s, const T* x, const T* weight,
                              const T* bias, T* y);

// grad_x = dL/dx. Overwrites grad_x.
template <typename T>
void conv_transpose2d_backward_data(const Exec& ex, const ConvTranspose2dShape& s, const T* grad_y,
                                    const T* weight, T* grad_x);

// grad_weight, grad_bias (may be null). Overwrites both; deterministic.
template <typename T>
void conv_transpose2d_backward_weight(const Exec& ex, const ConvTranspose2dShape& s, const T* x, const T* grad_y,
                                      T* grad_weight, T* grad_bias);

}  // namespace dae::kernels::cpu

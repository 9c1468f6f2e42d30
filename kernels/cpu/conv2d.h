// 2-D convolution on the CPU (groups 1, zero padding), forward and backward.
// Layouts are those of kernels/common/shapes.h (Conv2dShape). Each pass is
// im2col + GEMM per image; images run in parallel when the batch has at
// least as many images as threads, otherwise each GEMM is multithreaded.
#pragma once

#include "kernels/common/exec.h"
#include "kernels/common/shapes.h"

namespace dae::kernels::cpu {

// y = conv2d(x, weight) + bias. bias may be null (no bias). Overwrites y.
template <typename T>
void conv2d_forward(const Exec& ex, const Conv2dShape& s, const T* x, const T* weight, const T* bias, T* y);

// grad_x = dL/dx given grad_y = dL/dy. Overwrites grad_x.
template <typename T>
void conv2d_backward_data(const Exec& ex, const Conv2dShape& s, const T* grad_y, const T* weight, T* grad_x);

// grad_weight = dL/dweight, grad_bias = dL/dbias (may be null). Overwrites
// both. Deterministic: images are summed in fixed groups, groups in order,
// so the bits do not depend on the thread count.
template <typename T>
void conv2d_backward_weight(const Exec& ex, const Conv2dShape& s, const T* x, const T* grad_y, T* grad_weight,
                            T* grad_bias);

// grad_bias[c] = sum over batch and pixels of grad_y[n][c] (shared by conv and
// transposed conv). grad_y: [batch, channels, pixels]. Overwrites grad_bias.
template <typename T>
void bias_backward(const Exec& ex, int batch, int channels, int pixels, const T* grad_y, T* grad_bias);

}  // namespace dae::kernels::cpu

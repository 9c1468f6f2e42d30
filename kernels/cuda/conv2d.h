// 2-D convolution on CUDA (groups 1, zero padding), forward and backward: the
// twins of kernels/cpu/conv2d.h (float only). Layouts: Conv2dShape
// (kernels/common/shapes.h). ex.conv_algo picks the implementation: our
// implicit-GEMM kernels (default; docs/kernels/conv2d.md), im2col + cuBLAS,
// or cuDNN. Any kernel size, stride and padding; every tensor must have
// fewer than 2^31 elements (ShapeError otherwise).
#pragma once

#include "kernels/common/exec.h"
#include "kernels/common/shapes.h"

namespace dae::kernels::cuda {

// y = conv2d(x, weight) + bias. bias may be null (no bias). Overwrites y.
void conv2d_forward(const Exec& ex, const Conv2dShape& s, const float* x, const float* weight, const float* bias,
                    float* y);

// grad_x = dL/dx given grad_y = dL/dy. Overwrites grad_x. Each element is a
// gather over the outputs it contributed to (no atomics).
void conv2d_backward_data(const Exec& ex, const Conv2dShape& s, const float* grad_y, const float* weight,
                          float* grad_x);

// grad_weight = dL/dweight, grad_bias = dL/dbias (may be null). Overwrites
// both. Deterministic unless ex.deterministic is false: the reduction over
// images and pixels is cut into chunks fixed by the shape, whose partial
// sums are added in order.
void conv2d_backward_weight(const Exec& ex, const Conv2dShape& s, const float* x, const float* grad_y,
                            float* grad_weight, float* grad_bias);

// grad_bias[c] = sum over batch and pixels of grad_y[n][c] (shared by conv and
// transposed conv). grad_y: [batch, channels, pixels]. Overwrites grad_bias.
// Deterministic: fixed chunks, partial sums in double added in order.
void bias_backward(const Exec& ex, int batch, int channels, int pixels, const float* grad_y, float* grad_bias);

}  // namespace dae::kernels::cuda

// 2-D convolution on the CPU (groups 1, zero padding), forward and backward.
// Layouts are those of kernels/common/shapes.h (Conv2dShape). Every pass is
// one matrix product over the whole batch (kernels/cpu/conv_common.h): the
// input is copied, a chunk of images at a time, into a zero-padded layout
// that the packed AVX-512 / AVX2 / portable GEMM reads without an im2col
// matrix; stride 2 goes through space_to_depth, the strided backward-data
// pass through sub-pixel classes, and 1 to 4 output channels (or few taps in
// the weight gradient) through direct kernels (conv_direct.h). Results have
// the same bits for any thread count.
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
// both. Deterministic: the pixels of the batch are summed in fixed blocks
// (chunks of images, depth blocks within them) in order, and threads split
// the weights, never the pixels, so the bits do not depend on the thread
// count.
template <typename T>
void conv2d_backward_weight(const Exec& ex, const Conv2dShape& s, const T* x, const T* grad_y, T* grad_weight,
                            T* grad_bias);

// grad_bias[c] = sum over batch and pixels of grad_y[n][c] (shared by conv and
// transposed conv). grad_y: [batch, channels, pixels]. Overwrites grad_bias.
template <typename T>
void bias_backward(const Exec& ex, int batch, int channels, int pixels, const T* grad_y, T* grad_bias);

}  // namespace dae::kernels::cpu

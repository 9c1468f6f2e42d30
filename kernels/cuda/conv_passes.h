// The three passes of a convolution, one set per algorithm (internal to the
// CUDA backend: conv2d.cu and conv_transpose2d.cu call them). Layouts as in
// kernels/cuda/conv2d.h; `bias` (may be null) is added per channel of the
// pass's result. Weight gradients here have no bias part.
#pragma once

#include "kernels/common/exec.h"
#include "kernels/common/shapes.h"

namespace dae::kernels::cuda::detail {

// Dispatch on ex.conv_algo.
void conv_forward(const Exec& ex, const Conv2dShape& s, const float* x, const float* weight, const float* bias,
                  float* y);
void conv_backward_data(const Exec& ex, const Conv2dShape& s, const float* grad_y, const float* weight,
                        const float* bias, float* grad_x);
void conv_backward_weight(const Exec& ex, const Conv2dShape& s, const float* x, const float* grad_y,
                          float* grad_weight);

// y[b][c][i] += bias[c] for y: [batch, channels, pixels].
void add_channel_bias(const Exec& ex, int batch, int channels, int pixels, const float* bias, float* y);

// Throws ShapeError when a tensor of the pass has 2^31 elements or more (the
// kernels index with 32-bit integers).
void check_conv_indexing(const char* op, const Conv2dShape& s);

// Our implicit-GEMM kernels (conv2d.cu).
namespace implicit_gemm {
void forward(const Exec& ex, const Conv2dShape& s, const float* x, const float* weight, const float* bias, float* y);
void backward_data(const Exec& ex, const Conv2dShape& s, const float* grad_y, const float* weight, const float* bias,
                   float* grad_x);
void backward_weight(const Exec& ex, const Conv2dShape& s, const float* x, const float* grad_y, float* grad_weight);
}  // namespace implicit_gemm

// im2col (kernels/cuda/im2col.h) + cublasSgemm (conv_cublas.cu); real CUDA only.
namespace cublas_conv {
void forward(const Exec& ex, const Conv2dShape& s, const float* x, const float* weight, const float* bias, float* y);
void backward_data(const Exec& ex, const Conv2dShape& s, const float* grad_y, const float* weight, const float* bias,
                   float* grad_x);
void backward_weight(const Exec& ex, const Conv2dShape& s, const float* x, const float* grad_y, float* grad_weight);
}  // namespace cublas_conv

// cuDNN's legacy convolution API (conv_cudnn.cu); real CUDA only.
namespace cudnn_conv {
void forward(const Exec& ex, const Conv2dShape& s, const float* x, const float* weight, const float* bias, float* y);
void backward_data(const Exec& ex, const Conv2dShape& s, const float* grad_y, const float* weight, const float* bias,
                   float* grad_x);
void backward_weight(const Exec& ex, const Conv2dShape& s, const float* x, const float* grad_y, float* grad_weight);
}  // namespace cudnn_conv

}  // namespace dae::kernels::cuda::detail

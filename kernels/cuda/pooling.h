// 2-D max pooling on CUDA (floor mode, -infinity padding), forward and
// backward: the twins of kernels/cpu/pooling.h (float only).
#pragma once

#include <cstdint>

#include "kernels/common/exec.h"
#include "kernels/common/shapes.h"

namespace dae::kernels::cuda {

// y[n][c][oy][ox] = max over the window; argmax[...] = the flat index
// (iy * in_width + ix) of the winner within its input plane (first maximum
// in row-major window order, NaN wins, as PyTorch). Overwrites y and argmax.
void max_pool2d_forward(const Exec& ex, const Pool2dShape& s, const float* x, float* y, std::int32_t* argmax);

// grad_x[i] = sum of grad_y over the windows whose winner is i, gathered per
// input element in output order (no atomics; the CPU's bits). Overwrites grad_x.
void max_pool2d_backward(const Exec& ex, const Pool2dShape& s, const float* grad_y, const std::int32_t* argmax,
                         float* grad_x);

}  // namespace dae::kernels::cuda

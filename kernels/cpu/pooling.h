// 2-D max pooling on the CPU (floor mode, -infinity padding), forward and backward.
#pragma once

#include <cstdint>

#include "kernels/common/exec.h"
#include "kernels/common/shapes.h"

namespace dae::kernels::cpu {

// y[n][c][oy][ox] = max over the window; argmax[...] = the flat index
// (iy * in_width + ix) of the winner within its input plane (first maximum
// in row-major window order, as PyTorch). Overwrites y and argmax.
template <typename T>
void max_pool2d_forward(const Exec& ex, const Pool2dShape& s, const T* x, T* y, std::int32_t* argmax);

// grad_x = scatter-add of grad_y onto the winners. Overwrites grad_x.
template <typename T>
void max_pool2d_backward(const Exec& ex, const Pool2dShape& s, const T* grad_y, const std::int32_t* argmax,
                         T* grad_x);

}  // namespace dae::kernels::cpu

// im2col / col2im on CUDA for a group of images: the column matrices the
// cuBLAS convolution path multiplies (kernels/cuda/conv_cublas.cu). Same
// layout as kernels/cpu/im2col.h, one matrix per image:
//   col[g][(c * kernel_h + ky) * kernel_w + kx][oy * out_width + ox]
//     = x[g][c][oy * stride - padding + ky][ox * stride - padding + kx]   (0 outside)
#pragma once

#include "kernels/common/exec.h"
#include "kernels/common/shapes.h"

namespace dae::kernels::cuda {

// col = im2col of `count` consecutive images starting at x. Overwrites col
// (count * in_channels*kh*kw * out_height*out_width floats).
void im2col(const Exec& ex, const Conv2dShape& s, const float* x, int count, float* col);

// x = col2im(col) for `count` images: each input element gathers, in
// (ky, kx) order, the column entries taken from it (the adjoint of im2col;
// no atomics). Overwrites x.
void col2im(const Exec& ex, const Conv2dShape& s, const float* col, int count, float* x);

}  // namespace dae::kernels::cuda

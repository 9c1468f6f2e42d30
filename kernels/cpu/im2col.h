// im2col / col2im for one image: the bridge between convolution and GEMM.
//
// For a convolution with shape s, the column matrix of one image is
//   col[(c * kernel_h + ki) * kernel_w + kj][oy * out_width + ox]
//     = x[c][oy * stride - padding + ki][ox * stride - padding + kj]   (0 outside the image)
// i.e. (in_channels * kernel_h * kernel_w) rows of (out_height * out_width) columns.
// col2im is its adjoint: it adds each column entry back onto the input pixel it came from.
#pragma once

#include "kernels/common/shapes.h"

namespace dae::kernels::cpu {

// col = im2col(x) for one image x: [in_channels, in_height, in_width].
template <typename T> void im2col(const Conv2dShape& s, const T* x, T* col);
// x += col2im(col) for one image; x must be initialised (zeroed) by the caller.
template <typename T> void col2im_add(const Conv2dShape& s, const T* col, T* x);

// True when the column matrix equals the image itself (1x1 kernel, stride 1,
// no padding), so the copy can be skipped.
inline bool im2col_is_identity(const Conv2dShape& s) {
  return s.kernel_h == 1 && s.kernel_w == 1 && s.stride == 1 && s.padding == 0;
}

}  // namespace dae::kernels::cpu

#include "kernels/cuda/pooling.h"

#include <cmath>
#include <string>

#include "kernels/common/errors.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/fast_divmod.h"
#include "kernels/cuda/grid.h"

namespace dae::kernels::cuda {

namespace {

// One thread per output element o = (plane, oy, ox), grid-stride.
__global__ void max_pool2d_forward_kernel(Pool2dShape s, int n_outputs, FastDivmod by_out_plane,
                                          FastDivmod by_out_width, const float* x, float* y, std::int32_t* argmax) {
  const int in_plane = s.in_height * s.in_width;
  for (std::int64_t o = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x; o < n_outputs;
       o += std::int64_t(gridDim.x) * blockDim.x) {
    int plane, pixel, oy, ox;
    by_out_plane.divmod(int(o), plane, pixel);
    by_out_width.divmod(pixel, oy, ox);
    const float* xp = x + std::int64_t(plane) * in_plane;
    // The window clipped to the image (padding is -infinity, so it never wins).
    const int y0 = oy * s.stride - s.padding, x0 = ox * s.stride - s.padding;
    const int ya = y0 > 0 ? y0 : 0, yb = y0 + s.kernel < s.in_height ? y0 + s.kernel : s.in_height;
    const int xa = x0 > 0 ? x0 : 0, xb = x0 + s.kernel < s.in_width ? x0 + s.kernel : s.in_width;
    float best = -INFINITY;
    int best_index = ya * s.in_width + xa;
    bool found_nan = false;
    for (int iy = ya; iy < yb && !found_nan; ++iy) {
      for (int ix = xa; ix < xb; ++ix) {
        const float v = xp[iy * s.in_width + ix];
        const bool is_nan = v != v;
        if (v > best || is_nan) {  // strictly greater: the first maximum stays
          best = v;
          best_index = iy * s.in_width + ix;
          if (is_nan) {  // NaN propagates and ends the search, as in PyTorch
            found_nan = true;
            break;
          }
        }
      }
    }
    y[o] = best;
    argmax[o] = best_index;
  }
}

// One thread per input element i = (plane, iy, ix), grid-stride. The windows
// that contain row iy are those of output rows
//   ceil((iy + padding - kernel + 1) / stride) <= oy <= (iy + padding) / stride,
// (likewise columns); of those, the ones whose winner is i add their grad_y,
// in increasing output index, which is the order of the CPU's scatter.
__global__ void max_pool2d_backward_kernel(Pool2dShape s, int n_inputs, FastDivmod by_in_plane,
                                           FastDivmod by_in_width, const float* grad_y, const std::int32_t* argmax,
                                           float* grad_x) {
  const int out_plane = s.out_height * s.out_width;
  for (std::int64_t i = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n_inputs;
       i += std::int64_t(gridDim.x) * blockDim.x) {
    int plane, pixel, iy, ix;
    by_in_plane.divmod(int(i), plane, pixel);
    by_in_width.divmod(pixel, iy, ix);
    const int top = iy + s.padding - s.kernel + 1, left = ix + s.padding - s.kernel + 1;
    const int oy_first = top > 0 ? (top + s.stride - 1) / s.stride : 0;
    const int ox_first = left > 0 ? (left + s.stride - 1) / s.stride : 0;
    const int oy_last = min((iy + s.padding) / s.stride, s.out_height - 1);
    const int ox_last = min((ix + s.padding) / s.stride, s.out_width - 1);
    const std::int64_t base = std::int64_t(plane) * out_plane;
    float acc = 0.0f;
    for (int oy = oy_first; oy <= oy_last; ++oy) {
      for (int ox = ox_first; ox <= ox_last; ++ox) {
        const std::int64_t o = base + oy * s.out_width + ox;
        if (argmax[o] == pixel) acc += grad_y[o];
      }
    }
    grad_x[i] = acc;
  }
}

void check_indexing(const char* op, const Pool2dShape& s) {
  if (s.input_size() >= (std::int64_t(1) << 31) || s.output_size() >= (std::int64_t(1) << 31)) {
    throw ShapeError(std::string(op) + ": tensors of 2^31 elements or more are not supported (input " +
                     std::to_string(s.input_size()) + " elements)");
  }
}

}  // namespace

void max_pool2d_forward(const Exec& ex, const Pool2dShape& s, const float* x, float* y, std::int32_t* argmax) {
  check_indexing("max_pool2d_forward", s);
  const int n = int(s.output_size());
  if (n == 0) return;
  DAE_LAUNCH(max_pool2d_forward_kernel, loop_grid(ex, n, kBlockThreads), kBlockThreads, 0, ex.stream, s, n,
             FastDivmod(s.out_height * s.out_width), FastDivmod(s.out_width), x, y, argmax);
}

void max_pool2d_backward(const Exec& ex, const Pool2dShape& s, const float* grad_y, const std::int32_t* argmax,
                         float* grad_x) {
  check_indexing("max_pool2d_backward", s);
  const int n = int(s.input_size());
  if (n == 0) return;
  DAE_LAUNCH(max_pool2d_backward_kernel, loop_grid(ex, n, kBlockThreads), kBlockThreads, 0, ex.stream, s, n,
             FastDivmod(s.in_height * s.in_width), FastDivmod(s.in_width), grad_y, argmax, grad_x);
}

}  // namespace dae::kernels::cuda

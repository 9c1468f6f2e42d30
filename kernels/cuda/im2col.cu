#include "kernels/cuda/im2col.h"

#include <cstdint>

#include "kernels/cuda/check.h"
#include "kernels/cuda/conv_problems.cuh"
#include "kernels/cuda/grid.h"

namespace dae::kernels::cuda {

namespace {

// One thread per column entry e = ((g * rows) + row) * pixels + pixel, grid-stride;
// consecutive threads write consecutive entries.
__global__ void im2col_kernel(Conv2dShape s, const float* x, std::int64_t n, float* col) {
  const int pixels = s.out_height * s.out_width;
  const int taps = s.kernel_h * s.kernel_w;
  const int rows = s.in_channels * taps;
  for (std::int64_t e = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < n;
       e += std::int64_t(gridDim.x) * blockDim.x) {
    const int pixel = int(e % pixels);
    const std::int64_t gr = e / pixels;  // g * rows + row
    const int row = int(gr % rows);
    const int g = int(gr / rows);
    const int c = row / taps, ky = (row % taps) / s.kernel_w, kx = row % s.kernel_w;
    const int iy = (pixel / s.out_width) * s.stride - s.padding + ky;
    const int ix = (pixel % s.out_width) * s.stride - s.padding + kx;
    const float* image = x + std::int64_t(g) * s.in_channels * s.in_height * s.in_width;
    col[e] = gemm::inside(iy, s.in_height) && gemm::inside(ix, s.in_width)
                 ? image[(std::int64_t(c) * s.in_height + iy) * s.in_width + ix]
                 : 0.0f;
  }
}

// One thread per input element e = ((g * C + c) * H + iy) * W + ix, grid-stride.
// Kernel row ky reaches iy from output row oy = (iy + p - ky) / s when that
// division is exact and oy is inside the output.
__global__ void col2im_kernel(Conv2dShape s, const float* col, std::int64_t n, float* x) {
  const int pixels = s.out_height * s.out_width;
  const int taps = s.kernel_h * s.kernel_w;
  for (std::int64_t e = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < n;
       e += std::int64_t(gridDim.x) * blockDim.x) {
    const int ix = int(e % s.in_width);
    const int iy = int((e / s.in_width) % s.in_height);
    const std::int64_t gc = e / (std::int64_t(s.in_width) * s.in_height);  // g * C + c
    const int c = int(gc % s.in_channels);
    const std::int64_t g = gc / s.in_channels;
    const float* image_col = col + g * std::int64_t(s.in_channels) * taps * pixels;
    float acc = 0.0f;
    for (int ky = 0; ky < s.kernel_h; ++ky) {
      const int ty = iy + s.padding - ky;
      if (ty < 0 || ty % s.stride != 0 || ty / s.stride >= s.out_height) continue;
      for (int kx = 0; kx < s.kernel_w; ++kx) {
        const int tx = ix + s.padding - kx;
        if (tx < 0 || tx % s.stride != 0 || tx / s.stride >= s.out_width) continue;
        const int row = (c * s.kernel_h + ky) * s.kernel_w + kx;
        acc += image_col[std::int64_t(row) * pixels + (ty / s.stride) * s.out_width + tx / s.stride];
      }
    }
    x[e] = acc;
  }
}

}  // namespace

void im2col(const Exec& ex, const Conv2dShape& s, const float* x, int count, float* col) {
  const std::int64_t n =
      std::int64_t(count) * s.in_channels * s.kernel_h * s.kernel_w * s.out_height * s.out_width;
  if (n <= 0) return;
  DAE_LAUNCH(im2col_kernel, loop_grid(ex, n, kBlockThreads), kBlockThreads, 0, ex.stream, s, x, n, col);
}

void col2im(const Exec& ex, const Conv2dShape& s, const float* col, int count, float* x) {
  const std::int64_t n = std::int64_t(count) * s.in_channels * s.in_height * s.in_width;
  if (n <= 0) return;
  DAE_LAUNCH(col2im_kernel, loop_grid(ex, n, kBlockThreads), kBlockThreads, 0, ex.stream, s, col, n, x);
}

}  // namespace dae::kernels::cuda

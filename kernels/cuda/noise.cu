// The fused corruption kernels on CUDA. Compiled like the CPU's noise.cpp
// without multiply-add contraction (DAE_CUDA_EXACT_SOURCES): the draws and
// the arithmetic are the shared bodies of kernels/common/noise_body.h, so a
// given (seed, step) gives the CPU's bits exactly.
//
// One launch per call, which draws, corrupts and writes the mask:
//   gaussian, saltpepper, mask   thread g handles the 4 consecutive elements
//       [4g, 4g + 4): one Philox block's worth of gaussian draws. When the
//       three arrays are 16-byte aligned they move as one float4 each, so a
//       warp reads and writes 512 contiguous bytes per access.
//   block   blockIdx.y = image; the block first draws that image's block
//       corners (block_position, the CPU's generator) into shared memory,
//       then each thread tests its 4 elements (coalesced: thread t takes
//       t, t + 256, ...) against them.
#include "kernels/cuda/noise.h"

#include <cstdint>
#include <string>

#include "kernels/common/errors.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/fast_divmod.h"
#include "kernels/cuda/grid.h"

namespace dae::kernels::cuda {

namespace {

constexpr int kGroup = 4;  // elements per thread and per gaussian Philox block

template <NoiseKind kKind>
__device__ void corrupt_group(const NoiseParams& p, const ImageShape& s, std::int64_t group, int count,
                              const float* in, float* out, float* hit) {
  if constexpr (kKind == NoiseKind::kGaussian) {
    gaussian_group(p, group, count, in, out, hit);
  } else {
    for (int k = 0; k < count; ++k) {
      const std::uint64_t unit = noise_draw_unit(s, p, group * kGroup + k);
      out[k] = kKind == NoiseKind::kSaltPepper ? saltpepper_element(p, unit, in[k], hit + k)
                                               : mask_element(p, unit, in[k], hit + k);
    }
  }
}

template <NoiseKind kKind>
__global__ void corrupt_elements_kernel(NoiseParams p, ImageShape s, std::int64_t n, bool vector_io, const float* x,
                                        float* y, float* mask) {
  const std::int64_t groups = (n + kGroup - 1) / kGroup;
  for (std::int64_t g = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x; g < groups;
       g += std::int64_t(gridDim.x) * blockDim.x) {
    const std::int64_t e = g * kGroup;
    const int count = n - e < kGroup ? int(n - e) : kGroup;
    if (vector_io && count == kGroup) {
      // A whole, aligned group: one 16-byte access per array, and a constant
      // count, so the arrays stay in registers.
      const float4 v = reinterpret_cast<const float4*>(x)[g];
      float in[kGroup] = {v.x, v.y, v.z, v.w}, out[kGroup], hit[kGroup];
      corrupt_group<kKind>(p, s, g, kGroup, in, out, hit);
      reinterpret_cast<float4*>(y)[g] = make_float4(out[0], out[1], out[2], out[3]);
      reinterpret_cast<float4*>(mask)[g] = make_float4(hit[0], hit[1], hit[2], hit[3]);
    } else {  // the tail of the tensor, or unaligned pointers
      float in[kGroup] = {0.0f, 0.0f, 0.0f, 0.0f}, out[kGroup], hit[kGroup];
      for (int k = 0; k < count; ++k) in[k] = x[e + k];
      corrupt_group<kKind>(p, s, g, count, in, out, hit);
      for (int k = 0; k < count; ++k) {
        y[e + k] = out[k];
        mask[e + k] = hit[k];
      }
    }
  }
}

constexpr int kCornerTile = kBlockThreads;          // block corners held in shared memory at a time
constexpr int kBlockChunk = kGroup * kBlockThreads;  // elements of one image per block iteration

__global__ void corrupt_block_kernel(NoiseParams p, ImageShape s, FastDivmod by_plane, FastDivmod by_width,
                                     const float* x, float* y, float* mask) {
  DAE_SHARED_ARRAY(int, tops, kCornerTile);
  DAE_SHARED_ARRAY(int, lefts, kCornerTile);
  const int t = int(threadIdx.x);
  const int image_size = s.channels * s.height * s.width;
  const int chunks = (image_size + kBlockChunk - 1) / kBlockChunk;
  // Both loops are the same for every thread of the block, so the barriers below are reached by all.
  for (int n = int(blockIdx.y); n < s.batch; n += int(gridDim.y)) {
    for (int chunk = int(blockIdx.x); chunk < chunks; chunk += int(gridDim.x)) {
      int row[kGroup], column[kGroup];
      bool hit[kGroup] = {false, false, false, false};
      for (int k = 0; k < kGroup; ++k) {
        const int i = chunk * kBlockChunk + k * kBlockThreads + t;  // element of image n
        const int pixel = i < image_size ? i - by_plane.div(i) * by_plane.divisor : 0;  // every channel alike
        by_width.divmod(pixel, row[k], column[k]);
      }
      for (int first = 0; first < p.block_count; first += kCornerTile) {
        const int in_tile = min(kCornerTile, p.block_count - first);
        __syncthreads();  // every thread is done with the previous tile's corners
        if (t < in_tile) {
          int top, left;
          block_position(p, s, n, first + t, &top, &left);
          tops[t] = top;
          lefts[t] = left;
        }
        __syncthreads();  // this tile's corners are visible to every thread
        for (int j = 0; j < in_tile; ++j) {
          const int top = tops[j], left = lefts[j];
          for (int k = 0; k < kGroup; ++k) {
            hit[k] = hit[k] || (row[k] >= top && row[k] < top + p.block_h && column[k] >= left &&
                                column[k] < left + p.block_w);
          }
        }
      }
      for (int k = 0; k < kGroup; ++k) {
        const int i = chunk * kBlockChunk + k * kBlockThreads + t;
        if (i >= image_size) continue;
        const std::int64_t o = std::int64_t(n) * image_size + i;
        mask[o] = hit[k] ? 1.0f : 0.0f;
        y[o] = hit[k] ? 0.0f : x[o];
      }
    }
  }
}

template <NoiseKind kKind>
void launch_elements(const Exec& ex, const NoiseParams& p, const ImageShape& s, const float* x, float* y,
                     float* mask) {
  const std::int64_t n = s.numel();
  const bool vector_io =
      ((reinterpret_cast<std::uintptr_t>(x) | reinterpret_cast<std::uintptr_t>(y) |
        reinterpret_cast<std::uintptr_t>(mask)) % 16) == 0;
  const auto corrupt_elements = &corrupt_elements_kernel<kKind>;
  DAE_LAUNCH(corrupt_elements, loop_grid(ex, (n + kGroup - 1) / kGroup, kBlockThreads), kBlockThreads, 0, ex.stream,
             p, s, n, vector_io, x, y, mask);
}

}  // namespace

void corrupt(const Exec& ex, const NoiseParams& p, const ImageShape& s, const float* x, float* y, float* mask) {
  const std::int64_t n = s.numel();
  if (n <= 0) return;
  const auto stream = static_cast<cudaStream_t>(ex.stream);
  switch (p.kind) {
    case NoiseKind::kNone:
      DAE_CUDA_CHECK(cudaMemcpyAsync(y, x, std::size_t(n) * sizeof(float), cudaMemcpyDeviceToDevice, stream));
      DAE_CUDA_CHECK(cudaMemsetAsync(mask, 0, std::size_t(n) * sizeof(float), stream));  // 0.0f is all-zero bits
      return;
    case NoiseKind::kGaussian:
      launch_elements<NoiseKind::kGaussian>(ex, p, s, x, y, mask);
      return;
    case NoiseKind::kSaltPepper:
      launch_elements<NoiseKind::kSaltPepper>(ex, p, s, x, y, mask);
      return;
    case NoiseKind::kMask:
      launch_elements<NoiseKind::kMask>(ex, p, s, x, y, mask);
      return;
    case NoiseKind::kBlock: {
      const std::int64_t image_size = std::int64_t(s.channels) * s.height * s.width;
      if (image_size >= (std::int64_t(1) << 31) - kBlockChunk) {
        throw ShapeError("corrupt: an image of " + std::to_string(image_size) +
                         " elements is too large for block noise");
      }
      const unsigned chunks = loop_grid(ex, image_size, kBlockChunk);
      const unsigned images = unsigned(std::min<std::int64_t>(loop_grid(ex, s.batch, 1), 65535));
      DAE_LAUNCH(corrupt_block_kernel, dim3(chunks, images), kBlockThreads, 0, ex.stream, p, s,
                 FastDivmod(s.height * s.width), FastDivmod(s.width), x, y, mask);
      return;
    }
  }
  throw ArgumentError("corrupt: unknown noise kind " + std::to_string(int(p.kind)));
}

}  // namespace dae::kernels::cuda

// Deterministic block-wide sum (device code, for .cu files only).
//
// The pairing of the additions is fixed: a warp folds its 32 values with
// shuffles at distances 16, 8, 4, 2, 1, then warp 0 folds the per-warp sums
// the same way. For a fixed block size the result depends only on the
// values each thread brings, never on scheduling, so two runs give the same
// bits. No atomics.
#pragma once

#include "kernels/cuda/cuda_compat.h"
#include "kernels/cuda/grid.h"

namespace dae::kernels::cuda {

// Sum of `value` over the kBlockThreads threads of the block (blockDim.x must
// be kBlockThreads). The result is valid in thread 0 only. Every thread of
// the block must call it (it contains barriers).
__device__ inline double block_sum(double value) {
  constexpr int kWarps = kBlockThreads / 32;
  DAE_SHARED_ARRAY(double, warp_sums, kWarps);
  const int lane = int(threadIdx.x) % 32;
  const int warp = int(threadIdx.x) / 32;
  for (int offset = 16; offset > 0; offset /= 2) value += __shfl_down_sync(0xffffffffu, value, offset);
  if (lane == 0) warp_sums[warp] = value;
  __syncthreads();  // every warp's sum is in shared memory before warp 0 reads them
  double total = 0.0;
  if (warp == 0) {
    total = lane < kWarps ? warp_sums[lane] : 0.0;
    for (int offset = 16; offset > 0; offset /= 2) total += __shfl_down_sync(0xffffffffu, total, offset);
  }
  __syncthreads();  // warp 0 has read warp_sums: a following call may overwrite it
  return total;
}

}  // namespace dae::kernels::cuda

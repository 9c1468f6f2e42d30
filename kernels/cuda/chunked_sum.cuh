// The deterministic sum behind every CUDA reduction (for .cu files only),
// the twin of kernels/cpu/chunked_sum.h in spirit:
//
//   pass 1  the index range is cut into fixed chunks of kSumChunk elements;
//           one block sums a chunk in double (thread t takes elements
//           t, t + 256, ... of it, then block_sum) into partial[chunk];
//           blocks loop over chunks when the grid is smaller than the problem.
//   pass 2  one block adds the partial sums the same way, in a fixed pairing.
//
// The partition depends only on n, never on the grid or the GPU, so the result
// has the same bits run to run. (It is not the CPU's order: CPU and CUDA agree
// to rounding, not to the bit.) With a single chunk, pass 1 writes the result.
#pragma once

#include <cstdint>

#include "kernels/common/exec.h"
#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/check.h"
#include "kernels/cuda/grid.h"

namespace dae::kernels::cuda {

constexpr int kSumChunk = 16 * kBlockThreads;

// term(i) returns the double to add for element i (it may also write, e.g. a
// gradient: every i is visited exactly once).
template <class Term>
__global__ void chunk_sums_kernel(Term term, std::int64_t n, std::int64_t n_chunks, double divisor, double* partial,
                                  float* out) {
  for (std::int64_t chunk = blockIdx.x; chunk < n_chunks; chunk += gridDim.x) {  // uniform per block
    const std::int64_t begin = chunk * kSumChunk;
    double acc = 0.0;
    for (int e = 0; e < kSumChunk / kBlockThreads; ++e) {
      const std::int64_t i = begin + e * kBlockThreads + threadIdx.x;  // coalesced across the block
      // __dadd_rn: never contracted with a product inside term(), so equal terms give equal sums.
      if (i < n) acc = __dadd_rn(acc, term(i));
    }
    const double total = block_sum(acc);
    if (threadIdx.x == 0) {
      if (n_chunks == 1) {
        out[0] = float(total / divisor);
      } else {
        partial[chunk] = total;
      }
    }
  }
}

// (A template only so that every .cu file including this header gets its own copy.)
template <typename Out>
__global__ void sum_partials_kernel(const double* partial, std::int64_t n_chunks, double divisor, Out* out) {
  double acc = 0.0;
  for (std::int64_t c = threadIdx.x; c < n_chunks; c += kBlockThreads) acc += partial[c];
  const double total = block_sum(acc);
  if (threadIdx.x == 0) out[0] = Out(total / divisor);
}

// out[0] = float((sum_{i < n} term(i)) / divisor), n >= 1.
template <class Term>
void chunked_sum(const Exec& ex, std::int64_t n, const Term& term, double divisor, float* out) {
  const std::int64_t n_chunks = (n + kSumChunk - 1) / kSumChunk;
  const unsigned grid = loop_grid(ex, n_chunks, 1);
  const auto chunk_sums = &chunk_sums_kernel<Term>;
  if (n_chunks == 1) {
    DAE_LAUNCH(chunk_sums, grid, kBlockThreads, 0, ex.stream, term, n, n_chunks, divisor,
               static_cast<double*>(nullptr), out);
    return;
  }
  ScratchBuffer partial(ex, std::size_t(n_chunks) * sizeof(double));
  DAE_LAUNCH(chunk_sums, grid, kBlockThreads, 0, ex.stream, term, n, n_chunks, divisor, partial.as<double>(), out);
  const auto sum_partials = &sum_partials_kernel<float>;
  DAE_LAUNCH(sum_partials, 1, kBlockThreads, 0, ex.stream, partial.as<const double>(), n_chunks, divisor, out);
}

}  // namespace dae::kernels::cuda

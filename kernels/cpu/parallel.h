// OpenMP helpers for CPU kernels.
#pragma once

#include <algorithm>
#include <cstdint>

#include "kernels/common/exec.h"

namespace dae::kernels::cpu {

// Below this many elements an elementwise loop runs on one thread: the fork
// and join would cost more than the work.
constexpr std::int64_t kParallelGrain = 1 << 15;

inline int threads_for(const Exec& ex, std::int64_t work_items, std::int64_t grain = kParallelGrain) {
  const std::int64_t wanted = std::max<std::int64_t>(1, work_items / std::max<std::int64_t>(grain, 1));
  return int(std::max<std::int64_t>(1, std::min<std::int64_t>(ex.n_threads, wanted)));
}

// Below this many floating-point operations a matrix product runs as one
// part on one thread (about 10 microseconds of work).
constexpr double kParallelFlops = 1 << 19;

// Runs part(i, n_parts) for i < n_parts on up to ex.n_threads threads, one
// part per thread: n_parts is the thread count, or 1 for small work. Every
// part must be independent of the others (and of n_parts in its results).
template <typename Part>
void run_parts(const Exec& ex, double flops, Part part) {
  const int n_parts = flops < kParallelFlops ? 1 : std::max(1, ex.n_threads);
  if (n_parts == 1) {
    part(0, 1);
    return;
  }
#pragma omp parallel for schedule(static, 1) num_threads(n_parts)
  for (int i = 0; i < n_parts; ++i) part(i, n_parts);
}

}  // namespace dae::kernels::cpu

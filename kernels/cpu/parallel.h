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

}  // namespace dae::kernels::cpu
